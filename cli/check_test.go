package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/internal/testenv"
)

// TestCheckFindsWhatRunWouldRefuse writes the example config with one
// mistake at a time into a real file and runs `tradebot check` on it:
// each mistake is reported with its line and field, and exits 2.
func TestCheckFindsWhatRunWouldRefuse(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	aFile := filepath.Join(dir, "state-is-a-file")
	brokenWeb := filepath.Join(dir, "web.yml")
	for path, body := range map[string]string{aFile: "x", brokenWeb: "no_such_setting: 1\n"} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		old, new string // a line of the example and what replaces it
		want     string // in the output, after "line N: " of the new line
	}{
		{"listen address", `  listen_address: 127.0.0.1:9464`, `  listen_address: not an address`, `web.listen_address: "not an address" is not host:port`},
		{"listen port", `  listen_address: 127.0.0.1:9464`, `  listen_address: 127.0.0.1:http2`, `web.listen_address: "127.0.0.1:http2": the port must be a number`},
		{"state_dir is a file", `state_dir: ""`, `state_dir: ` + aFile, `state_dir: ` + aFile + ` is a file, not a directory`},
		{"size above max_order_notional", `    size: {quote: 500}`, `    size: {quote: 5000}`, `strategies[0].size.quote: 5000 is above risk.limits.max_order_notional 1000`},
		{"quote 1e400", `    size: {quote: 500}`, `    size: {quote: 1e400}`, `strategies[0].size.quote: 1000000000000000000000000000000`},
		{"kill-switch file in a missing directory", `  file: ""`, `  file: ` + filepath.Join(dir, "missing", "halt"), `kill_switch.file: the directory of ` + filepath.Join(dir, "missing", "halt") + ` does not exist`},
		{"recording that is not there", `  recording: bundled`, `  recording: ` + filepath.Join(dir, "missing.tbrec"), `paper.recording: cannot read ` + filepath.Join(dir, "missing.tbrec") + `: no such file`},
		{"broken web config", `  config_file: ""`, `  config_file: ` + brokenWeb, `web.config_file: ` + brokenWeb + `: line 1: field no_such_setting not found`},
		{"a duration that is not one", `shutdown_timeout: 10s`, `shutdown_timeout: ten seconds`, `shutdown_timeout: "ten sec..." is not a duration such as 30s, 5m or 1h`},
		{"YAML syntax", `  level: info`, `  level: [info`, `YAML syntax: `},
		{"not UTF-8", `  level: info`, "  level: inf\xff", `column 13: byte 0xff is not UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := replaceLine(t, string(example), tt.old, tt.new)
			line := lineOf(text, tt.new)
			out := checkOutput(t, text)
			want := fmt.Sprintf("line %d: %s", line, tt.want)
			if tt.name == "YAML syntax" {
				// The parser names the line where it noticed, which may
				// be a later one.
				want = tt.want
				if !regexp.MustCompile(`line \d+: YAML syntax: `).MatchString(out) {
					t.Errorf("no line in %q", out)
				}
			}
			if !strings.Contains(out, want) {
				t.Errorf("check output lacks %q:\n%s", want, out)
			}
		})
	}
}

// A value of many megabytes is echoed cut to 80 characters, never whole.
func TestCheckEchoesAHugeValueCut(t *testing.T) {
	huge := strings.Repeat("x", 5<<20)
	out := checkOutput(t, "mode: "+huge+"\nstrategies: []\n")
	if !strings.Contains(out, "line 1: mode: must be paper or live") || len(out) > 2000 {
		t.Errorf("output of %d bytes, want the mode problem cut short:\n%.500s", len(out), out)
	}
	if strings.Contains(out, strings.Repeat("x", 81)) {
		t.Error("the value is echoed longer than 80 characters")
	}
}

// A config broken in several ways lists every problem in one pass: an
// unknown key, a value of the wrong type and values out of range alike.
func TestCheckListsTypeErrorsAndRangeErrorsTogether(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(example)
	text = replaceLine(t, text, `shutdown_timeout: 10s`, `shutdown_timeout: soon`)
	text = replaceLine(t, text, `  level: info`, `  level: loud`)
	text = replaceLine(t, text, `  listen_address: 127.0.0.1:9464`, `  listen_address: nowhere`)
	text = replaceLine(t, text, `    size: {quote: 500}`, `    size: {quote: 500, coins: 3}`)
	out := checkOutput(t, text)
	for _, want := range []string{
		fmt.Sprintf("line %d: shutdown_timeout: \"soon\" is not a duration", lineOf(text, "shutdown_timeout: soon")),
		fmt.Sprintf("line %d: log.level: must be debug, info, warn or error", lineOf(text, "  level: loud")),
		fmt.Sprintf("line %d: web.listen_address:", lineOf(text, "  listen_address: nowhere")),
		fmt.Sprintf("line %d: strategies[0].size.coins: unknown field", lineOf(text, "    size: {quote: 500, coins: 3}")),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "shutdown_timeout: must be between") {
		t.Errorf("the field that did not decode is also judged by its default:\n%s", out)
	}
}

func replaceLine(t *testing.T, text, old, new string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(old) + `(\s+#.*)?$`)
	if !re.MatchString(text) {
		t.Fatalf("the example has no line %q", old)
	}
	done := false
	return re.ReplaceAllStringFunc(text, func(m string) string {
		if done {
			return m
		}
		done = true
		return new
	})
}

func lineOf(text, line string) int {
	for i, l := range strings.Split(text, "\n") {
		if l == line {
			return i + 1
		}
	}
	return 0
}

func checkOutput(t *testing.T, text string) string {
	t.Helper()
	_, stderr := runCheck(t, text, exitUsage)
	return stderr
}

// runCheck runs `tradebot check` on text written to config.yaml, which
// must exit with code, and returns its output.
func runCheck(t *testing.T, text string, code int) (stdout, stderr string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if got := run([]string{"check", "--config", path}, &out, &errs); got != code {
		t.Fatalf("exit %d, want %d; stdout %q, stderr:\n%.2000s", got, code, out.String(), errs.String())
	}
	return out.String(), errs.String()
}

// TestCheckWarnsOfAnEntrySizeTheVenueRefuses: a strategy whose size is
// worth less than its product's quote_min_size (or more than
// quote_max_size) passes the check, exit 0, with a warning naming the
// file, the line, the field and the strategy: every entry it asks for
// would be refused. A base size is valued at the first price of the
// recording the paper replay plays (the bundled one, BTC-USDT at
// 61,837.64); until 2026-12-07 it was held to its own bounds only.
func TestCheckWarnsOfAnEntrySizeTheVenueRefuses(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ size, want string }{
		{"quote: 0.5", ": line 83: strategies[0].size.quote: strategy btc-sma's entries: 0.5 USDT is less than BTC-USDT's quote_min_size 1 USDT; the venue would refuse them\n"},
		{"base: 0.00001", ": line 83: strategies[0].size.base: strategy btc-sma's entries: 0.00001 BTC is worth 0.6183764 USDT at 61837.64 (the recording's first price), less than BTC-USDT's quote_min_size 1 USDT; the venue would refuse them\n"},
		{"quote: 500", ""},
		{"base: 0.0001", ""},
	} {
		text := replaceLine(t, string(example), `    size: {quote: 500}`, `    size: {`+c.size+`}`)
		got := checkWarnings(t, text)
		if c.want != "" && !strings.Contains(got, "config.yaml"+c.want) || c.want == "" && strings.Contains(got, "warning") {
			t.Errorf("size %s: output %q, want the warning %q", c.size, got, c.want)
		}
	}
}

// TestCheckWarnsOfADCAsOrderQuoteTheVenueRefuses: dca spends order_quote,
// not size:, in its scheduled buys (and order_quote × safety_scale in its
// first safety buy): one under the product's quote_min_size is named by
// its own field. Until 2026-12-07 check did not look at it.
func TestCheckWarnsOfADCAsOrderQuoteTheVenueRefuses(t *testing.T) {
	text := `mode: paper
paper:
  products:
    - {id: BTC-USDT, base_increment: 0.00000001, quote_increment: 0.01, price_increment: 0.01,
       base_min_size: 0.00001, base_max_size: 3400, quote_min_size: 10, quote_max_size: 150000000}
strategies:
  - name: stack
    type: dca
    product: BTC-USDT
    size: {quote: 100}
    params: {every: 12h, order_quote: 5, safety_orders: 3, safety_step_percent: 2, safety_scale: 1.5, take_profit_percent: 1.5}
    exits: {placement: bot, stop_loss: {percent: 8}}
`
	got := checkWarnings(t, text)
	for _, want := range []string{
		"strategies[0].params.order_quote: strategy stack's scheduled buy: 5 USDT is less than BTC-USDT's quote_min_size 10 USDT",
		"strategies[0].params.order_quote: strategy stack's safety buy 1 (order_quote × safety_scale^1): 7.5 USDT is less than BTC-USDT's quote_min_size 10 USDT",
	} {
		if !strings.Contains(got, "/config.yaml: line 11: ") || !strings.Contains(got, want) {
			t.Errorf("check output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "safety buy 3") {
		t.Errorf("the last safety buy, 16.875, is within the bounds:\n%s", got)
	}
}

// checkWarnings runs `tradebot check` on text, which must pass (exit 0),
// and returns its output.
func checkWarnings(t *testing.T, text string) string {
	t.Helper()
	stdout, _ := runCheck(t, text, 0)
	return stdout
}
