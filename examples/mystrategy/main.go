// Command mystrategy is tradebot with a strategy type of its own,
// momentum (momentum.go), written in a Go module outside the tradebot
// repository. The type registers itself in an init function; main hands
// the command line to tradebot's, so every tradebot command (run, check,
// backtest, sweep, positions, trades, strategies, ...) works with
// `type: momentum` in the config.
//
//	go build -o mystrategy .
//	./mystrategy strategies
//	./mystrategy check --config momentum.yaml
//	./mystrategy backtest --config momentum.yaml --data bundled --out /tmp/momentum
//	./mystrategy run --config momentum.yaml
//
// docs/STRATEGIES.md (section 5) walks through it.
package main

import "github.com/tradebot/tradebot/cli"

func main() { cli.Main() }
