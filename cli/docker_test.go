package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/metrics"
)

// dockerInstr is one Dockerfile instruction, continuation lines joined.
type dockerInstr struct {
	cmd  string // upper case: FROM, RUN, COPY ...
	args string
	line int
}

// dockerStages reads the repository's Dockerfile into its build stages.
// There is no Docker engine here, so these tests read what the image
// would be built from.
func dockerStages(t *testing.T) [][]dockerInstr {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages [][]dockerInstr
	var cur strings.Builder
	start, n := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := dockerInstr{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile line %d: %s before FROM", start, in.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and the image", len(stages))
	}
	return stages
}

func instrs(stage []dockerInstr, cmd string) []dockerInstr {
	var out []dockerInstr
	for _, in := range stage {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execForm decodes a JSON-array (exec form) argument list.
func execForm(t *testing.T, in dockerInstr, args string) []string {
	t.Helper()
	var argv []string
	if err := json.Unmarshal([]byte(args), &argv); err != nil {
		t.Fatalf("Dockerfile line %d: %s %s is not in exec form: %v (the image has no shell)", in.line, in.cmd, args, err)
	}
	return argv
}

// The image runs as distroless's nonroot user, and the state volume is
// created owned by that user: a journal in state_dir /var/lib/tradebot
// must be writable without a chown on the host.
func TestDockerImageRunsAsNonrootOverAStateVolumeItOwns(t *testing.T) {
	stages := dockerStages(t)
	final := stages[len(stages)-1]
	users := instrs(final, "USER")
	if len(users) != 1 || users[0].args != "65532:65532" {
		t.Fatalf("USER %v, want 65532:65532 (distroless nonroot)", users)
	}
	volumes := instrs(final, "VOLUME")
	if len(volumes) != 1 || !slices.Contains(execForm(t, volumes[0], volumes[0].args), "/var/lib/tradebot") {
		t.Fatalf("VOLUME %v, want /var/lib/tradebot", volumes)
	}
	var source string
	for _, in := range instrs(final, "COPY") {
		f := strings.Fields(in.args)
		if f[len(f)-1] == "/var/lib/tradebot" {
			if !slices.Contains(f, "--chown=65532:65532") || !slices.Contains(f, "--from=build") {
				t.Fatalf("Dockerfile line %d: COPY %s, want --from=build --chown=65532:65532", in.line, in.args)
			}
			source = f[len(f)-2]
		}
	}
	if source == "" {
		t.Fatal("nothing is copied to /var/lib/tradebot: the volume would be created root-owned")
	}
	created := false
	for _, in := range instrs(stages[0], "RUN") {
		f := strings.Fields(in.args)
		if len(f) > 0 && f[0] == "install" && slices.Contains(f, "-d") && f[len(f)-1] == source &&
			strings.Contains(in.args, "-o 65532 -g 65532") && strings.Contains(in.args, "-m 0700") {
			created = true
		}
	}
	if !created {
		t.Fatalf("the build stage does not create %s owned by 65532 with mode 0700", source)
	}
	if i, j := slices.IndexFunc(final, func(in dockerInstr) bool { return in.cmd == "COPY" && strings.HasSuffix(in.args, "/var/lib/tradebot") }),
		slices.IndexFunc(final, func(in dockerInstr) bool { return in.cmd == "VOLUME" }); i > j {
		t.Error("the state directory is copied after VOLUME declares it; Docker discards changes to a volume path after VOLUME")
	}
}

// dockerHealthcheck returns the image's HEALTHCHECK command line, after
// checking that it runs `tradebot health` (no shell, no curl in the
// image) on the port the image serves on, with the index of its --url
// value.
func dockerHealthcheck(t *testing.T) (argv []string, urlAt int) {
	t.Helper()
	final := dockerStages(t)[1]
	checks := instrs(final, "HEALTHCHECK")
	if len(checks) != 1 {
		t.Fatalf("%d HEALTHCHECK instructions, want 1", len(checks))
	}
	_, cmdArgs, ok := strings.Cut(checks[0].args, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK %s has no CMD", checks[0].args)
	}
	argv = execForm(t, checks[0], cmdArgs)
	if len(argv) < 2 || argv[0] != "/usr/local/bin/tradebot" || argv[1] != "health" {
		t.Fatalf("HEALTHCHECK runs %q, want /usr/local/bin/tradebot health ...", argv)
	}
	i := slices.Index(argv, "--url")
	if i < 0 || i+1 >= len(argv) {
		t.Fatalf("HEALTHCHECK %q gives no --url", argv)
	}
	u, err := url.Parse(argv[i+1])
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("HEALTHCHECK URL %q, want http://127.0.0.1:PORT/...", argv[i+1])
	}
	cmds := instrs(final, "CMD")
	if len(cmds) != 1 || !strings.Contains(cmds[0].args, ":"+u.Port()+`"`) {
		t.Errorf("the image's CMD %v does not serve on the port the HEALTHCHECK asks, %s", cmds, u.Port())
	}
	if exposed := instrs(final, "EXPOSE"); len(exposed) != 1 || exposed[0].args != u.Port() {
		t.Errorf("EXPOSE %v, want %s", exposed, u.Port())
	}
	return argv, i + 1
}

// withURL returns argv with its URL at i pointed at addr, keeping the
// URL's scheme and path.
func withURL(t *testing.T, argv []string, i int, addr string) []string {
	t.Helper()
	u, err := url.Parse(argv[i])
	if err != nil {
		t.Fatal(err)
	}
	argv = slices.Clone(argv)
	argv[i] = (&url.URL{Scheme: u.Scheme, Host: addr, Path: u.Path}).String()
	return argv
}

// The HEALTHCHECK asks whether the daemon serves, not whether it trades:
// what acts on an unhealthy container restarts it, and a restart mends
// no reason /readyz gives (a journaled HALT restarts HALTED; one kept in
// memory only is forgotten). Its flags go through the real command line
// against the daemon's own HTTP server on loopback: 0 while the daemon
// is ready and while it is HALTED (which /readyz, tried with the same
// flags, reports), 1 once it does not answer.
func TestDockerHealthcheckAsksWhetherTheDaemonServes(t *testing.T) {
	argv, at := dockerHealthcheck(t)
	if u, _ := url.Parse(argv[at]); u.Path != "/healthz" {
		t.Fatalf("HEALTHCHECK URL %q, want .../healthz: a restart does not mend what /readyz reports", argv[at])
	}

	var notReady atomic.Value
	notReady.Store("")
	addr, stop := serveHTTP(t, metrics.ServerConfig{Ready: func() error {
		if why := notReady.Load().(string); why != "" {
			return errors.New(why)
		}
		return nil
	}})
	// The Dockerfile's own arguments, pointed at this server.
	args := withURL(t, argv, at, addr)[1:]
	readyz := withURL(t, argv, at, addr)[1:]
	readyz[at-1] = strings.Replace(readyz[at-1], "/healthz", "/readyz", 1)

	for _, c := range []struct {
		state, halted    string
		args             []string
		code             int
		stdout, inStderr string
	}{
		{"ready", "", args, 0, "ok", ""},
		{"ready, /readyz", "", readyz, 0, "ready", ""},
		{"HALTED", "trading is HALTED by kill_switch: going to bed", args, 0, "ok", ""},
		{"HALTED, /readyz", "trading is HALTED by kill_switch: going to bed", readyz, 1, "", "HTTP 503: not ready: trading is HALTED by kill_switch"},
	} {
		notReady.Store(c.halted)
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || strings.TrimSpace(stdout.String()) != c.stdout || !strings.Contains(stderr.String(), c.inStderr) {
			t.Errorf("%s: health %q: exit %d, stdout %q, stderr %q; want %d, %q and %q",
				c.state, c.args, code, stdout.String(), stderr.String(), c.code, c.stdout, c.inStderr)
		}
	}
	stop()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no answer from") {
		t.Errorf("stopped daemon: exit %d, stderr %q; want 1 and no answer", code, stderr.String())
	}
}

func TestHealthRefusesBadFlagsAsUsage(t *testing.T) {
	long := "http://" + strings.Repeat("x", 500)
	for _, args := range [][]string{
		{"health", "--url", "127.0.0.1:9464/readyz"},
		{"health", "--url", "ftp://host/readyz"},
		{"health", "--timeout", "0s"},
		{"health", "extra"},
		{"health", "--url", long + "\x00"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", args, code, exitUsage, stderr.String())
		}
		if strings.Contains(stderr.String(), strings.Repeat("x", 100)) {
			t.Errorf("%q: the long value is echoed whole", args)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"health", "--help"}, &stdout, &stderr); code != 0 {
		t.Errorf("health --help: exit %d, want 0", code)
	}
}

// The build context leaves out history, scratch space and binaries:
// `COPY . .` would otherwise ship .git and any compiled test binary.
func TestDockerignoreLeavesOutGitTmpAndBinaries(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{".git", "tmp", "**/*.test", "/tradebot"} {
		if !lines[want] {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
}
