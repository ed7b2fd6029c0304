package indicator

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goldenTolerance is the largest accepted |got - want| / max(1, |want|)
// per indicator against testdata/golden (see its README): 1e-9 where the
// arithmetic is the same as TA-Lib's up to the order of additions; wider
// for bbands, where TA-Lib is the less exact: it takes the variance from
// sums of squared prices (about 4e9 at BTC prices, so a narrow window
// loses 7 digits to cancellation) while Bollinger sums squares of the
// distance to its first price; on btcusdt-1s bar 140 an exact rational
// computation agrees with Bollinger to 12 digits and with TA-Lib to 7.
var goldenTolerance = map[string]float64{
	"sma": 1e-9, "ema": 1e-9, "wma": 1e-9, "dema": 1e-9, "tema": 1e-9, "rsi": 1e-9,
	"atr": 1e-9, "cci": 1e-9, "mfi": 1e-9, "roc": 1e-9, "willr": 1e-9, "obv": 1e-9,
	"sar": 1e-9, "macd": 1e-9, "bbands": 1e-7, "adx": 1e-9, "stoch": 1e-9,
	"stochrsi": 1e-9, "donchian": 1e-9, "keltner": 1e-9, "supertrend": 1e-9,
	"ichimoku": 1e-9, "vwap": 1e-9,
}

// TestGoldenValues feeds each data set of testdata/golden to every
// indicator that has golden values there and compares every output on
// every bar, and Ready against the bars on which the reference gives a
// value.
func TestGoldenValues(t *testing.T) {
	for _, set := range []string{"btcusdt-1s", "walk"} {
		candles := readCandles(t, filepath.Join("testdata", "golden", set+".csv"))
		files, err := filepath.Glob(filepath.Join("testdata", "golden", set, "*.csv"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no golden files for %s: %v", set, err)
		}
		for _, file := range files {
			base := strings.TrimSuffix(filepath.Base(file), ".csv")
			t.Run(set+"/"+base, func(t *testing.T) {
				parts := strings.Split(base, "_")
				name := parts[0]
				var params []float64
				for _, p := range parts[1:] {
					v, err := strconv.ParseFloat(p, 64)
					if err != nil {
						t.Fatalf("file name %s: %v", base, err)
					}
					params = append(params, v)
				}
				tol, ok := goldenTolerance[name]
				if !ok {
					t.Fatalf("no tolerance for %s", name)
				}
				ind, err := New(name, params...)
				if err != nil {
					t.Fatal(err)
				}
				header, rows := readGolden(t, file)
				compareGolden(t, ind, candles, header, rows, tol)
			})
		}
	}
}

func compareGolden(t *testing.T, ind Indicator, candles []Candle, header []string, rows map[int][]float64, tol float64) {
	t.Helper()
	mo, multi := ind.(MultiOutput)
	if multi && strings.Join(mo.Outputs(), ",") != strings.Join(header, ",") {
		t.Fatalf("outputs %v, golden columns %v", mo.Outputs(), header)
	}
	worst, compared := 0.0, 0
	for bar, c := range candles {
		ind.Update(c)
		want, ok := rows[bar]
		if ind.Ready() != ok {
			t.Fatalf("bar %d: Ready() = %v, reference has a value: %v", bar, ind.Ready(), ok)
		}
		if !ok {
			continue
		}
		for j, w := range want {
			got := ind.Value()
			if multi {
				got = mo.Output(j)
			}
			d := math.Abs(got-w) / math.Max(1, math.Abs(w))
			if math.IsNaN(got) || d > tol {
				t.Fatalf("bar %d %s: got %.12g, want %.12g (error %.3g > %.3g)", bar, header[j], got, w, d, tol)
			}
			worst = math.Max(worst, d)
		}
		compared++
	}
	if compared == 0 {
		t.Fatal("no bar compared")
	}
	t.Logf("%d bars, largest relative error %.3g", compared, worst)
}

func readCandles(t *testing.T, path string) []Candle {
	t.Helper()
	_, rows := readCSV(t, path)
	out := make([]Candle, len(rows))
	for i, r := range rows {
		out[i] = Candle{Open: r[0], High: r[1], Low: r[2], Close: r[3], Volume: r[4]}
	}
	return out
}

// readGolden returns the output columns and the values by bar.
func readGolden(t *testing.T, path string) ([]string, map[int][]float64) {
	t.Helper()
	header, rows := readCSV(t, path)
	byBar := make(map[int][]float64, len(rows))
	for _, r := range rows {
		byBar[int(r[0])] = r[1:]
	}
	return header[1:], byBar
}

func readCSV(t *testing.T, path string) ([]string, [][]float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	header := strings.Split(sc.Text(), ",")
	var rows [][]float64
	for line := 2; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), ",")
		row := make([]float64, len(fields))
		for i, s := range fields {
			if row[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s line %d: %v", path, line, err)
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return header, rows
}
