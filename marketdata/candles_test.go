package marketdata

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

func readAllCandles(t *testing.T, src CandleSource) []exchange.Candle {
	t.Helper()
	var out []exchange.Candle
	for {
		c, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Counts, ranges and gaps from ../shared/data/market/SOURCES.md, and for
// the gocryptotrader files their committed copies under testdata/.
func TestCandleReadersOnRealFiles(t *testing.T) {
	repoData := filepath.Join(testenv.RepoRoot(), "testdata")
	tests := []struct {
		name        string
		path        func(t *testing.T) string
		format      Format
		rows        int
		first, last time.Time
		interval    time.Duration
		gaps        map[int]int // missing candles -> number of gaps
		widened     int
	}{
		{
			name: "nautilus one-minute bars",
			path: func(t *testing.T) string {
				return testenv.SharedFile(t, "data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv")
			},
			format:   NautilusCSV,
			rows:     45031,
			first:    utc("2021-12-31 23:00:00"), // stamped 23:01, its close
			last:     utc("2022-02-01 05:30:00"),
			interval: time.Minute,
			gaps:     map[int]int{},
		},
		{
			name:     "freqtrade one-minute candles with gaps",
			path:     func(t *testing.T) string { return testenv.SharedFile(t, "data/market/freqtrade--UNITTEST_BTC-1m.json") },
			format:   FreqtradeJSON,
			rows:     13681,
			first:    utc("2017-11-04 23:02:00"),
			last:     utc("2017-11-14 22:59:00"),
			interval: time.Minute,
			// 13,142 steps of 1 min, 423 of 2 min, 78 of 3 min, and so on.
			gaps: map[int]int{1: 423, 2: 78, 3: 22, 4: 8, 5: 3, 6: 3, 7: 1},
		},
		{
			name: "gocryptotrader daily candles",
			path: func(*testing.T) string {
				return filepath.Join(repoData, "gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv")
			},
			format:   GocryptotraderCandles,
			rows:     365,
			first:    utc("2019-01-01 00:00:00"),
			last:     utc("2019-12-31 00:00:00"),
			interval: 24 * time.Hour,
			gaps:     map[int]int{},
			widened:  176, // its high column repeats the close
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []Gap
			src, err := Open(tt.path(t), DefaultProduct("BTC-USD"), OnGap(func(g Gap) { seen = append(seen, g) }))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if src.Format != tt.format || src.Ticks != nil {
				t.Fatalf("format %s, ticks %v", src.Format, src.Ticks)
			}
			candles := readAllCandles(t, src.Candles)
			if len(candles) != tt.rows {
				t.Fatalf("%d candles, want %d", len(candles), tt.rows)
			}
			if !candles[0].Start.Equal(tt.first) || !candles[len(candles)-1].Start.Equal(tt.last) {
				t.Errorf("from %s to %s, want %s to %s", candles[0].Start, candles[len(candles)-1].Start, tt.first, tt.last)
			}
			if src.Interval() != tt.interval || candles[0].Interval != tt.interval {
				t.Errorf("interval %v, want %v", src.Interval(), tt.interval)
			}
			got := map[int]int{}
			for _, g := range src.Gaps() {
				got[g.Missing]++
				if g.To.Sub(g.From) != time.Duration(g.Missing)*tt.interval {
					t.Errorf("gap %+v: span is not Missing intervals", g)
				}
			}
			if !equalCounts(got, tt.gaps) {
				t.Errorf("gaps by missing candles %v, want %v", got, tt.gaps)
			}
			if len(seen) != len(src.Gaps()) {
				t.Errorf("OnGap saw %d gaps, Gaps has %d", len(seen), len(src.Gaps()))
			}
			if src.Widened() != tt.widened {
				t.Errorf("widened %d candles, want %d", src.Widened(), tt.widened)
			}
			for _, c := range candles {
				if c.ProductID != "BTC-USD" || c.Low.GreaterThan(c.High) || c.High.LessThan(c.Open) || c.Low.GreaterThan(c.Close) {
					t.Fatalf("candle %+v", c)
				}
			}
		})
	}
}

func equalCounts(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestNautilusBarKeepsItsValues(t *testing.T) {
	// The byte order mark is what a spreadsheet adds when it saves a CSV.
	body := "\xef\xbb\xbftimestamp,open,high,low,close,volume\n2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295\n"
	src, err := OpenReader("bars.csv", strings.NewReader(body), DefaultProduct("BTC-PERP"))
	if err != nil {
		t.Fatal(err)
	}
	c := readAllCandles(t, src.Candles)
	want := exchange.Candle{ProductID: "BTC-PERP", Start: utc("2021-12-31 23:00:00"), Interval: time.Minute,
		Open: dec("46319"), High: dec("46385"), Low: dec("46319"), Close: dec("46377"), Volume: dec("2300413.7295")}
	if len(c) != 1 || !sameCandle(c[0], want) {
		t.Fatalf("got %+v, want %+v", c, want)
	}
}

func sameCandle(a, b exchange.Candle) bool {
	return a.ProductID == b.ProductID && a.Start.Equal(b.Start) && a.Interval == b.Interval &&
		a.Open.Equal(b.Open) && a.High.Equal(b.High) && a.Low.Equal(b.Low) && a.Close.Equal(b.Close) && a.Volume.Equal(b.Volume)
}

func TestGocryptotraderTradesFile(t *testing.T) {
	src, err := Open(filepath.Join(testenv.RepoRoot(), "testdata", "gocryptotrader--binance_BTCUSDT_24h-trades_2020_11_16.csv"), DefaultProduct("BTC-USDT"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Format != GocryptotraderTrades {
		t.Fatalf("format %s", src.Format)
	}
	ticks := readAllTicks(t, src.Ticks)
	if len(ticks) != 1000 {
		t.Fatalf("%d trades, want 1000", len(ticks))
	}
	first, last := ticks[0], ticks[len(ticks)-1]
	if !first.Time.Equal(utc("2020-11-16 04:10:46")) || !last.Time.Equal(utc("2020-11-16 04:13:50")) {
		t.Errorf("from %s to %s", first.Time, last.Time)
	}
	if !first.Price.Equal(dec("15993.5")) || !first.Size.Equal(dec("0.026472")) || first.TakerSide != "" {
		t.Errorf("first trade %+v (side ANY must stay unknown)", first)
	}
}

// The committed gocryptotrader copies must be the files ../shared holds.
func TestCommittedCopiesMatchShared(t *testing.T) {
	for _, name := range []string{"gocryptotrader--binance_BTCUSDT_24h-trades_2020_11_16.csv", "gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv"} {
		shared := readFile(t, testenv.SharedFile(t, "data/market/"+name))
		mine := readFile(t, filepath.Join(testenv.RepoRoot(), "testdata", name))
		if !bytes.Equal(shared, mine) {
			t.Errorf("testdata/%s differs from ../shared", name)
		}
	}
}

func TestOpenRejectsWhatItCannotRead(t *testing.T) {
	tests := []struct {
		name, body string
		opts       []Option
		line       int
		want       string
	}{
		{"unknown format", "hello world\n", nil, 1, "unrecognised"},
		{"cryptofeed-like", "https://api.pro.coinbase.com/products -> 1618677\n", nil, 1, "unrecognised"},
		{"empty", "", nil, 1, "the file is empty"},
		{"no product for gocryptotrader trades", "1605499846,15993.5,0.026472,ANY\n", nil, 1, "--product"},
		{"no product for nautilus bars", "timestamp,open,high,low,close,volume\n2021-12-31 23:01:00,1,2,1,2,3\n", nil, 1, "--product"},
		{"no product for freqtrade", "[[1509836520000, 1, 1, 1, 1, 1]]", nil, 1, "--product"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenReader("in.dat", strings.NewReader(tt.body), tt.opts...)
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Line != tt.line || perr.File != "in.dat" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want in.dat line %d mentioning %q", err, tt.line, tt.want)
			}
		})
	}
}

func TestCandleErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name, body string
		line       int
		field      string
		noDefault  bool // open without DefaultProduct
	}{
		{"nautilus bad close", "timestamp,open,high,low,close,volume\n2021-12-31 23:01:00,1,2,1,2,5\n2021-12-31 23:02:00,1,2,1,x,5\n", 3, "close", false},
		{"nautilus bad date", "timestamp,open,high,low,close,volume\n2021-02-30 23:01:00,1,2,1,2,5\n", 2, "timestamp", false},
		{"nautilus missing column", "timestamp,open,high,low,close,volume\n2021-12-31 23:01:00,1,2,1,2\n", 2, "", false},
		{"nautilus out of order", "timestamp,open,high,low,close,volume\n2021-12-31 23:02:00,1,2,1,2,5\n2021-12-31 23:01:00,1,2,1,2,5\n", 3, "time", false},
		{"gocryptotrader negative volume", "1546300800,-1,3701.23,3797.14,3642,3797.14\n", 1, "", false},
		{"coinbase lines without a product", `{"start":"1688998200","low":"1","high":"2","open":"1","close":"2","volume":"0.2"}` + "\n", 1, "", true},
		{"freqtrade short row", "[[1509836520000, 1, 1, 1, 1, 1],\n [1509836580000, 1, 1, 1, 1]]", 2, "row 2", false},
		{"freqtrade bad number", "[[1509836520000, 1, 1, 1, 1, 1],\n\n [1509836580000, 1, 1, 1, 1, 1x]]", 3, "row 2 volume", false},
		{"freqtrade text after", "[[1509836520000, 1, 1, 1, 1, 1]] x", 1, "", false},
		{"coinbase lines bad low", `{"start":"1688998200","low":"1865.63","high":"1867.72","open":"1867.38","close":"1866.81","volume":"0.2","product_id":"ETH-USD"}` + "\n" + `{"start":"1688998260","low":"y","high":"1867.72","open":"1867.38","close":"1866.81","volume":"0.2","product_id":"ETH-USD"}` + "\n", 2, "", false},
		{"coinbase REST broken", "{\"candles\":[\n{\"start\":\"1688998200\",\n\"low\":}]}", 3, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []Option{DefaultProduct("BTC-USD")}
			if tt.noDefault {
				opts = nil
			}
			src, err := OpenReader("bad.data", strings.NewReader(tt.body), opts...)
			if err == nil {
				for err == nil {
					_, err = src.Candles.Next()
				}
				if _, again := src.Candles.Next(); again != err {
					t.Errorf("after %v the next call returned %v; errors must stick", err, again)
				}
			}
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if perr.File != "bad.data" || perr.Line != tt.line || perr.Field != tt.field {
				t.Errorf("error at line %d field %q, want line %d field %q: %v", perr.Line, perr.Field, tt.line, tt.field, err)
			}
		})
	}
}

