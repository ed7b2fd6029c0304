package risk

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tradebot/tradebot/internal/echo"
)

// FlattenFunc asks the engine to close every position at market; the
// engine does the work (cancel resting orders, place reduce-only exits,
// which the guard passes while HALTED). It should start the flatten and
// return, not wait for fills.
type FlattenFunc func(reason string) error

// maxReasonLen bounds an operator's reason, which ends up in logs.
const maxReasonLen = 200

// ControlHeader is the request header every state-changing kill-switch
// request must carry (any non-empty value; curl -H 'X-Tradebot-Control: 1').
// A web page cannot add a custom header to a cross-origin request without
// a CORS preflight, which the daemon never grants, so a page the operator
// visits cannot halt, resume or flatten through the operator's browser.
const ControlHeader = "X-Tradebot-Control"

// FlattenConfirmation is the value of the confirm parameter that a
// flatten must carry: selling every position is never a side effect of a
// mistyped or replayed URL.
const FlattenConfirmation = "flatten-all-positions"

// KillSwitchControl is what the HTTP kill switch calls besides the guard.
type KillSwitchControl struct {
	// Flatten closes every position (POST ?flatten=true); nil means this
	// daemon cannot flatten, and such a request halts and answers 501.
	Flatten FlattenFunc
	// Persist stores the trading state after an HTTP change (the journal);
	// nil means nothing is stored. When it fails the change stands in
	// memory and the answer is 500, so the operator knows that a restart
	// would forget it.
	Persist func() error
	// HostNames are names besides IP addresses and localhost that a POST
	// may call the daemon by in its Host header: the name a reverse proxy
	// in front of it passes on. A DNS-rebinding page can only name a
	// domain of its own, so a name of the operator's is as safe as an IP.
	HostNames []string
}

// KillSwitchHandler serves the kill switch over HTTP:
//
//   - GET (or HEAD) answers the trading state as JSON:
//     {"state":"HALTED","rule":"kill_switch","reason":"...","since":"..."}.
//     It never changes anything.
//   - POST halts the guard (reason from the "reason" query parameter,
//     default "http kill switch") and answers the new state. With
//     flatten=true (and confirm=flatten-all-positions, else 400 and
//     nothing changes) it then calls Flatten; if Flatten is nil the halt
//     stands and the answer is 501, if it fails 500 with its error.
//   - POST with resume=true instead sets the state to ACTIVE (an operator's
//     decision, as SetState); the flag file, if present, halts it again.
//
// A POST is refused with 403, changing nothing, unless it carries
// ControlHeader, comes from no other origin (Origin, when sent, names the
// host the request was sent to; Sec-Fetch-Site, when sent, is same-origin
// or none) and names the daemon by an IP address, localhost or one of
// HostNames in its Host header (a DNS-rebinding page names its own
// domain). Parameters are read
// from the URL only, never from a form body.
//
// Authentication and TLS are the web server's; the handler trusts whoever
// passes them.
func (g *Guard) KillSwitchHandler(c KillSwitchControl) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			writeState(w, http.StatusOK, g.StateInfo(), "", "")
		case http.MethodPost:
			if why := crossSite(r, c.HostNames); why != "" {
				http.Error(w, "kill switch refused: "+why, http.StatusForbidden)
				return
			}
			g.control(w, r.URL.Query(), c)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "method not allowed: GET shows the trading state, POST with the header "+ControlHeader+" halts", http.StatusMethodNotAllowed)
		}
	})
}

// control applies one accepted POST.
func (g *Guard) control(w http.ResponseWriter, q url.Values, c KillSwitchControl) {
	reason := cleanReason(q.Get("reason"))
	flatten := q.Get("flatten") == "true"
	if flatten && q.Get("confirm") != FlattenConfirmation {
		http.Error(w, "flatten sells every position at market: add confirm="+FlattenConfirmation+" to the URL; nothing was changed", http.StatusBadRequest)
		return
	}
	if q.Get("resume") == "true" {
		if reason == "" {
			reason = "resumed over http"
		}
		g.SetState(Active, reason)
	} else {
		if reason == "" {
			reason = "http kill switch"
		}
		g.Halt(reason)
	}
	code, flattenText := http.StatusOK, ""
	switch {
	case !flatten || q.Get("resume") == "true":
	case c.Flatten == nil:
		code, flattenText = http.StatusNotImplemented, "halted, but flatten is not available in this daemon"
	default:
		if err := c.Flatten(reason); err != nil {
			code, flattenText = http.StatusInternalServerError, "halted, but flatten failed: "+err.Error()
		} else {
			flattenText = "flatten requested"
		}
	}
	errText := ""
	if c.Persist != nil {
		if err := c.Persist(); err != nil {
			code = http.StatusInternalServerError
			errText = "the state changed in memory but could not be saved, so a restart would forget it: " + err.Error()
		}
	}
	writeState(w, code, g.StateInfo(), flattenText, errText)
}

