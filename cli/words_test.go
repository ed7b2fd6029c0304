package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/internal/testenv"
)

// goSpeak matches what a user should never have to read in an error: a
// qualified Go name (marketdata.DefaultProduct, journal.Salvage), an
// exported CamelCase identifier (TradingStateNotActive), a bare "usage"
// where the message should say what is wrong, and the zero time.
var goSpeak = []*regexp.Regexp{
	regexp.MustCompile(`\b[a-z][a-z0-9]*\.[A-Z][A-Za-z0-9]*\b`),
	regexp.MustCompile(`\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b`),
	regexp.MustCompile(`: usage\b|^usage$|\busage:?$`),
	regexp.MustCompile(`0001-01-01`),
}

// notGo are words the patterns above take for Go but are the user's.
var notGo = regexp.MustCompile(`\b(PnL|WebSocket)\b`)

// badCommandLines are, for every subcommand, command lines a user gets
// wrong: unknown flags, bad values, missing and stray arguments.
func badCommandLines(dir string) [][]string {
	missing := filepath.Join(dir, "missing.yaml")
	damaged := filepath.Join(dir, "damaged.db")
	if err := os.WriteFile(damaged, bytes.Repeat([]byte("not a journal "), 400), 0o600); err != nil {
		panic(err)
	}
	brokenWeb := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(brokenWeb, []byte("no_such_setting: 1\n"), 0o600); err != nil {
		panic(err)
	}
	return [][]string{
		{},
		{"frobnicate"},
		{"run", "--nope"},
		{"run", "--log.format", "xml"},
		{"run", "--config", missing},
		{"run", "stray"},
		{"run", "--web.listen-address", "nope"},
		{"run", "--web.config.file", filepath.Join(dir, "none.yml")},
		{"run", "--web.config.file", brokenWeb},
		{"check", "--nope"},
		{"check", "--config", missing},
		{"check", "stray"},
		{"backtest", "--nope"},
		{"backtest"},
		{"backtest", "--data", "bundled", "--out", dir, "--from", "2024-13-45"},
		{"backtest", "--data", "bundled", "--out", dir, "--from", "2024-08-09", "--to", "2024-08-08"},
		{"backtest", "--data", "bundled", "--out", dir, "--from", strings.Repeat("9", 300)},
		{"backtest", "--data", "bundled", "--out", dir, "--candle-path", "sideways"},
		{"backtest", "--data", "bundled", "--out", dir, "--rank-by", "luck", "--sweep", "x.params.a=1,2"},
		{"backtest", "--data", filepath.Join(dir, "none.csv"), "--out", dir},
		{"sweep"},
		{"sweep", "merge"},
		{"sweep", "frobnicate"},
		{"download", "--nope"},
		{"download"},
		{"download", "--from", "2024-08-09", "--to", "2024-08-08", "--out", filepath.Join(dir, "c.jsonl")},
		{"download", "--from", "yesterday", "--out", filepath.Join(dir, "c.jsonl")},
		{"download", "--granularity", "FORTNIGHT", "--from", "2024-08-08", "--out", filepath.Join(dir, "c.jsonl")},
		{"record", "--nope"},
		{"record"},
		{"positions", "--nope"},
		{"positions", "--format", "xml", "--journal", filepath.Join(dir, "j.db")},
		{"positions", "stray"},
		{"positions", "--config", missing, "--journal", filepath.Join(dir, "j.db")},
		{"positions", "--journal", filepath.Join(dir, "none.db")},
		{"trades", "--nope"},
		{"trades", "stray"},
		{"backtest", "--data", filepath.Join(testenv.RepoRoot(), "testdata", "gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv"), "--out", dir},
		{"positions", "--journal", damaged},
		{"journal"},
		{"journal", "frobnicate"},
		{"journal", "salvage"},
		{"journal", "salvage", "--nope"},
		{"journal", "salvage", filepath.Join(dir, "none.db"), filepath.Join(dir, "new.db")},
		{"health", "--nope"},
		{"health", "--url", "not a url"},
	}
}

// TestErrorsSpeakTheUsersWords runs every subcommand with bad command
// lines and scans what it prints for Go identifiers: an error names the
// flag, the file or the command to type, never the function behind it.
func TestErrorsSpeakTheUsersWords(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range badCommandLines(dir) {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		if code == 0 {
			t.Errorf("tradebot %q: exit 0, want a failure", args)
		}
		msg := strings.ReplaceAll(stderr.String(), dir, "DIR")
		if strings.Contains(msg, strings.Repeat("9", echo.Limit+1)) {
			t.Errorf("tradebot %q echoes a value longer than %d characters whole", args, echo.Limit)
		}
		if testing.Verbose() {
			t.Logf("tradebot %q -> %d\n%s", args, code, msg)
		}
		for _, line := range strings.Split(msg, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "-") {
				continue // a flag's own help line
			}
			line = notGo.ReplaceAllString(line, "")
			for _, re := range goSpeak {
				if m := re.FindString(line); m != "" {
					t.Errorf("tradebot %q prints %q in %q", args, m, line)
				}
			}
		}
	}
}