func TestCoinbaseCandleShapes(t *testing.T) {
	// Coinbase's REST answer lists the newest candle first.
	rest := `{"candles":[
  {"start":"1688998320","low":"1865.00","high":"1868.00","open":"1866.00","close":"1867.00","volume":"1.5"},
  {"start":"1688998260","low":"1865.63","high":"1867.72","open":"1867.38","close":"1866.81","volume":"0.20269406"}
]}`
	array := `[{"start":"1688998260","low":"1865.63","high":"1867.72","open":"1867.38","close":"1866.81","volume":"0.20269406"},
{"start":1688998320,"low":1865.00,"high":1868.00,"open":1866.00,"close":1867.00,"volume":1.5}]`
	lines := `{"start":"1688998260","low":"1865.63","high":"1867.72","open":"1867.38","close":"1866.81","volume":"0.20269406","product_id":"ETH-USD","granularity":"ONE_MINUTE"}
{"start":"1688998320","low":"1865.00","high":"1868.00","open":"1866.00","close":"1867.00","volume":"1.5","product_id":"ETH-USD","granularity":"ONE_MINUTE"}
`
	for name, body := range map[string]string{"rest": rest, "array": array, "lines": lines} {
		t.Run(name, func(t *testing.T) {
			src, err := OpenReader(name, strings.NewReader(body), DefaultProduct("ETH-USD"))
			if err != nil {
				t.Fatal(err)
			}
			if src.Format != CoinbaseCandles {
				t.Fatalf("format %s", src.Format)
			}
			c := readAllCandles(t, src.Candles)
			if len(c) != 2 || !c[0].Start.Equal(time.Unix(1688998260, 0)) || !c[0].Volume.Equal(dec("0.20269406")) || c[1].Interval != time.Minute || c[1].ProductID != "ETH-USD" {
				t.Fatalf("candles %+v", c)
			}
		})
	}
}

