package risk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func getState(t *testing.T, srv *httptest.Server) stateAnswer {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	var a stateAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("GET body: %v", err)
	}
	return a
}

func post(t *testing.T, srv *httptest.Server, query string) (int, stateAnswer) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(ControlHeader, "1")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a stateAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("POST body: %v", err)
	}
	return resp.StatusCode, a
}

func TestKillSwitchOverHTTPHaltsAndShowsTheState(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("s1", "AAA-USD", "1", "100")
	var flattened []string
	srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{Flatten: func(reason string) error {
		flattened = append(flattened, reason)
		return nil
	}}))
	defer srv.Close()

	if a := getState(t, srv); a.State != Active {
		t.Fatalf("GET before the halt: %+v", a)
	}
	code, a := post(t, srv, "reason="+url.QueryEscape("manual stop\x00\n"))
	if code != http.StatusOK || a.State != Halted || a.Rule != RuleKillSwitch || a.Reason != "manual stop" {
		t.Fatalf("POST: %d %+v", code, a)
	}
	f.refuse(buy("s2", "BBB-USD", "1", "100"), RuleKillSwitch, "")
	f.allow(stopLoss("s1", "AAA-USD", "1"))
	if len(flattened) != 0 {
		t.Errorf("flatten called without flatten=true")
	}
	if a := getState(t, srv); a.State != Halted || a.Since.IsZero() {
		t.Errorf("GET after the halt: %+v", a)
	}

	code, a = post(t, srv, "flatten=true&confirm="+FlattenConfirmation)
	if code != http.StatusOK || a.Flatten != "flatten requested" || len(flattened) != 1 || flattened[0] != "http kill switch" {
		t.Errorf("POST flatten=true: %d %+v, flatten calls %q", code, a, flattened)
	}

	code, a = post(t, srv, "resume=true&reason=checked")
	if code != http.StatusOK || a.State != Active || a.Rule != RuleManual {
		t.Errorf("POST resume=true: %d %+v", code, a)
	}
	f.allow(buy("s2", "BBB-USD", "1", "100"))
}

func TestKillSwitchFlattenFailureAndAbsence(t *testing.T) {
	cases := []struct {
		name    string
		flatten FlattenFunc
		code    int
	}{
		{"no flatten in this daemon", nil, http.StatusNotImplemented},
		{"flatten fails", func(string) error { return errors.New("venue down") }, http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{Flatten: tc.flatten}))
			defer srv.Close()
			code, a := post(t, srv, "flatten=true&confirm="+FlattenConfirmation)
			if code != tc.code || a.State != Halted || a.Flatten == "" {
				t.Errorf("POST flatten=true: %d %+v, want %d and HALTED", code, a, tc.code)
			}
			f.refuse(buy("s2", "BBB-USD", "1", "100"), RuleKillSwitch, "")
		})
	}
}

func TestKillSwitchRefusesOtherMethods(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodDelete, srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "POST") {
		t.Errorf("DELETE: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
	if f.g.State() != Active {
		t.Errorf("DELETE changed the state to %s", f.g.State())
	}
}

// waitFor polls cond on the wall clock: the watcher and the signal
// handler run on their own goroutines.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestKillSwitchFileHaltsWhileItExists(t *testing.T) {
	f := newFixture(t, nil)
	flag := filepath.Join(t.TempDir(), "halt")
	ctx, cancel := context.WithCancel(context.Background())
	done := f.g.WatchFlagFile(ctx, flag, 5*time.Millisecond)
	defer func() { cancel(); <-done }()

	// Where nothing may happen, the test polls the file itself, as the
	// watcher does every 5 ms, rather than sleep for some of the
	// watcher's polls: a poll is then sure to have run, however slow the
	// machine.
	f.g.pollFlag(flag)
	if f.g.State() != Active {
		t.Fatalf("halted without the file")
	}
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file to halt the guard", func() bool { return f.g.State() == Halted })
	f.refuse(buy("s2", "BBB-USD", "1", "100"), RuleKillSwitch, "")
	if r := f.g.StateInfo().Reason; !strings.Contains(r, flag) {
		t.Errorf("reason %q does not name the file", r)
	}

	// A resume while the file is there does not last.
	f.g.SetState(Active, "too early")
	waitFor(t, "the file to halt the guard again", func() bool { return f.g.State() == Halted })

	// Removing the file does not resume; an operator does.
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	f.g.pollFlag(flag)
	if f.g.State() != Halted {
		t.Fatalf("removing the file resumed trading")
	}
	f.g.SetState(Active, "file removed")
	f.g.pollFlag(flag)
	f.allow(buy("s2", "BBB-USD", "1", "100"))
}

func TestKillSwitchFileWatcherEndsWithItsContext(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := f.g.WatchFlagFile(ctx, filepath.Join(t.TempDir(), "halt"), time.Hour)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("watcher still running after its context ended")
	}
}

func TestKillSwitchSignalHalts(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := f.g.HaltOnSignal(ctx, syscall.SIGUSR1)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		cancel()
		<-done
		t.Fatal(err)
	}
	waitFor(t, "SIGUSR1 to halt the guard", func() bool { return f.g.State() == Halted })
	f.refuse(buy("s2", "BBB-USD", "1", "100"), RuleKillSwitch, "")
	if r := f.g.StateInfo().Reason; r != "signal user defined signal 1" {
		t.Errorf("reason %q", r)
	}
	cancel()
	<-done // signal.Stop has run: SIGUSR1 is no longer delivered to the guard
}

func TestKillSwitchWithoutFileOrSignalDoesNothing(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for name, done := range map[string]<-chan struct{}{
		"no file":    f.g.WatchFlagFile(ctx, "", time.Millisecond),
		"no signals": f.g.HaltOnSignal(ctx),
	} {
		select {
		case <-done:
		default:
			t.Errorf("%s: a watcher was started", name)
		}
	}
	if f.g.State() != Active {
		t.Errorf("state %s", f.g.State())
	}
}

func TestKillSwitchFileThatCannotBeCheckedHalts(t *testing.T) {
	f := newFixture(t, nil)
	notDir := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := f.g.WatchFlagFile(ctx, filepath.Join(notDir, "halt"), time.Hour)
	defer func() { cancel(); <-done }()
	waitFor(t, "an unreadable flag path to halt the guard", func() bool { return f.g.State() == Halted })
	if r := f.g.StateInfo().Reason; !strings.Contains(r, "cannot be checked") {
		t.Errorf("reason %q", r)
	}
}