// Every command's --help (and -h) prints its flags and exits 0, as does
// `tradebot --help`.
func TestEveryHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"run", "--help"}, {"check", "--help"}, {"backtest", "--help"}, {"sweep", "--help"},
		{"sweep", "merge", "--help"}, {"download", "--help"}, {"record", "--help"},
		{"positions", "--help"}, {"trades", "--help"}, {"journal", "--help"}, {"journal", "-h"},
		{"journal", "salvage", "--help"}, {"health", "--help"}, {"version", "--help"}, {"strategies", "--help"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Errorf("tradebot %q: exit %d, want 0; stderr %q", args, code, stderr.String())
		}
		if stdout.Len()+stderr.Len() == 0 {
			t.Errorf("tradebot %q printed nothing", args)
		}
	}
}

// Every command with flags lists them in the error output run was given
// (newFlagSet sets it), never on the process's own stderr, which a
// program calling Run may not show.
func TestEveryFlagListGoesToTheGivenErrorOutput(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--help"}, {"check", "--help"}, {"backtest", "--help"}, {"sweep", "merge", "--help"},
		{"download", "--help"}, {"record", "--help"}, {"positions", "--help"}, {"trades", "--help"}, {"health", "--help"},
	} {
		var stdout, stderr bytes.Buffer
		run(args, &stdout, &stderr)
		if !strings.Contains(stderr.String(), "\n  -") {
			t.Errorf("tradebot %q: no flag listed in the error output given to run: %q", args, stderr.String())
		}
	}
}

func TestVersionFlagAndCommandPrintTheVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-version"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 || stdout.String() != "tradebot "+Version+"\n" {
			t.Errorf("tradebot %q: exit %d, stdout %q; want 0 and %q", args, code, stdout.String(), "tradebot "+Version)
		}
	}
}

// TestMessagesNameTheProgramAsRun runs the command line as a program of
// its own (a user's module calling Main) would be run: the usage, the
// errors and the commands they suggest name that program, not tradebot.
func TestMessagesNameTheProgramAsRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"/opt/bin/mybot", "frobnicate"}, exitUsage, "mybot: unknown command \"frobnicate\""},
		{[]string{"/opt/bin/mybot", "frobnicate"}, exitUsage, "Run 'mybot COMMAND -h'"},
		{[]string{"mybot"}, exitUsage, "mybot: an automated trading daemon"},
		{[]string{"mybot", "journal"}, exitUsage, "mybot: journal needs a subcommand: mybot journal salvage DAMAGED NEW"},
		{[]string{"mybot", "sweep", "frobnicate"}, exitUsage, "(mybot sweep merge --out DIR SLICE_DIR...)"},
		{[]string{"mybot", "health", "--url", "nope"}, exitUsage, "mybot: --url \"nope\""},
		{[]string{"mybot", "backtest", "--help"}, 0, "combine the slices with 'mybot sweep merge'"},
		{[]string{"mybot.exe", "version"}, 0, "mybot " + Version},
		{[]string{"", "version"}, 0, "tradebot " + Version},
		{nil, exitUsage, "tradebot: an automated trading daemon"},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(tc.args, &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%q: exit %d, output %q; want exit %d and %q", tc.args, code, out, tc.code, tc.want)
		}
		if strings.Contains(out, "tradebot") && tc.args != nil && tc.args[0] != "" {
			t.Errorf("%q names tradebot: %q", tc.args, out)
		}
	}
}

