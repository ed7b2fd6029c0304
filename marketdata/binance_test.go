package marketdata

import (
	"errors"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

// Counts from ../shared/data/market/SOURCES.md.
func TestBinanceCaptureReaderMatchesSourceCounts(t *testing.T) {
	tests := []struct {
		file           string
		trades, quotes int
		firstTradeSide exchange.Side
	}{
		{"data/market/hftbacktest--spot-btcusdt_20240808.gz", 9757, 28040, exchange.Sell},
		{"data/market/hftbacktest--spot-btcusdt_20240809.gz", 10147, 45134, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := Open(testenv.SharedFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if src.Format != BinanceCapture {
				t.Fatalf("format %s", src.Format)
			}
			var trades, quotes int
			for _, tk := range readAllTicks(t, src.Ticks) {
				if tk.ProductID != "BTC-USDT" {
					t.Fatalf("product %q", tk.ProductID)
				}
				switch tk.Kind {
				case exchange.TradeTick:
					if trades == 0 && tt.firstTradeSide != "" && tk.TakerSide != tt.firstTradeSide {
						t.Errorf("first trade taker %s, want %s (m=true: the buyer made)", tk.TakerSide, tt.firstTradeSide)
					}
					if !tk.Price.IsPositive() || !tk.Size.IsPositive() || !tk.TakerSide.Valid() {
						t.Fatalf("trade %+v", tk)
					}
					trades++
				case exchange.QuoteTick:
					if !tk.Bid.LessThan(tk.Ask) {
						t.Fatalf("crossed quote %+v", tk)
					}
					quotes++
				}
			}
			if trades != tt.trades || quotes != tt.quotes {
				t.Errorf("%d trades, %d quotes; want %d, %d", trades, quotes, tt.trades, tt.quotes)
			}
		})
	}
}

func TestBinanceLineParsing(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		kind  exchange.TickKind
		field string // the field an error names; "-" for no error
	}{
		{"trade", `1723161254087896568 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}`, exchange.TradeTick, "-"},
		{"book ticker", `1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}`, exchange.QuoteTick, "-"},
		{"depth is skipped", `1723161254036059768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","b":[["55653.87000000","0.00000000"]],"a":[]}}`, 0, "-"},
		{"snapshot is skipped", `1723161254206652067 {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"]],"asks":[]}`, 0, "-"},
		{"members in any order", `5 {"data":{"m":false,"q":"1","p":"2","s":"ETHBTC"},"stream":"ethbtc@trade"}`, exchange.TradeTick, "-"},
		{"no time", `{"stream":"btcusdt@trade"}`, 0, ""},
		{"bad time", `12x {"stream":"btcusdt@trade"}`, 0, "local_ns"},
		{"maker flag missing", `1 {"stream":"btcusdt@trade","data":{"s":"BTCUSDT","p":"1","q":"1"}}`, 0, "data.m"},
		{"ask missing", `1 {"stream":"btcusdt@bookTicker","data":{"s":"BTCUSDT","b":"1","B":"1","A":"1"}}`, 0, "data.a"},
		{"broken JSON", `1 {"stream":"btcusdt@trade","data":{"s":"BTCUSDT"`, 0, ""},
		{"trailing text", `1 {"stream":"btcusdt@depth"} x`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev binanceEvent
			field, err := parseBinanceLine([]byte(tt.line), &ev)
			if tt.field == "-" {
				if err != nil {
					t.Fatalf("error %v (field %q)", err, field)
				}
				if ev.kind != tt.kind {
					t.Errorf("kind %d, want %d", ev.kind, tt.kind)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if field != tt.field {
				t.Errorf("field %q, want %q (%v)", field, tt.field, err)
			}
		})
	}
}

func TestBinanceReaderErrorNamesFileAndLine(t *testing.T) {
	body := `1 {"stream":"btcusdt@trade","data":{"s":"BTCUSDT","p":"1","q":"1","m":true}}
2 {"stream":"btcusdt@trade","data":{"s":"BTCUSDT","p":"1.x","q":"1","m":true}}
`
	src, err := OpenReader("capture.txt", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Ticks.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = src.Ticks.Next()
	var perr *ParseError
	if !errors.As(err, &perr) || perr.File != "capture.txt" || perr.Line != 2 || perr.Field != "data.p" {
		t.Fatalf("error %v, want capture.txt line 2 data.p", err)
	}
}

func TestBinanceSymbolsBecomeCoinbaseProductIDs(t *testing.T) {
	for sym, want := range map[string]string{"BTCUSDT": "BTC-USDT", "ETHBTC": "ETH-BTC", "BTCFDUSD": "BTC-FDUSD", "SOLUSDC": "SOL-USDC", "BTCEUR": "BTC-EUR"} {
		if got, err := binanceProduct([]byte(sym)); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", sym, got, err, want)
		}
	}
	for _, sym := range []string{"USDT", "XYZ", ""} {
		if got, err := binanceProduct([]byte(sym)); err == nil {
			t.Errorf("%s: %q, want an error", sym, got)
		}
	}
}
