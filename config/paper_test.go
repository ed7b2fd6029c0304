package config

import (
	"strings"
	"testing"
)

func TestLockstepIsRefusedOnTheCoinbaseFeed(t *testing.T) {
	doc := `paper: {feed: coinbase, lockstep: true}
strategies:
  - name: a
    type: breakout
    product: BTC-USD
    size: {quote: 100}
    exits: {stop_loss: {percent: 1}}
`
	if _, err := Load("l.yaml", []byte(doc), noEnv); err == nil || !strings.Contains(err.Error(), "line 1: paper.lockstep") {
		t.Errorf("lockstep on the Coinbase feed: %v, want a paper.lockstep problem on line 1", err)
	}
}
