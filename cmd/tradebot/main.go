// Command tradebot is an automated trading daemon for Coinbase Advanced
// Trade. It runs strategies from a YAML file live, on paper, or over
// history; see README.md. The commands live in package cli, which a Go
// program of one's own calls the same way after registering its own
// strategy types (docs/STRATEGIES.md).
package main

import "github.com/tradebot/tradebot/cli"

func main() { cli.Main() }