func TestCandleWriterOutputReadsBack(t *testing.T) {
	in := []exchange.Candle{
		{ProductID: "BTC-USD", Start: time.Unix(1700000000, 0), Interval: 5 * time.Minute, Open: dec("37000.01"), High: dec("37010.50"), Low: dec("36990.00"), Close: dec("37005.00"), Volume: dec("12.34500000")},
		{ProductID: "BTC-USD", Start: time.Unix(1700000600, 0), Interval: 5 * time.Minute, Open: dec("37005.00"), High: dec("37005.00"), Low: dec("37000"), Close: dec("37001"), Volume: dec("0")},
	}
	var buf bytes.Buffer
	w := NewCandleWriter(&buf)
	for _, c := range in {
		must(t, w.Write(c))
	}
	must(t, w.Flush())
	if !strings.Contains(buf.String(), `"high":"37010.50"`) || !strings.Contains(buf.String(), `"granularity":"FIVE_MINUTE"`) {
		t.Errorf("written text %s", buf.String())
	}
	src, err := OpenReader("download.jsonl", &buf)
	if err != nil {
		t.Fatal(err)
	}
	out := readAllCandles(t, src.Candles)
	if len(out) != len(in) {
		t.Fatalf("%d candles back", len(out))
	}
	for i := range in {
		if !sameCandle(in[i], out[i]) {
			t.Errorf("candle %d: %+v, want %+v", i, out[i], in[i])
		}
	}
	if g := src.Gaps(); len(g) != 1 || g[0].Missing != 1 || !g[0].From.Equal(time.Unix(1700000300, 0)) {
		t.Errorf("gaps %+v, want one of one candle from 1700000300", g)
	}
	if err := w.Write(exchange.Candle{Start: time.Unix(1, 5)}); err == nil {
		t.Error("wrote a start that is not a whole second")
	}
}

