// Package bundled carries one real market recording inside the binary,
// so that `tradebot run` in paper mode has a feed to replay with no data
// files beside it: about eleven minutes of Binance spot BTC-USDT trades
// and best bid/ask (2024-08-08 23:54 to 2024-08-09 00:05 UTC), converted
// from nkaz001/hftbacktest's MIT-licensed capture. testdata/SOURCES.md at
// the repository root gives the attribution and how it was converted; Attribution
// holds the licence notice for the binary to show.
package bundled

import (
	"bytes"
	_ "embed"
	"io"

	"github.com/tradebot/tradebot/marketdata"
)

// Name is the bundled recording's file name; errors while reading it
// name this.
const Name = "binance-btcusdt-20240808.tbrec.gz"

// Product is the product id of every tick in the bundled recording.
const Product = "BTC-USDT"

// Attribution is the notice the MIT licence of the recording's source
// asks every copy to carry; the daemon should print it with its version.
const Attribution = `Bundled market data: converted from nkaz001/hftbacktest
examples/spot/btcusdt_20240808.gz and btcusdt_20240809.gz
(commit 5f3ec40b2afb764e0fea112f941ed85523ef4e88) under the MIT License:

Copyright (c) 2022 nkaz001@protonmail.com

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

//go:embed binance-btcusdt-20240808.tbrec.gz
var recording []byte

// Recording returns the bundled recording's name and a function that
// opens it afresh (gzip-compressed, in the tradebot recording format),
// for callers that replay it more than once.
func Recording() (name string, open func() (io.ReadCloser, error)) {
	return Name, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(recording)), nil
	}
}

// Open returns the bundled recording as a marketdata Source of ticks.
func Open() (*marketdata.Source, error) {
	return marketdata.OpenReader(Name, bytes.NewReader(recording))
}

// Loop returns the bundled recording as an endless tick feed for paper
// trading: each pass follows the previous one in time (see
// marketdata.Loop). Close it when done.
func Loop() *marketdata.Loop {
	return marketdata.NewLoop(Open)
}
