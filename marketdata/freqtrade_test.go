package marketdata

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// freqtradeRun is what a freqtrade reader yields for a text: each
// candle with the line the stream would name, then the final error.
func freqtradeRun(body string, careful bool) []string {
	r := newFreqtradeReader("f.json", bufio.NewReaderSize(strings.NewReader(body), 64))
	r.careful = careful
	var out []string
	for i := 0; i < 10000; i++ {
		c, err := r.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				out = append(out, "error: "+err.Error())
			}
			return out
		}
		out = append(out, fmt.Sprintf("line %d: %s %s %s %s %s %s (exp %d %d %d %d %d)", r.line(), c.Start, c.Open, c.High, c.Low, c.Close, c.Volume,
			c.Open.Exponent(), c.High.Exponent(), c.Low.Exponent(), c.Close.Exponent(), c.Volume.Exponent()))
	}
	return out
}

// FuzzFreqtradeQuickRowsMatchTheCarefulPath checks that the quick row
// readers (quickRow, fastRow) yield exactly what the careful path
// yields: the same candles, lines and errors. The reader's buffer is
// small, so rows also straddle chunks.
func FuzzFreqtradeQuickRowsMatchTheCarefulPath(f *testing.F) {
	for _, s := range []string{
		"[[1509836520000, 0.00162008, 0.00162008, 0.00162008, 0.00162008, 108.14853839], [1509836580000, 0.00161, 0.00161, 0.00161, 0.00161, 82.390199]]",
		"[[1509836520000, 1e-05, 2e-05, 1e-05, 2e-05, 0], [1509836580000,1,2,0.5,1,3]]",
		"[\n [1, 2, 3, 1, 2, 4],\n [2, 2,\n 3, 1, 2, 4],\n\t[3, 2, 3, 1, 2, 4]\n]\n",
		"[[1, 2, 3, 1, 2, 4], [2, 2 3, 1, 2, 4]]",
		"[[1, 2, 3, 1, 2, 4], [2, 2, 3, 1, 2]]",
		"[[1, 2, 3, 1, 2, 4], [2, , 3, 1, 2, 4]]",
		"[[1, 2, 3, 1, 2, 4], [2, 2, 3, 1, 2, 4, 5]]",
		"[[1, 2, 3, 1, 2, 4], [99999999999999999, 2, 3, 1, 2, 4]]",
		"[[1, 2, 3, 1, 2, 4], [2, 2\t, 3, 1, 2, 4]]",
		"[[1, 2, 3, 1, 2, 4], [2, -2, 3, 1, 2, x]]",
		"[[1, 2, 3, 1, 2, 4] [2, 2, 3, 1, 2, 4]]",
		"[[1, 2, 3, 1, 2, 4]] x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		quick, careful := freqtradeRun(body, false), freqtradeRun(body, true)
		if strings.Join(quick, "\n") != strings.Join(careful, "\n") {
			t.Fatalf("%q\nquick paths:\n%s\ncareful path:\n%s", body, strings.Join(quick, "\n"), strings.Join(careful, "\n"))
		}
	})
}
