package cli

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/internal/emutest"
)

// startEmulator runs a Coinbase emulator on loopback for the test.
func startEmulator(t *testing.T, candles []exchange.Candle) *emulator.Emulator {
	t.Helper()
	return emutest.Start(t, emulator.Options{Candles: candles, RateLimits: emulator.RateLimits{Disabled: true}})
}

func TestDownloadThenBacktestTheCandles(t *testing.T) {
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var candles []exchange.Candle
	price := decimal.NewFromInt(60000)
	for i := 0; i < 400; i++ {
		step := decimal.NewFromInt(int64(i%7) - 3)
		o, c := price, price.Add(step)
		candles = append(candles, exchange.Candle{ProductID: "BTC-USD", Start: start.Add(time.Duration(i) * time.Minute),
			Interval: time.Minute, Open: o, Close: c, High: decimal.Max(o, c).Add(decimal.NewFromInt(2)),
			Low: decimal.Min(o, c).Sub(decimal.NewFromInt(2)), Volume: decimal.RequireFromString("1.5")})
		price = c
	}
	emu := startEmulator(t, candles)
	out := filepath.Join(t.TempDir(), "btc.jsonl")
	args := []string{"download", "--product", "BTC-USD", "--granularity", "ONE_MINUTE", "--from", "2024-03-01T00:00:00Z",
		"--to", "2024-03-01T06:40:00Z", "--out", out, "--rest-url", emu.RESTURL()}
	for i, want := range []string{"400 candle(s)", "0 candle(s)"} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i+1, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("run %d: %q lacks %q", i+1, stdout.String(), want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"backtest", "--config", "../backtest/testdata/sma-exits.yaml", "--data", out, "--out", t.TempDir()}, &stdout, &stderr); code != 0 {
		t.Fatalf("backtest of the download: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "1600 (candle path low-first") {
		t.Errorf("backtest of 400 candles:\n%s", stdout.String())
	}
}

func TestRecordCommandStopsAfterDuration(t *testing.T) {
	emu := startEmulator(t, nil)
	out := filepath.Join(t.TempDir(), "feed.tbrec")
	var stdout, stderr bytes.Buffer
	code := run([]string{"record", "--products", "BTC-USD", "--out", out, "--market-data-url", emu.MarketDataURL(),
		"--duration", "300ms"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "recorded to "+out) {
		t.Errorf("stdout %q", stdout.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}

// A recorder that cannot reach the feed says so on stderr as it retries,
// rather than wait in silence and end with 0 ticks.
func TestRecordCommandSaysWhyNothingIsRecorded(t *testing.T) {
	refused := refusedURL(t)
	out := filepath.Join(t.TempDir(), "feed.tbrec")
	var stdout, stderr bytes.Buffer
	code := run([]string{"record", "--products", "BTC-USD", "--out", out, "--market-data-url", refused,
		"--duration", "300ms"}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "0 tick(s) recorded") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "coinbase feed dial failed") || !strings.Contains(stderr.String(), "connection refused") {
		t.Errorf("stderr does not say the feed could not be reached:\n%s", stderr.String())
	}
}

// A recording stops cleanly on SIGHUP, the signal a closing terminal
// sends, as on SIGINT and SIGTERM: its file closed and its count said.
// Before, SIGHUP's default action ended the process on the spot.
func TestRecordCommandStopsCleanlyOnAHangup(t *testing.T) {
	refused := refusedURL(t)
	out := filepath.Join(t.TempDir(), "feed.tbrec")
	cmd := exec.Command(binary(t), "record", "--products", "BTC-USD", "--out", out, "--market-data-url", refused, "--duration", "1h")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The first dial's warning comes from the recording's run, after its
	// signals are set up.
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "coinbase feed dial failed") {
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(stdout.String(), "0 tick(s) recorded to "+out) {
			t.Fatalf("after SIGHUP: %v, stdout %q", err, stdout.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still recording 30s after SIGHUP")
	}
}

// refusedURL is a WebSocket URL on loopback where nothing listens: a
// port just freed, so a dial is refused at once.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "ws://" + ln.Addr().String()
}
