package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/internal/testenv"
	"gopkg.in/yaml.v3"
)

func noEnv(string) (string, bool) { return "", false }

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := Load("config.example.yaml", tradebot.ExampleConfig, noEnv)
	if err != nil {
		t.Fatalf("the shipped example does not load:\n%v", err)
	}
	if cfg.Mode != ModePaper || len(cfg.Strategies) < 2 {
		t.Fatalf("example: mode %s with %d strategies, want paper with at least 2", cfg.Mode, len(cfg.Strategies))
	}
	for _, s := range cfg.Strategies {
		if s.StrategyParams() == nil {
			t.Errorf("strategy %s: params not decoded", s.Name)
		}
	}
}

const threeMistakes = `mode: paper
paper:
  speed: 60
  sped: 10
strategies:
  - name: a
    type: sma_cross
    product: BTC-USD
    size: {quote: 100}
    params: {fast: 30, slow: 10}
    exits: {stop_loss: {percent: 1}}
  - name: b
    type: breakout
    product: BTC-USD
    size: {quote: 100, base: 1}
    exits: {stop_loss: {percent: 1}}
`

func TestCheckReportsEveryMistakeWithItsLine(t *testing.T) {
	_, err := Load("bad.yaml", []byte(threeMistakes), noEnv)
	checkProblems(t, "bad.yaml", err, []problemAt{
		{4, "paper.sped", ""},
		{10, "strategies[0].params.slow", ""},
		{15, "strategies[1].size", ""},
	})
}

// problemAt is a problem Load must report: its line, its field and part
// of its message.
type problemAt struct {
	line  int
	field string
	says  string
}

// checkProblems checks that err from loading file lists exactly the
// problems want, in order, each named with the file, line and field.
func checkProblems(t *testing.T, file string, err error, want []problemAt) {
	t.Helper()
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	if len(cerr.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(cerr.Problems), len(want), err)
	}
	for i, w := range want {
		p := cerr.Problems[i]
		if p.Line != w.line || p.Field != w.field || !strings.Contains(p.Msg, w.says) {
			t.Errorf("problem %d = line %d field %q (%s), want line %d field %q saying %q", i, p.Line, p.Field, p.Msg, w.line, w.field, w.says)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%s: line %d: %s", file, w.line, w.field)) {
			t.Errorf("message does not name file, line and field %q:\n%v", w.field, err)
		}
	}
}

func TestUnknownKeysAreErrorsEverywhere(t *testing.T) {
	doc := `mode: paper
risk:
  limits:
    max_order_notionl: 5
strategies:
  - name: a
    type: sma_cross
    product: BTC-USD
    size: {quote: 100}
    params: {fats: 3}
    exits:
      stop_los: {percent: 1}
`
	_, err := Load("x.yaml", []byte(doc), noEnv)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	lines := map[int]bool{}
	for _, p := range cerr.Problems {
		lines[p.Line] = true
	}
	for _, l := range []int{4, 10, 12} {
		if !lines[l] {
			t.Errorf("no problem reported at line %d:\n%v", l, err)
		}
	}
}

