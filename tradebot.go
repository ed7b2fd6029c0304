// Package tradebot holds what the binary embeds from the repository root:
// the example configuration, which is also the daemon's default, so that
// `tradebot run` with no --config paper-trades the bundled recording with
// no file beside the binary.
package tradebot

import _ "embed"

// ExampleConfig is config.example.yaml as shipped.
//
//go:embed config.example.yaml
var ExampleConfig []byte
