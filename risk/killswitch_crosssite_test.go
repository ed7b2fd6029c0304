package risk

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// send makes one request to srv over loopback HTTP with the given headers
// and form body, and returns the status and body.
func send(t *testing.T, srv *httptest.Server, method, query string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"?"+query, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestKillSwitchRefusesWhatAWebPageCanSend: what a page on another site
// can make the operator's browser send (a form POST, a fetch with a
// foreign Origin, a DNS-rebinding page's own Host) changes nothing.
func TestKillSwitchRefusesWhatAWebPageCanSend(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name   string
		query  string
		header map[string]string
		body   string
	}{
		{"cross-site form POST that resumes", "", map[string]string{"Content-Type": form, "Origin": "http://evil.example"}, "resume=true"},
		{"cross-site form POST in the URL", "resume=true", map[string]string{"Content-Type": form, "Origin": "http://evil.example"}, ""},
		{"simple POST without an Origin (older browser)", "flatten=true&confirm=" + FlattenConfirmation, map[string]string{"Content-Type": "text/plain"}, ""},
		{"control header but a foreign Origin", "resume=true", map[string]string{ControlHeader: "1", "Origin": "http://evil.example"}, ""},
		{"control header, Origin null (sandboxed page)", "resume=true", map[string]string{ControlHeader: "1", "Origin": "null"}, ""},
		{"control header, browser says cross-site", "resume=true", map[string]string{ControlHeader: "1", "Sec-Fetch-Site": "cross-site"}, ""},
		{"DNS rebinding: same origin under the attacker's name", "resume=true", map[string]string{ControlHeader: "1", "Host": "evil.example:9464", "Origin": "http://evil.example:9464"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.g.Halt("operator stop")
			flattened := 0
			srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{Flatten: func(string) error { flattened++; return nil }}))
			defer srv.Close()
			code, body := send(t, srv, http.MethodPost, tc.query, tc.header, tc.body)
			if code != http.StatusForbidden {
				t.Errorf("answer %d %q, want 403", code, body)
			}
			if info := f.g.StateInfo(); info.State != Halted || info.Reason != "operator stop" || flattened != 0 {
				t.Errorf("state %+v, %d flattens: the request changed something", info, flattened)
			}
		})
	}
}

func TestKillSwitchAcceptsTheOperatorsRequests(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{}))
	defer srv.Close()
	// curl sends no Origin; a page of the daemon's own origin sends its own.
	for _, h := range []map[string]string{
		{ControlHeader: "1"},
		{ControlHeader: "1", "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"},
		{ControlHeader: "1", "Host": "localhost:9464"},
		{ControlHeader: "1", "Host": "[::1]:9464"},
	} {
		f.g.SetState(Active, "test")
		if code, body := send(t, srv, http.MethodPost, "reason=ok", h, ""); code != http.StatusOK || f.g.State() != Halted {
			t.Errorf("headers %v: %d %q, state %s", h, code, body, f.g.State())
		}
	}
}

func TestKillSwitchGETNeverChangesTheState(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{}))
	defer srv.Close()
	for _, q := range []string{"reason=x", "resume=true", "flatten=true&confirm=" + FlattenConfirmation} {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			if code, _ := send(t, srv, m, q, map[string]string{ControlHeader: "1"}, ""); code != http.StatusOK || f.g.State() != Active {
				t.Errorf("%s ?%s: %d, state %s", m, q, code, f.g.State())
			}
		}
	}
}

