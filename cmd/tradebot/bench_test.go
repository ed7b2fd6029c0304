//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradebot/tradebot/internal/testenv"
)

const monthFile = "data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv"

// yearOfCandles writes a year of one-minute candles into dir: the month
// of monthFile twelve times, each copy moved on by the month's span, so
// that the times go on increasing (prices jump at the seams). About 39 MB:
// made by the benchmark, never committed.
func yearOfCandles(b *testing.B, dir string) (path string, candles int) {
	b.Helper()
	src, err := os.ReadFile(testenv.SharedFile(b, monthFile))
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(src)), "\n")
	const layout = "2006-01-02 15:04:05.000000"
	stamp := func(line string) time.Time {
		t, err := time.Parse(layout, line[:strings.IndexByte(line, ',')])
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	span := stamp(lines[len(lines)-1]).Sub(stamp(lines[1])) + time.Minute
	path = filepath.Join(dir, "year.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, lines[0])
	for k := 0; k < 12; k++ {
		for _, line := range lines[1:] {
			comma := strings.IndexByte(line, ',')
			fmt.Fprintf(w, "%s%s\n", stamp(line).Add(time.Duration(k)*span).Format(layout), line[comma:])
			candles++
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, candles
}

// BenchmarkBacktestProcess runs the built tradebot binary as a user
// does, whole process (start, config, reading and parsing the file on a
// second goroutine, the run, the reports), on the month of one-minute
// candles with and without reports and on a year of them. Besides the
// wall time per run it reports the CPU time (user + system) per run,
// which the load of a shared machine inflates less, the peak resident
// memory of the runs (maxrss) and the candles per second of the whole
// process.
func BenchmarkBacktestProcess(b *testing.B) {
	// Built without the race detector, as users build it, into the
	// benchmark's own directory, which goes when it ends.
	bin, err := testenv.BuildTradebot(b.TempDir(), false)
	if err != nil {
		b.Fatal(err)
	}
	month := testenv.SharedFile(b, monthFile)
	year, yearCandles := yearOfCandles(b, b.TempDir())
	help, _ := exec.Command(bin, "backtest", "-h").CombinedOutput()
	canSkipReports := strings.Contains(string(help), "-report")
	cases := []struct {
		name    string
		data    string
		candles int
		args    []string
	}{
		{"month/reports", month, 45031, nil},
		{"month/no-reports", month, 45031, []string{"--report", "none"}},
		{"year/reports", year, yearCandles, nil},
		{"year/no-reports", year, yearCandles, []string{"--report", "none"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if len(c.args) > 0 && !canSkipReports {
				b.Skip("this tradebot has no --report flag")
			}
			out := b.TempDir()
			args := append([]string{"backtest", "--config", "../../backtest/testdata/sma-exits.yaml", "--data", c.data,
				"--product", "BTC-USD", "--out", out}, c.args...)
			var cpu time.Duration
			var maxRSS int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(bin, args...)
				if msg, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, msg)
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
				maxRSS = max(maxRSS, ru.Maxrss)
			}
			b.StopTimer()
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "wall-ms/op")
			b.ReportMetric(float64(maxRSS)/1024, "maxrss-MiB")
			b.ReportMetric(float64(c.candles)*float64(b.N)/b.Elapsed().Seconds(), "candles/s")
		})
	}
}
