package marketdata

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

// Fuzz targets for every parser. Each is seeded with real lines: from
// the committed MIT data in testdata/, and from ../shared when it is
// present (the GPL/LGPL files there may be read, never committed). A
// fuzz seed must not skip when ../shared is absent, so sharedLines reads
// quietly instead of using testenv.SharedFile.

// sharedLines returns up to n lines (after skip) of a ../shared file, or
// nothing when ../shared is not there.
func sharedLines(rel string, skip, n int) []string {
	dir := os.Getenv("TRADEBOT_SHARED")
	if dir == "" {
		dir = filepath.Join(testenv.RepoRoot(), "..", "shared")
	}
	return fileLines(filepath.Join(dir, filepath.FromSlash(rel)), skip, n)
}

// fileLines returns up to n lines of a plain or gzip file after skip.
func fileLines(path string, skip, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	br, closer, err := decompress(path, f)
	if err != nil {
		return nil
	}
	if closer != nil {
		defer closer.Close()
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(nil, 1<<20)
	var out []string
	for i := 0; sc.Scan() && len(out) < n; i++ {
		if i >= skip {
			out = append(out, sc.Text())
		}
	}
	return out
}

// readEverything reads a Source to its end and checks that every error
// is a *ParseError naming the input, as a user would need it.
func readEverything(t *testing.T, name string, data []byte, opts ...Option) {
	src, err := OpenReader(name, bytes.NewReader(data), opts...)
	if err != nil {
		checkParseError(t, name, err)
		return
	}
	defer src.Close()
	ticks := src.TickStream()
	for i := 0; i < 1<<20; i++ {
		if _, err := ticks.Next(); err != nil {
			if !errors.Is(err, io.EOF) {
				checkParseError(t, name, err)
			}
			return
		}
	}
}

func checkParseError(t *testing.T, name string, err error) {
	t.Helper()
	var perr *ParseError
	if !errors.As(err, &perr) {
		// gzip or read errors of a corrupt stream are not ParseErrors but
		// must still name the input.
		if !strings.Contains(err.Error(), name) {
			t.Fatalf("error %q does not name %s", err, name)
		}
		return
	}
	if perr.File != name || perr.Line < 1 {
		t.Fatalf("error %v names %q line %d", err, perr.File, perr.Line)
	}
}

func FuzzRecordingLine(f *testing.F) {
	for _, l := range fileLines(bundledPath(), 1, 20) {
		f.Add(l)
	}
	f.Add("T 1723161254087896568 BTC-USDT 61837.63000000 0.02000000 S")
	f.Add("Q 1 BTC-USD 1e-05 1 2 3")
	f.Add("# comment")
	f.Fuzz(func(t *testing.T, line string) {
		r, err := NewReader(strings.NewReader(RecordingHeader+"\n"+line+"\n"), "fuzz.tbrec")
		if err != nil {
			t.Fatal(err)
		}
		tk, err := r.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				checkParseError(t, "fuzz.tbrec", err)
			}
			return
		}
		// Whatever reads must write back and read back the same.
		var buf bytes.Buffer
		w := NewWriter(&buf)
		if err := w.WriteTick(tk); err != nil {
			t.Fatalf("read %q as %+v but cannot write it: %v", line, tk, err)
		}
		must(t, w.Close())
		r2, err := NewReader(&buf, "again")
		if err != nil {
			t.Fatal(err)
		}
		tk2, err := r2.Next()
		if err != nil {
			t.Fatalf("%q rewritten as %q does not read: %v", line, buf.String(), err)
		}
		if !sameTick(tk, tk2) {
			t.Fatalf("%+v became %+v", tk, tk2)
		}
	})
}

func sameTick(a, b exchange.Tick) bool {
	return a.ProductID == b.ProductID && a.Kind == b.Kind && a.Time.Equal(b.Time) && a.TakerSide == b.TakerSide &&
		a.Price.Equal(b.Price) && a.Size.Equal(b.Size) && a.Bid.Equal(b.Bid) && a.BidSize.Equal(b.BidSize) && a.Ask.Equal(b.Ask) && a.AskSize.Equal(b.AskSize)
}

func FuzzBinanceLine(f *testing.F) {
	for _, l := range sharedLines("data/market/hftbacktest--spot-btcusdt_20240808.gz", 0, 12) {
		f.Add(l)
	}
	f.Add(`1723161254087896568 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}`)
	f.Add(`1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}`)
	f.Add(`1723161254206652067 {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"]],"asks":[]}`)
	f.Fuzz(func(t *testing.T, line string) {
		readEverything(t, "fuzz.capture", []byte(line+"\n"))
		// The converter must write only what the recording reader reads.
		var buf bytes.Buffer
		w := NewWriter(&buf)
		if err := ConvertBinanceCapture(strings.NewReader(line+"\n"), w); err != nil {
			return
		}
		must(t, w.Close())
		r, err := NewReader(&buf, "converted")
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := r.Next(); err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("converted %q to %q, which does not read: %v", line, buf.String(), err)
				}
				return
			}
		}
	})
}

