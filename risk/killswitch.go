package risk

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"
	"unicode"
)

// FlattenFunc asks the engine to close every position at market; the
// engine does the work (cancel resting orders, place reduce-only exits,
// which the guard passes while HALTED). It should start the flatten and
// return, not wait for fills.
type FlattenFunc func(reason string) error

// maxReasonLen bounds an operator's reason, which ends up in logs.
const maxReasonLen = 200

// KillSwitchHandler serves the kill switch over HTTP:
//
//   - GET (or HEAD) answers the trading state as JSON:
//     {"state":"HALTED","rule":"kill_switch","reason":"...","since":"..."}.
//   - POST halts the guard (reason from the "reason" form value, default
//     "http kill switch") and answers the new state. With flatten=true it
//     then calls flatten; if flatten is nil the halt stands and the answer
//     is 501, if it fails the answer is 500 with its error.
//   - POST with resume=true instead sets the state to ACTIVE (an operator's
//     decision, as SetState); the flag file, if present, halts it again.
//
// Authentication and TLS are the web server's (exporter-toolkit web
// config); the handler trusts whoever reaches it.
func (g *Guard) KillSwitchHandler(flatten FlattenFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			writeState(w, http.StatusOK, g.StateInfo(), "")
		case http.MethodPost:
			reason := cleanReason(r.FormValue("reason"))
			if r.FormValue("resume") == "true" {
				if reason == "" {
					reason = "resumed over http"
				}
				g.SetState(Active, reason)
				writeState(w, http.StatusOK, g.StateInfo(), "")
				return
			}
			if reason == "" {
				reason = "http kill switch"
			}
			g.Halt(reason)
			if r.FormValue("flatten") != "true" {
				writeState(w, http.StatusOK, g.StateInfo(), "")
				return
			}
			switch {
			case flatten == nil:
				writeState(w, http.StatusNotImplemented, g.StateInfo(), "halted, but flatten is not available in this daemon")
			default:
				if err := flatten(reason); err != nil {
					writeState(w, http.StatusInternalServerError, g.StateInfo(), "halted, but flatten failed: "+err.Error())
					return
				}
				writeState(w, http.StatusOK, g.StateInfo(), "flatten requested")
			}
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "method not allowed: GET shows the trading state, POST halts", http.StatusMethodNotAllowed)
		}
	})
}

type stateAnswer struct {
	StateInfo
	Flatten string `json:"flatten,omitempty"`
}

func writeState(w http.ResponseWriter, code int, s StateInfo, flatten string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(stateAnswer{StateInfo: s, Flatten: flatten})
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
