package live

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradebot/tradebot/internal/testenv"
)

// fullDisk mounts a small tmpfs for the daemon's state_dir, and skips the
// test where the machine does not allow mounting (not root, no
// CAP_SYS_ADMIN in a container).
func fullDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		testenv.Unavailable(t, "mounting a tmpfs for a full state_dir needs root (or CAP_SYS_ADMIN): "+
			strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// liveConfigIn is liveConfig with its state_dir at stateDir.
func liveConfigIn(t *testing.T, e *emu, stateDir string) string {
	t.Helper()
	cfgPath := liveConfig(t, e, "")
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	raw = regexp.MustCompile(`(?m)^state_dir: .*$`).ReplaceAll(raw, []byte(`state_dir: "`+stateDir+`"`))
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

// fill writes zeros to a file in dir until the filesystem is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// readyz returns /readyz's status and body.
func (d *daemon) readyz() (int, string) {
	d.t.Helper()
	resp, err := http.Get(strings.TrimSuffix(d.metrics, "/metrics") + "/readyz")
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAFullDiskNeverBlocksAnExit runs the daemon with its state_dir on a
// real tmpfs, fills it while a position is open, and flattens: the sell
// reaches the exchange although its intent cannot be written; the journal
// halts entries, shows in tradebot_journal_writable and fails /readyz;
// once the disk frees, the journal writes again. Issue 15, finding 1.
func TestAFullDiskNeverBlocksAnExit(t *testing.T) {
	state := fullDisk(t)
	e := startEmulator(t, emuOptions{})
	cfgPath := liveConfigIn(t, e, filepath.Join(state, "state"))
	d := startDaemon(t, cfgPath)
	ctx := context.Background()
	waitFor(t, 60*time.Second, "a position with its stop resting", func() bool {
		return positionOf(d.scrape()) > 0 && restingStop(t, e, ctx) != nil
	})
	sellsBefore := closedRoundTrips(e)
	filler := fill(t, state)

	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(d.metrics, "/metrics")+
		"/killswitch?flatten=true&confirm=flatten-all-positions&reason=full+disk+test", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Tradebot-Control", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitFor(t, 30*time.Second, "the flatten's sell on the exchange with the disk full", func() bool {
		return closedRoundTrips(e) > sellsBefore && baseBalance(t, e).IsZero()
	})
	waitFor(t, 30*time.Second, "tradebot_journal_writable 0", func() bool {
		v, ok := d.scrape().sum("tradebot_journal_writable")
		return ok && v == 0
	})
	code, body := d.readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "journal cannot write") || !strings.Contains(body, "HALTED") {
		t.Errorf("/readyz answered %d %q with the disk full, want 503 naming the journal and the halt", code, body)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "tradebot_journal_writable back to 1 once the disk frees", func() bool {
		v, ok := d.scrape().sum("tradebot_journal_writable")
		return ok && v == 1
	})
	if len(d.logLines("journal cannot write: entries halted, exits still go out and are journaled when it can; "+
		"check the disk holding state_dir (space, errors in the kernel log)")) == 0 {
		t.Errorf("the log does not say the journal cannot write")
	}
}
