package engine

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// What a strategy logs through its context (strategy.Context.Log, "the
// instance's logger") names the instance and its product: with several
// instances a line such as "strategy exit signal" once said neither.
func TestAStrategysLogLinesNameItsInstance(t *testing.T) {
	var logs bytes.Buffer
	entered := false
	s := &scripted{decide: func(_ *exchange.Tick, pos strategy.PositionView) strategy.Decision {
		switch {
		case !entered && !pos.Open():
			entered = true
			return strategy.Decision{Signal: strategy.Enter, Reason: "test"}
		case pos.Open():
			return strategy.Decision{Signal: strategy.Exit, Reason: "leave"}
		}
		return strategy.Decision{}
	}}
	r := newRigLogged(t, slog.New(slog.NewTextHandler(&logs, nil)), risk.DefaultConfig(),
		InstanceSpec{Name: "btc-leaver", ProductID: "BTC-USD", Strategy: s, QuoteSize: d("100"), Exits: stopLoss("5")})
	r.trade("60000")
	r.trade("60010")
	r.trade("60020")
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `msg="strategy exit signal"`) {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no exit signal logged:\n%s", logs.String())
	}
	if !strings.Contains(line, "strategy=btc-leaver") || !strings.Contains(line, "product=BTC-USD") {
		t.Errorf("the strategy's line does not name its instance and product: %s", line)
	}
}