// crossSite says why a state-changing request may come from a web page
// rather than the operator, or "" when it cannot.
func crossSite(r *http.Request, hostNames []string) string {
	if r.Header.Get(ControlHeader) == "" {
		return "a POST needs the header " + ControlHeader + ": 1 (curl -H '" + ControlHeader + ": 1'), which a web page on another site cannot send"
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "the browser says this request comes from another site (Sec-Fetch-Site: " + cut(site) + ")"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return "the request comes from the web origin " + cut(origin) + ", not from this daemon's address"
		}
	}
	if !localName(r.Host) && !namedHost(r.Host, hostNames) {
		return "the Host header " + cut(r.Host) + " is not an IP address, localhost or a name in kill_switch.host_names; address the daemon by its IP address (a web page can point a domain of its own at this daemon)"
	}
	return ""
}

// namedHost reports whether host (with or without port) is one of names,
// compared without case.
func namedHost(host string, names []string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	for _, n := range names {
		if strings.EqualFold(host, n) {
			return true
		}
	}
	return false
}

// localName reports whether host (with or without port) is an IP literal
// or localhost, names that a web page's own domain cannot stand for.
func localName(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = strings.ToLower(host)
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// cut shortens a value echoed back to the client and quotes it.
func cut(s string) string { return strconv.Quote(echo.Cut(s)) }

type stateAnswer struct {
	StateInfo
	Flatten string `json:"flatten,omitempty"`
	Error   string `json:"error,omitempty"`
}

func writeState(w http.ResponseWriter, code int, s StateInfo, flatten, errText string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(stateAnswer{StateInfo: s, Flatten: flatten, Error: errText})
}

// cleanReason keeps an operator's reason printable and short, since it is
// logged and reported.
func cleanReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxReasonLen {
		s = s[:maxReasonLen]
	}
	return s
}

// WatchFlagFile halts the guard while the file at path exists, polling
// every interval (and once at once) from a goroutine it starts and owns.
// The goroutine ends when ctx ends; the returned channel is closed then.
// Removing the file does not resume trading: that is SetState's (or the
// HTTP handler's) job; while the file exists a resume is halted again at
// the next poll. A stat error other than "does not exist" also halts,
// because the guard cannot tell that the operator did not ask for it. An
// empty path watches nothing and returns a closed channel.
func (g *Guard) WatchFlagFile(ctx context.Context, path string, interval time.Duration) <-chan struct{} {
	if interval <= 0 {
		interval = time.Second
	}
	done := make(chan struct{})
	if path == "" {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			g.pollFlag(path)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}

func (g *Guard) pollFlag(path string) {
	_, err := os.Stat(path)
	info := g.StateInfo()
	switch {
	case err == nil:
		if info.State != Halted || info.Rule != RuleKillSwitch {
			g.Halt("kill file " + path + " exists")
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		if info.State != Halted {
			g.Halt("kill file " + path + " cannot be checked: " + err.Error())
		}
	}
}

// HaltOnSignal halts the guard each time one of sigs arrives (SIGUSR1 in
// the daemon). Signal delivery is registered before it returns, so a
// signal sent afterwards is never lost to the default action; a goroutine
// it owns waits for them until ctx ends, then unregisters (signal.Stop)
// and closes the returned channel. With no signals it does nothing (and
// returns a closed channel): signal.Notify would otherwise relay every
// signal, SIGTERM included, and turn a shutdown into a halt.
func (g *Guard) HaltOnSignal(ctx context.Context, sigs ...os.Signal) <-chan struct{} {
	done := make(chan struct{})
	if len(sigs) == 0 {
		close(done)
		return done
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		defer close(done)
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-ch:
				g.Halt("signal " + s.String())
			}
		}
	}()
	return done
}
