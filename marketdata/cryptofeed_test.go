package marketdata

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

// SOURCES.md: 97 match and 10 last_match messages over 30 s, for ten
// altcoin products, among 9,946 messages.
func TestCryptofeedCoinbaseRecordingYieldsItsTrades(t *testing.T) {
	src, err := Open(testenv.SharedFile(t, "data/market/cryptofeed--COINBASE.ws.28.0"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Format != CryptofeedCoinbase {
		t.Fatalf("format %s", src.Format)
	}
	ticks := readAllTicks(t, src.Ticks)
	if len(ticks) != 107 {
		t.Fatalf("%d trades, want 97 + 10", len(ticks))
	}
	products := map[string]bool{}
	for i, tk := range ticks {
		products[tk.ProductID] = true
		if i > 0 && tk.Time.Before(ticks[i-1].Time) {
			t.Fatalf("trade %d goes back in time", i)
		}
		if !tk.Price.IsPositive() || !tk.Size.IsPositive() || !tk.TakerSide.Valid() {
			t.Fatalf("trade %+v", tk)
		}
	}
	if len(products) != 10 || !products["SKL-USD"] || !products["DASH-BTC"] {
		t.Errorf("products %v", products)
	}
	// The first match message: the maker sold ("side":"sell"), so the
	// taker bought 985 SKL-BTC at 0.00001305; received 1618677817.1295161.
	var first exchange.Tick
	for _, tk := range ticks {
		if tk.Time.UnixNano() == 1618677817129516100 {
			first = tk
		}
	}
	if first.ProductID != "SKL-BTC" || first.TakerSide != exchange.Buy || !first.Price.Equal(dec("0.00001305")) || !first.Size.Equal(dec("985")) {
		t.Errorf("first match %+v", first)
	}
}

func TestCryptofeedLines(t *testing.T) {
	tests := []struct {
		name, body string
		trades     int
		field      string // of the error; "-" for none
	}{
		{"a match", `1618677817.1299179: {"type":"match","trade_id":1568268,"side":"sell","size":"450","price":"0.791","product_id":"SKL-USD","time":"2021-04-17T16:43:37.121358Z"}` + "\n", 1, "-"},
		{"level2 is skipped", `1618677817.2: {"type":"l2update","product_id":"SKL-USD","changes":[["buy","0.79","10"]]}` + "\n", 0, "-"},
		{"bad side", `1618677817.2: {"type":"match","side":"up","size":"1","price":"1","product_id":"SKL-USD"}` + "\n", 0, "side"},
		{"bad time", `16186778x7.2: {"type":"match"}` + "\n", 0, "receive_time"},
		{"missing price", `1618677817: {"type":"match","side":"buy","size":"1","product_id":"SKL-USD"}` + "\n", 0, "price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const header = "wss://ws-feed.pro.coinbase.com <-> 1618677816.8434298\n"
			src, err := OpenReader("cf.txt", strings.NewReader(header+tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if src.Format != CryptofeedCoinbase {
				t.Fatalf("format %s", src.Format)
			}
			n := 0
			for {
				_, err = src.Ticks.Next()
				if err != nil {
					break
				}
				n++
			}
			var perr *ParseError
			if tt.field == "-" {
				if errors.As(err, &perr) {
					t.Fatal(err)
				}
				if n != tt.trades {
					t.Errorf("%d trades, want %d", n, tt.trades)
				}
				return
			}
			if !errors.As(err, &perr) || perr.Field != tt.field || perr.Line != 2 || perr.File != "cf.txt" {
				t.Errorf("error %v, want cf.txt line 2 field %s", err, tt.field)
			}
		})
	}
}

func TestParseUnixFractionIsExact(t *testing.T) {
	for in, want := range map[string]int64{"1618677817.1295161": 1618677817129516100, "1618677817": 1618677817000000000, "1.0000000019": 1000000001} {
		if got, err := parseUnixFraction([]byte(in)); err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".5", "1.x", "99999999999.0", "-1.0"} {
		if _, err := parseUnixFraction([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

const coinbaseSampleName = "coinbase-exchange-20210417.tbrec"

// testdata/coinbase-exchange-20210417.tbrec is the trades of the
// cryptofeed recording in the project's format, so that a real
// multi-product Coinbase feed is in the repository; -update rewrites it.
func TestCoinbaseSampleIsTheConvertedCryptofeedRecording(t *testing.T) {
	src, err := Open(testenv.SharedFile(t, "data/market/cryptofeed--COINBASE.ws.28.0"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, tk := range readAllTicks(t, src.Ticks) {
		must(t, w.WriteTick(tk))
	}
	must(t, w.Close())
	path := filepath.Join(testenv.RepoRoot(), "testdata", coinbaseSampleName)
	if *update {
		must(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	if committed := readFile(t, path); !bytes.Equal(committed, buf.Bytes()) {
		t.Errorf("testdata/%s differs from the converted recording; run with -update", coinbaseSampleName)
	}
}