func TestEnvironmentExpansionInValuesOnly(t *testing.T) {
	doc := `mode: live
state_dir: ${STATE}
coinbase:
  key_name: ${KEY_NAME}
  private_key: "${PEM}"
  rest_url: ${REST:-http://127.0.0.1:1/api/v3/brokerage}
strategies:
  - {name: a, type: sma_cross, product: BTC-USD, size: {quote: 100}, exits: {stop_loss: {percent: 1}}}
`
	env := map[string]string{"STATE": "/tmp/state", "KEY_NAME": "organizations/o/apiKeys/k",
		"PEM": "-----BEGIN EC PRIVATE KEY-----\nabc: {x}\n-----END EC PRIVATE KEY-----\n"}
	cfg, err := Load("x.yaml", []byte(doc), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StateDir != "/tmp/state" || cfg.Coinbase.PrivateKey.Reveal() != env["PEM"] {
		t.Errorf("expansion: state_dir %q, key %q", cfg.StateDir, cfg.Coinbase.PrivateKey.Reveal())
	}
	if cfg.Coinbase.RESTURL != "http://127.0.0.1:1/api/v3/brokerage" {
		t.Errorf("default not applied: %q", cfg.Coinbase.RESTURL)
	}
	if s := fmt.Sprintf("%v %+v %#v", cfg.Coinbase, cfg.Coinbase, cfg.Coinbase); strings.Contains(s, "BEGIN EC") {
		t.Errorf("the private key prints: %s", s)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "BEGIN EC") {
		t.Errorf("the config as YAML holds the private key:\n%s", out)
	}

	_, err = Load("x.yaml", []byte(doc), noEnv)
	if err == nil || !strings.Contains(err.Error(), "line 2: state_dir: environment variable STATE is not set") {
		t.Errorf("unset variable not reported with its line: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(tradebot.ExampleConfig)
	f.Add([]byte(threeMistakes))
	f.Add([]byte("mode: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load("fuzz.yaml", data, noEnv)
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
		if err != nil && cfg != nil {
			t.Fatal("config with error")
		}
	})
}

// A band multiplier under the 0.1 the message names is refused, not only
// one at or under zero: bollinger_reversion's k and supertrend's multiplier
// once let 0 < k < 0.1 through while saying "must be at least 0.1".
func TestBandMultipliersUnderTheirMinimumAreProblemsWithTheirLine(t *testing.T) {
	doc := `mode: paper
strategies:
  - name: bb
    type: bollinger_reversion
    product: BTC-USD
    size: {quote: 100}
    params: {period: 20, k: 0.05, interval: 15m}
    exits: {stop_loss: {percent: 1}}
  - name: st
    type: supertrend
    product: BTC-USD
    size: {quote: 100}
    params:
      period: 10
      multiplier: 0.01
      interval: 1h
    exits: {stop_loss: {percent: 1}}
  - name: nan
    type: bollinger_reversion
    product: BTC-USD
    size: {quote: 100}
    params: {period: 20, k: .nan, interval: 15m}
    exits: {stop_loss: {percent: 1}}
`
	_, err := Load("bands.yaml", []byte(doc), noEnv)
	checkProblems(t, "bands.yaml", err, []problemAt{
		{7, "strategies[0].params.k", "must be at least 0.1, got 0.05"},
		{15, "strategies[1].params.multiplier", "must be at least 0.1, got 0.01"},
		{22, "strategies[2].params.k", "must be at least 0.1, got NaN"},
	})
}

// loop_stall_after out of its range is a problem naming the key, its
// line and the range; the default is 5m.
func TestLoopStallAfterMustBeBetween5sAnd1h(t *testing.T) {
	ok := "mode: paper\nloop_stall_after: %s\n" + oneStrategy
	for _, v := range []string{"5s", "5m", "1h"} {
		cfg, err := Load("ok.yaml", []byte(fmt.Sprintf(ok, v)), noEnv)
		if err != nil {
			t.Errorf("loop_stall_after: %s: %v", v, err)
			continue
		}
		if want, _ := time.ParseDuration(v); cfg.LoopStallAfter != want {
			t.Errorf("loop_stall_after: %s loads as %s", v, cfg.LoopStallAfter)
		}
	}
	for _, v := range []string{"4s", "0s", "-1m", "2h"} {
		_, err := Load("bad.yaml", []byte(fmt.Sprintf(ok, v)), noEnv)
		checkProblems(t, "bad.yaml", err, []problemAt{{2, "loop_stall_after", "must be between 5s and 1h, got"}})
	}
	cfg, err := Load("default.yaml", []byte("mode: paper\n"+oneStrategy), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LoopStallAfter != 5*time.Minute {
		t.Errorf("loop_stall_after defaults to %s, want 5m", cfg.LoopStallAfter)
	}
}

// A decimal that does not parse is a problem at its line and field like
// any other value of the wrong type, and the problems after it are still
// all listed: yaml.v3 stops decoding the document at a decimal's own
// error, which once lost every later problem, named no line or field,
// and made the strategies that were never decoded "missing".
func TestAnUnreadableDecimalIsOneProblemAmongTheOthers(t *testing.T) {
	doc := `mode: paper
shutdown_timeout: 10 parsecs
risk:
  limits:
    max_order_notional: abc
paper:
  speed: fast
  balances: {USDT: lots}
  fees:
    maker: [1]
strategies:
  - name: a
    type: sma_crosss
    product: BTC-USD
    size: {quote: 100}
    exits: {stop_loss: {percent: 1}}
  - name: b
    type: sma_cross
    product: BTC-USD
    size: {quote: 100}
    params: {fast: x, slow: 20}
    exits: {stop_loss: {percent: abc}}
`
	_, err := Load("bad.yaml", []byte(doc), noEnv)
	checkProblems(t, "bad.yaml", err, []problemAt{
		{2, "shutdown_timeout", `"10 parsecs" is not a duration such as 30s, 5m or 1h`},
		{5, "risk.limits.max_order_notional", `"abc" is not a decimal number`},
		{7, "paper.speed", `"fast" is not a number`},
		{8, "paper.balances.USDT", `"lots" is not a decimal number`},
		{10, "paper.fees.maker", `a list is not a decimal number`},
		{13, "strategies[0].type", `unknown strategy type "sma_crosss" (known: bollinger_reversion, breakout, dca, ema_cross, grid, macd, rsi_reversion, rules, sma_cross, supertrend)`},
		{21, "strategies[1].params.fast", `"x" is not a whole number`},
		{22, "strategies[1].exits.stop_loss.percent", `"abc" is not a decimal number`},
	})
}

// A value a type refuses with a message of its own (a trading state's)
// names its field too, found by the value the message quotes.
func TestATypesOwnRefusalNamesItsField(t *testing.T) {
	doc := `mode: paper
risk:
  loss:
    daily_loss: {limit: 250, action: PANIC}
` + oneStrategy
	_, err := Load("state.yaml", []byte(doc), noEnv)
	checkProblems(t, "state.yaml", err, []problemAt{{4, "risk.loss.daily_loss.action", `trading state "PANIC": must be ACTIVE, REDUCING or HALTED`}})
}

// A file that is not a mapping of settings is that one problem, not the
// defaults' ("at least one strategy instance is needed").
func TestAFileThatIsNotAMappingIsOneProblem(t *testing.T) {
	_, err := Load("prices.csv", []byte("time,open,high\n1,2,3\n"), noEnv)
	checkProblems(t, "prices.csv", err, []problemAt{{1, "", "the file is not a YAML mapping of settings"}})
}

// A paper.recording the daemon could not replay is a problem of the
// config, as a missing one is: a file of no format tradebot reads, and a
// candle file that names no product (backtest takes it with --product,
// which run has not). Both once passed the check and stopped the daemon
// as it started, the second advising a --product flag run does not take.
func TestAPaperRecordingTheDaemonCannotReplayIsAProblem(t *testing.T) {
	dir := t.TempDir()
	candles := filepath.Join(dir, "btc-1m.csv")
	junk := filepath.Join(dir, "notes.txt")
	recording := filepath.Join(testenv.RepoRoot(), "testdata", "coinbase-exchange-20210417.tbrec")
	for path, body := range map[string]string{
		candles: "timestamp,open,high,low,close,volume\n2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295\n",
		junk:    "hello world\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	doc := "mode: paper\npaper:\n  recording: %s\n" + oneStrategy
	for _, c := range []struct{ file, says string }{
		{candles, "is a nautilus-bars-csv file, which names no product: paper mode replays files whose ticks name theirs"},
		{junk, "unrecognised market data format"},
	} {
		_, err := Load("paper.yaml", []byte(fmt.Sprintf(doc, c.file)), noEnv)
		checkProblems(t, "paper.yaml", err, []problemAt{{3, "paper.recording", c.says}})
	}
	if _, err := Load("paper.yaml", []byte(fmt.Sprintf(doc, recording)), noEnv); err != nil {
		t.Errorf("a tradebot recording is refused: %v", err)
	}
}

// A stop_loss_cooldown.exit_reasons entry no round trip can end under (a
// typo) is a problem at its line: the cooldown would never count a round
// trip, and so never pause. An exit rule's reason, or one a strategy
// declares, is taken.
func TestACooldownReasonNoRoundTripEndsUnderIsAProblem(t *testing.T) {
	doc := `mode: paper
risk:
  stop_loss_cooldown: {stop_losses: 3, window: 10m, pause: 2m, exit_reasons: [stop_loss, stop_los]}
` + oneStrategy
	_, err := Load("cooldown.yaml", []byte(doc), noEnv)
	checkProblems(t, "cooldown.yaml", err, []problemAt{{3, "risk.stop_loss_cooldown.exit_reasons[1]", `"stop_los" is neither an exit rule's reason nor one a strategy declares`}})
	for _, reasons := range []string{"[stop_loss, fallback, unknown]", "[trailing_stop]"} {
		ok := strings.Replace(doc, "[stop_loss, stop_los]", reasons, 1)
		if _, err := Load("cooldown.yaml", []byte(ok), noEnv); err != nil {
			t.Errorf("exit_reasons: %s: %v", reasons, err)
		}
	}
	grid := gridBase + `risk:
  stop_loss_cooldown: {stop_losses: 3, window: 10m, pause: 2m, exit_reasons: [grid_sell]}
`
	if _, err := Load("grid.yaml", []byte(grid), noEnv); err != nil {
		t.Errorf("a reason the grid declares is refused: %v", err)
	}
	// A grid whose params are in error declares nothing: that is its
	// problem, and grid_sell is not refused for it.
	broken := strings.Replace(grid, "upper: ", "upper: -", 1)
	if _, err := Load("grid.yaml", []byte(broken), noEnv); err == nil || strings.Contains(err.Error(), "exit_reasons") {
		t.Errorf("a grid whose params are in error: %v; want its params' problem alone", err)
	}
	off := strings.Replace(doc, "stop_losses: 3", "stop_losses: 0", 1)
	if _, err := Load("cooldown.yaml", []byte(off), noEnv); err != nil {
		t.Errorf("a cooldown that is off is judged by its reasons: %v", err)
	}
}

// A live config may leave the key out: COINBASE_API_KEY_NAME and
// COINBASE_API_PRIVATE_KEY, COINBASE_API_KEY_FILE and a systemd
// credential give it too (README, "API keys"), and the daemon, which
// reads them, says when none is set. The config once refused every
// such config ("live mode needs a key"), so those ways never ran.
func TestALiveConfigMayLeaveTheKeyToTheEnvironment(t *testing.T) {
	doc := "mode: live\nstate_dir: /tmp/state\n" + oneStrategy
	if _, err := Load("live.yaml", []byte(doc), noEnv); err != nil {
		t.Errorf("a live config without a key is refused: %v", err)
	}
}
