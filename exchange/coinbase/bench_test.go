package coinbase

import (
	"encoding/json"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// Compact messages as Coinbase sends them on the wire (no indentation).
const (
	compactTicker = `{"channel":"ticker","client_id":"","timestamp":"2023-02-09T20:30:37.167359596Z","sequence_num":0,"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"BTC-USD","price":"21932.98","volume_24_h":"16038.28770938","low_24_h":"21835.29","high_24_h":"23011.18","low_52_w":"15460","high_52_w":"48240","price_percent_chg_24_h":"-4.15775596190603","best_bid":"21931.98","best_bid_quantity":"8000.21","best_ask":"21933.98","best_ask_quantity":"8038.07770938"}]}]}`
	compactTrades = `{"channel":"market_trades","client_id":"","timestamp":"2023-02-09T20:19:35.39625135Z","sequence_num":0,"events":[{"type":"update","trades":[{"trade_id":"000000000","product_id":"ETH-USD","price":"1260.01","size":"0.3","side":"BUY","time":"2019-08-14T20:42:27.265Z"}]}]}`
)

// benchDispatch runs messages through the market session's handler, the
// path a live message takes after the socket read: decode, sequence
// check, and OnTick.
func benchDispatch(b *testing.B, msg []byte, wantTicks int) {
	ticks := 0
	f, err := NewFeed(FeedConfig{Products: []string{"BTC-USD"}, Channels: []string{ChannelTicker},
		OnTick: func(exchange.Tick) { ticks++ }})
	if err != nil {
		b.Fatal(err)
	}
	m := newMarketSession(f)
	c := &conn{f: f, name: "market"}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		c.lastSeq = -1
		if err := m.handle(msg, c); err != nil {
			b.Fatal(err)
		}
	}
	if ticks != b.N*wantTicks {
		b.Fatalf("%d ticks for %d messages", ticks, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkDispatchTicker(b *testing.B)       { benchDispatch(b, []byte(compactTicker), 1) }
func BenchmarkDispatchMarketTrades(b *testing.B) { benchDispatch(b, []byte(compactTrades), 1) }

// BenchmarkDispatchTickerSample uses the indented documentation sample.
func BenchmarkDispatchTickerSample(b *testing.B) { benchDispatch(b, sample(b, "ws_ticker.json"), 1) }

// BenchmarkDecodeTickerEncodingJSON is the slow path alone, for comparison.
func BenchmarkDecodeTickerEncodingJSON(b *testing.B) {
	msg := []byte(compactTicker)
	var d hotDecoder
	var m hotMessage
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.slow(msg, benchReceived, &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDecodeTickerExported decodes into the exported wire type, the
// way an emulator or a naive client would.
func BenchmarkDecodeTickerExported(b *testing.B) {
	msg := []byte(compactTicker)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		var m Message[TickerEvent]
		if err := json.Unmarshal(msg, &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