func FuzzNautilusCSV(f *testing.F) {
	head := sharedLines("data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv", 0, 6)
	if len(head) > 0 {
		f.Add(strings.Join(head, "\n"))
	}
	f.Add("timestamp,open,high,low,close,volume\n2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295\n2021-12-31 23:02:00.000000,46377.0,46411.0,46377.0,46411.0,1829623.1938\n")
	f.Add("timestamp,open,high,low,close,volume\n1640991660000000000,1,2,1,2,3\n")
	f.Fuzz(func(t *testing.T, body string) {
		readEverything(t, "fuzz.csv", []byte(body), DefaultProduct("BTC-USD"))
	})
}

func FuzzFreqtradeJSON(f *testing.F) {
	if l := sharedLines("data/market/freqtrade--UNITTEST_BTC-1m.json", 0, 1); len(l) > 0 {
		// The file is one line; keep its first rows and close the array.
		s := l[0]
		if i := strings.Index(s, "], ["); i > 0 {
			if j := strings.Index(s[i+4:], "], ["); j > 0 {
				s = s[:i+4+j] + "]]"
			}
		}
		f.Add(s)
	}
	f.Add("[[1509836520000, 0.00162008, 0.00162008, 0.00162008, 0.00162008, 108.14853839], [1509836580000, 0.00161, 0.00161, 0.00161, 0.00161, 82.390199]]")
	f.Add("[[1509836520000, 1e-05, 2e-05, 1e-05, 2e-05, 0]]")
	f.Add("[]")
	f.Fuzz(func(t *testing.T, body string) {
		readEverything(t, "fuzz.json", []byte(body), DefaultProduct("UNITTEST-BTC"))
	})
}

func FuzzGocryptotraderCSV(f *testing.F) {
	data := filepath.Join(testenv.RepoRoot(), "testdata")
	for _, name := range []string{"gocryptotrader--binance_BTCUSDT_24h-trades_2020_11_16.csv", "gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv"} {
		if l := fileLines(filepath.Join(data, name), 0, 5); len(l) > 0 {
			f.Add(strings.Join(l, "\n") + "\n")
		}
	}
	f.Add("1605499846,15993.5,0.026472,BUY\n1605499847,15994.96,0.227,sell\n")
	f.Fuzz(func(t *testing.T, body string) {
		readEverything(t, "fuzz.csv", []byte(body), DefaultProduct("BTC-USDT"))
	})
}

func FuzzCoinbaseCandles(f *testing.F) {
	f.Add(`{"start":"1688998200","high":"1867.72","low":"1865.63","open":"1867.38","close":"1866.81","volume":"0.20269406","product_id":"ETH-USD"}` + "\n")
	f.Add(`{"candles":[{"start":"1688998260","low":"1865.63","high":"1867.72","open":"1867.38","close":"1866.81","volume":"0.20269406"},{"start":"1688998200","low":"1865","high":"1868","open":"1866","close":"1867","volume":"1.5"}]}`)
	f.Add(`[{"start":1688998260,"low":1865.63,"high":1867.72,"open":1867.38,"close":1866.81,"volume":0.2,"granularity":"ONE_MINUTE"}]`)
	f.Fuzz(func(t *testing.T, body string) {
		readEverything(t, "fuzz.json", []byte(body), DefaultProduct("ETH-USD"))
	})
}

// FuzzOpen throws arbitrary bytes, compressed or not, at detection.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(RecordingHeader + "\nT 1 BTC-USD 1 1 B\n"))
	f.Add([]byte("timestamp,open,high,low,close,volume\n2021-12-31 23:01:00,1,2,1,2,3\n"))
	f.Add([]byte("[[1509836520000, 1, 1, 1, 1, 1]]"))
	f.Add([]byte("1605499846,15993.5,0.026472,ANY\n"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(RecordingHeader + "\nQ 1 BTC-USD 1 1 2 1\n"))
	zw.Close()
	f.Add(gz.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		readEverything(t, "fuzz.bin", data, DefaultProduct("BTC-USD"))
	})
}

func FuzzCryptofeedLine(f *testing.F) {
	for _, l := range sharedLines("data/market/cryptofeed--COINBASE.ws.28.0", 0, 12) {
		f.Add(l)
	}
	f.Add(`1618677817.1299179: {"type":"match","trade_id":1568268,"maker_order_id":"cac01d6d-8009-4c33-8e0d-f7f853d7c1bc","side":"sell","size":"450","price":"0.791","product_id":"SKL-USD","sequence":201390075,"time":"2021-04-17T16:43:37.121358Z"}`)
	f.Add(`1618677817.079762: {"type":"last_match","trade_id":881613,"side":"sell","size":"0.04","price":"14.7775","product_id":"BAND-GBP"}`)
	f.Fuzz(func(t *testing.T, line string) {
		readEverything(t, "fuzz.cf", []byte("wss://x <-> 1\n"+line+"\n"))
	})
}