func TestKillSwitchFlattenNeedsItsConfirmation(t *testing.T) {
	f := newFixture(t, nil)
	flattened := 0
	srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{Flatten: func(string) error { flattened++; return nil }}))
	defer srv.Close()
	for _, q := range []string{"flatten=true", "flatten=true&confirm=true", "flatten=true&confirm=yes"} {
		code, body := send(t, srv, http.MethodPost, q, map[string]string{ControlHeader: "1"}, "")
		if code != http.StatusBadRequest || !strings.Contains(body, FlattenConfirmation) || f.g.State() != Active || flattened != 0 {
			t.Errorf("?%s: %d %q, state %s, %d flattens", q, code, body, f.g.State(), flattened)
		}
	}
	if code, _ := send(t, srv, http.MethodPost, "flatten=true&confirm="+FlattenConfirmation, map[string]string{ControlHeader: "1"}, ""); code != http.StatusOK || flattened != 1 {
		t.Errorf("confirmed flatten: %d, %d flattens", code, flattened)
	}
}

// TestKillSwitchHaltThatCannotBeSavedIsAnError: the halt stands in memory
// but the operator is told that a restart would forget it.
func TestKillSwitchHaltThatCannotBeSavedIsAnError(t *testing.T) {
	f := newFixture(t, nil)
	flattened := 0
	srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{
		Flatten: func(string) error { flattened++; return nil },
		Persist: func() error { return errors.New("disk full") },
	}))
	defer srv.Close()
	for _, q := range []string{"reason=stop", "flatten=true&confirm=" + FlattenConfirmation} {
		code, body := send(t, srv, http.MethodPost, q, map[string]string{ControlHeader: "1"}, "")
		if code != http.StatusInternalServerError || !strings.Contains(body, "disk full") || !strings.Contains(body, "HALTED") {
			t.Errorf("?%s: %d %q, want 500 naming the error and the HALTED state", q, code, body)
		}
		f.refuse(buy("s2", "BBB-USD", "1", "100"), RuleKillSwitch, "")
	}
	if flattened != 1 {
		t.Errorf("flatten ran %d times: an unsaved halt must still flatten when asked", flattened)
	}
}

// TestKillSwitchSinceIsWallClockTime: a guard on a replay's clock (here
// years in the past) reports when the halt happened, now.
func TestKillSwitchSinceIsWallClockTime(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{}))
	defer srv.Close()
	before := time.Now()
	post(t, srv, "reason=x")
	a := getState(t, srv)
	if a.Since.Before(before.Add(-time.Second)) || a.Since.After(time.Now().Add(time.Second)) {
		t.Errorf("since %s, want the wall-clock time of the halt (about %s); the replay clock says %s", a.Since, before, f.clk.Now())
	}
	// Restored from the journal, it keeps the wall time it was saved with.
	g2 := newFixture(t, nil)
	g2.g.Restore(f.g.Snapshot())
	if got := g2.g.StateInfo().Since; !got.Equal(a.Since) {
		t.Errorf("restored since %s, want %s", got, a.Since)
	}
}

// Behind a reverse proxy the Host header is the proxy's name for the
// daemon: listed in kill_switch.host_names it is accepted, and an
// attacker's domain still is not.
func TestKillSwitchAcceptsTheHostNamesItIsGiven(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.g.KillSwitchHandler(KillSwitchControl{HostNames: []string{"bot.example.com"}}))
	defer srv.Close()
	for _, host := range []string{"bot.example.com", "BOT.example.com:443"} {
		f.g.SetState(Active, "test")
		h := map[string]string{ControlHeader: "1", "Host": host, "Origin": "https://" + host}
		if code, body := send(t, srv, http.MethodPost, "reason=ok", h, ""); code != http.StatusOK || f.g.State() != Halted {
			t.Errorf("Host %s: %d %q, state %s; want 200 and HALTED", host, code, body, f.g.State())
		}
	}
	for _, host := range []string{"evil.example", "bot.example.com.evil.example", "example.com"} {
		f.g.SetState(Active, "test")
		h := map[string]string{ControlHeader: "1", "Host": host}
		if code, body := send(t, srv, http.MethodPost, "reason=no", h, ""); code != http.StatusForbidden || f.g.State() != Active {
			t.Errorf("Host %s: %d %q, state %s; want 403 and ACTIVE", host, code, body, f.g.State())
		}
	}
}
