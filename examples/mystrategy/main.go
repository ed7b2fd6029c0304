// Command mystrategy is tradebot with a strategy type of its own,
// momentum, written in a Go module outside the tradebot repository. It
// registers the type, then hands the command line to tradebot's: every
// tradebot command (run, check, backtest, sweep, positions, trades,
// strategies, ...) works with `type: momentum` in the config.
//
//	go build -o mystrategy .
//	./mystrategy strategies
//	./mystrategy check --config momentum.yaml
//	./mystrategy backtest --config momentum.yaml --data bundled --out /tmp/momentum
//	./mystrategy run --config momentum.yaml
//
// docs/STRATEGIES.md (section 5) walks through it.
package main

import (
	"time"

	"github.com/tradebot/tradebot/cli"
	"github.com/tradebot/tradebot/strategy"
)

func main() {
	strategy.Register(strategy.Type{
		Name:    "momentum",
		Summary: "buy when the close rose more than threshold percent over period bars above its trend EMA; sell when the rise turns into a fall",
		NewParams: func() strategy.Params {
			return &MomentumParams{Period: 10, Trend: 50, Threshold: 1, Interval: 15 * time.Minute}
		},
	})
	cli.Main()
}
