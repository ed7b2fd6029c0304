package config

import (
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

// OpenRecording opens paper.recording for a replay: the recording
// embedded in the binary for "bundled", else the file. The daemon
// replays it and check reads its first prices, by this one rule.
func (p Paper) OpenRecording() (*marketdata.Source, error) {
	if p.Recording == "bundled" {
		return bundled.Open()
	}
	return marketdata.Open(p.Recording)
}
