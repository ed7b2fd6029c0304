package backtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseSweep: any --sweep text either parses into axes that each have
// a strategy, a path and non-empty values, or is refused; never a panic.
func FuzzParseSweep(f *testing.F) {
	for _, s := range []string{
		"btc-sma.params.fast=3,5,8;btc-sma.params.slow=10,20",
		"btc-breakout.exits.stop_loss.percent=0.5,1",
		"a.b=1;", "=", ";;", "x.y=,", "a.b.c=1,2,3;d.e=4",
		"btc-sma.params.fast=3..12", "a.b=0.5..2:0.25", "a.b=5..3", "a.b=1..2:0", "a.b=..", "a.b=1e9..2e9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		axes, err := ParseSweep(spec)
		if err != nil {
			return
		}
		if len(axes) == 0 {
			t.Fatalf("%q parsed into no axes without an error", spec)
		}
		for _, a := range axes {
			if a.Strategy == "" && len(a.Path) == 0 || len(a.Values) == 0 {
				t.Fatalf("%q: axis %+v", spec, a)
			}
			for _, v := range a.Values {
				if v == "" || strings.ContainsAny(v, ",;") {
					t.Fatalf("%q: value %q", spec, v)
				}
			}
		}
	})
}

// FuzzReadSweepSlice: any sweep.csv given to 'tradebot sweep merge' is
// read into rows or refused with the file and line; never a panic.
func FuzzReadSweepSlice(f *testing.F) {
	head := "rank,combination,btc-sma.params.fast," + strings.Join(sweepColumns, ",") + "\n"
	f.Add(head + "1,2,3,6,0.5,-30.9,29.1,9969.1,30.9,0.003,-50.4,-18.4,0.33,4,\n")
	f.Add(head + "1,1,x,0,0,0,0,0,0,0,0,0,0,0,\"config: line 59: bad\"\n")
	f.Add(head + "1,a,3,b,c,d,e,f,g,h,i,j,k,l,\n")
	f.Add("rank\n1\n")
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		meta := `{"axes":[{"key":"btc-sma.params.fast","values":["3"]}],"rank_by":"pnl","combinations":1,"grid":1,"shard":"1/1","rows":1}`
		if err := os.WriteFile(filepath.Join(dir, SweepJSON), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, SweepCSV), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, rows, _, err := readSweep(dir); err == nil && len(rows) != 1 {
			t.Fatalf("%d rows read without an error, sweep.json says 1", len(rows))
		}
	})
}