// A mistake on the command line is one line in the user's words, with
// exit 2: not the flag package's "flag provided but not defined: -x"
// followed by every flag's defaults.
func TestAFlagMistakeIsOneLineWithExitTwo(t *testing.T) {
	dir := t.TempDir()
	brokenWeb, missingCert := filepath.Join(dir, "web.yml"), filepath.Join(dir, "tls.yml")
	for path, body := range map[string]string{brokenWeb: "no_such_setting: 1\n",
		missingCert: "tls_server_config:\n  cert_file: none.crt\n  key_file: none.key\n"} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backtest", "--nope"}, "tradebot: unknown flag --nope for backtest ('backtest --help' lists them)\n"},
		{[]string{"check", "-nope"}, "tradebot: unknown flag --nope for check ('check --help' lists them)\n"},
		{[]string{"backtest", "--workers"}, "tradebot: --workers needs a value\n"},
		{[]string{"backtest", "--reorder=maybe"}, "tradebot: --reorder=\"maybe\": want true or false\n"},
		{[]string{"check", "--config", filepath.Join(dir, "missing.yaml")}, "tradebot: --config " + filepath.Join(dir, "missing.yaml") + ": no such file\n"},
		{[]string{"run", "--config", dir}, "tradebot: --config " + dir + ": is a directory\n"},
		{[]string{"backtest", "--config", filepath.Join(dir, "missing.yaml"), "--data", "bundled", "--report", "none"}, "tradebot: --config " + filepath.Join(dir, "missing.yaml") + ": no such file\n"},
		{[]string{"trades", "--config", filepath.Join(dir, "missing.yaml")}, "tradebot: --config " + filepath.Join(dir, "missing.yaml") + ": no such file\n"},
		{[]string{"backtest", "--data", filepath.Join(dir, "none.csv"), "--out", dir, "--sweep", "btc-sma.params.fast=3,5", "--walk-forward", "14x"},
			"tradebot: --walk-forward \"14x\": want IN/OUT, the in-sample and out-of-sample lengths, such as 21d/7d or 48h/12h\n"},
		{[]string{"backtest", "--workers", "many"}, "tradebot: --workers \"many\": want a whole number\n"},
		{[]string{"backtest", "--seed", "-1"}, "tradebot: --seed \"-1\": want a whole number, 0 or more\n"},
		{[]string{"health", "--timeout", "soon"}, "tradebot: --timeout \"soon\": want a duration such as 30s, 5m or 1h\n"},
		{[]string{"record", "--products", "BTC-USD", "ETH-USD", "--out", "feed.tbrec"},
			"tradebot: record takes no arguments, got \"ETH-USD --out feed.tbrec\" (several products are one comma-separated --products BTC-USD,ETH-USD)\n"},
		{[]string{"download", "--from", "2024-01-01", "--out", filepath.Join(dir, "c.jsonl"), "stray"}, "tradebot: download takes no arguments, got \"stray\"\n"},
		{[]string{"backtest", "--data", "bundled", "--out", dir, "--rank-by", "luck", "--sweep", "btc-sma.params.fast=3,5"},
			"tradebot: --rank-by \"luck\": want one of pnl, final_equity, sharpe, sortino, win_rate, trades, max_drawdown, max_drawdown_pct, fees\n"},
		{[]string{"run", "--web.listen-address", "nope"}, "tradebot: --web.listen-address \"nope\" is not host:port (e.g. 127.0.0.1:9464)\n"},
		{[]string{"run", "--web.listen-address=127.0.0.1:http2"}, "tradebot: --web.listen-address \"127.0.0.1:http2\": the port must be a number from 0 to 65535\n"},
		{[]string{"run", "--web.config.file", filepath.Join(dir, "none.yml")}, "tradebot: --web.config.file " + filepath.Join(dir, "none.yml") + ": no such file\n"},
		{[]string{"run", "--web.config.file", brokenWeb}, "tradebot: --web.config.file " + brokenWeb + ": line 1: field no_such_setting not found\n"},
		{[]string{"run", "--web.config.file", missingCert}, "tradebot: --web.config.file " + missingCert + ": " + echo.Cut("failed to read cert_file ("+filepath.Join(dir, "none.crt")+"): open "+filepath.Join(dir, "none.crt")+": no such file or directory") + "\n"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != exitUsage || stderr.String() != tc.want || stdout.Len() != 0 {
			t.Errorf("tradebot %q: exit %d, stderr %q, stdout %q; want exit %d and %q", tc.args, code, stderr.String(), stdout.String(), exitUsage, tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"backtest", "--help"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stderr.String()+stdout.String(), "flags of backtest") {
		t.Errorf("backtest --help: exit %d, %q; want 0 and the list under 'flags of backtest'", code, stderr.String()+stdout.String())
	}
}

// Every flag a command takes is documented where the README sends the
// reader (its commands table, docs/BACKTEST.md for backtest and sweep):
// --help is not the only place a flag may be found.
func TestEveryFlagIsDocumented(t *testing.T) {
	var docs strings.Builder
	for _, f := range []string{"README.md", "docs/BACKTEST.md"} {
		b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), f))
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z][a-z.-]*)`)
	for _, args := range [][]string{
		{"run", "--help"}, {"check", "--help"}, {"backtest", "--help"}, {"sweep", "merge", "--help"},
		{"download", "--help"}, {"record", "--help"}, {"positions", "--help"}, {"trades", "--help"}, {"health", "--help"},
	} {
		var stdout, stderr bytes.Buffer
		run(args, &stdout, &stderr)
		for _, m := range flagLine.FindAllStringSubmatch(stderr.String(), -1) {
			if !strings.Contains(docs.String(), "--"+m[1]) {
				t.Errorf("tradebot %s takes --%s, which neither README.md nor docs/BACKTEST.md mentions", args[0], m[1])
			}
		}
	}
}

// The list of commands says what `health` asks by default: whether the
// daemon serves and its loops turn (/healthz), not whether it is ready
// to trade (/readyz), which a container's health check must not ask.
func TestTheCommandListSaysWhatHealthAsks(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run([]string{"help"}, &stdout, &stderr)
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "  health ") {
			if strings.Contains(line, "ready") || !strings.Contains(line, "/healthz") || !strings.Contains(line, "loops turn") {
				t.Errorf("the health line says %q; want /healthz, its loops turn, and not ready", line)
			}
			return
		}
	}
	t.Errorf("no health line in:\n%s", stdout.String())
}