func TestCandleIntervalOption(t *testing.T) {
	body := "1546300800,1,1,1,1,1\n1546387200,1,1,1,1,1\n1546560000,1,1,1,1,1\n"
	src, err := OpenReader("days.csv", strings.NewReader(body), DefaultProduct("BTC-USD"), CandleInterval(12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	readAllCandles(t, src.Candles)
	// Steps of 24h and 48h at 12h candles are gaps of 1 and 3 candles.
	if g := src.Gaps(); len(g) != 2 || g[0].Missing != 1 || g[1].Missing != 3 {
		t.Errorf("gaps %+v", g)
	}
}

func TestTickStreamOfCandlesFollowsThePath(t *testing.T) {
	body := "timestamp,open,high,low,close,volume\n2021-12-31 23:01:00,100,110,90,105,8\n2021-12-31 23:02:00,105,106,95,96,4\n"
	src, err := OpenReader("bars.csv", strings.NewReader(body), DefaultProduct("BTC-USD"))
	if err != nil {
		t.Fatal(err)
	}
	var prices []string
	for _, tk := range readAllTicks(t, src.TickStream()) {
		prices = append(prices, tk.Price.String())
	}
	want := "100 110 90 105 105 106 95 96"
	if strings.Join(prices, " ") != want {
		t.Errorf("prices %v, want %s", prices, want)
	}
}

// Candle files may be gzip-compressed like recordings; the content, not
// the name, decides.
func TestGzipCandleFileIsDetectedByContent(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("[[1509836520000, 0.00162008, 0.00162008, 0.00162008, 0.00162008, 108.14853839]]"))
	must(t, zw.Close())
	src, err := OpenReader("candles.csv", &gz, DefaultProduct("UNITTEST-BTC"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c := readAllCandles(t, src.Candles)
	if src.Format != FreqtradeJSON || len(c) != 1 || !c[0].Close.Equal(dec("0.00162008")) {
		t.Fatalf("format %s, candles %+v", src.Format, c)
	}
}
