package coinbase

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const apiPrefix = "/api/v3/brokerage"

// fakeCoinbase is a loopback HTTP server that checks every private
// request's JWT the way Coinbase does and serves what each test routes.
type fakeCoinbase struct {
	t     testing.TB
	creds *Credentials
	srv   *httptest.Server
	mu    sync.Mutex
	route map[string]http.HandlerFunc // "METHOD /path" below the prefix
	hits  map[string]int
	// bodies holds request bodies per route, in arrival order.
	bodies map[string][]string
}

func newFakeCoinbase(t testing.TB) (*fakeCoinbase, *Client, *recordingObserver) {
	t.Helper()
	_, creds := newTestKey(t)
	f := &fakeCoinbase{t: t, creds: creds, route: map[string]http.HandlerFunc{}, hits: map[string]int{}, bodies: map[string][]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	obs := &recordingObserver{}
	c, err := NewClient(Config{
		BaseURL: f.srv.URL + apiPrefix, Credentials: creds, Observer: obs,
		RetryMinDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond,
		RequestTimeout: 2 * time.Second, PrivateRate: 10000, PublicRate: 10000,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, c, obs
}

func (f *fakeCoinbase) handle(pattern string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.route[pattern] = h
}

// serveJSON routes a pattern to a fixed body.
func (f *fakeCoinbase) serveJSON(pattern string, body []byte) {
	f.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

func (f *fakeCoinbase) count(pattern string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[pattern]
}

func (f *fakeCoinbase) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, apiPrefix)
	pattern := r.Method + " " + path
	body, _ := io.ReadAll(r.Body)
	public := strings.HasPrefix(path, "/market/") || path == "/time"
	if !public {
		auth := r.Header.Get("Authorization")
		uri := RequestURI(r.Method, r.Host, r.URL.Path)
		if !strings.HasPrefix(auth, "Bearer ") {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if err := VerifyJWT(strings.TrimPrefix(auth, "Bearer "), f.creds.PublicKey(), f.creds.KeyName(), uri, time.Now()); err != nil {
			f.t.Errorf("%s: %v", pattern, err)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
	}
	f.mu.Lock()
	h, ok := f.route[pattern]
	if !ok {
		for p, hh := range f.route {
			if strings.HasSuffix(p, "*") && strings.HasPrefix(pattern, strings.TrimSuffix(p, "*")) {
				h, ok, pattern = hh, true, p
			}
		}
	}
	f.hits[pattern]++
	f.bodies[pattern] = append(f.bodies[pattern], string(body))
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":"NOT_FOUND","message":"no route %s"}`, pattern)
		return
	}
	h(w, r)
}

// recordingObserver counts what the client and feed report.
type recordingObserver struct {
	mu         sync.Mutex
	requests   map[string][]int
	waits      int
	retries    []string
	malformed  []string
	reconnects []string
	gaps       int64
	// delays are the waits before reconnecting, and the 0 each connection
	// that delivered reported.
	delays []time.Duration
}

func (o *recordingObserver) ReconnectDelay(_ string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delays = append(o.delays, d)
}

func (o *recordingObserver) ObserveRequest(ep string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.requests == nil {
		o.requests = map[string][]int{}
	}
	o.requests[ep] = append(o.requests[ep], status)
}

func (o *recordingObserver) RateLimitWait(string, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.waits++
}

func (o *recordingObserver) Retry(ep, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retries = append(o.retries, ep+":"+reason)
}

func (o *recordingObserver) MalformedMessage(feed, ch string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.malformed = append(o.malformed, feed+":"+ch)
}

func (o *recordingObserver) Reconnect(feed, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reconnects = append(o.reconnects, feed+":"+reason)
}

func (o *recordingObserver) SequenceGap(_ string, missed int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gaps += missed
}

func (o *recordingObserver) snapshot() recordingObserver {
	o.mu.Lock()
	defer o.mu.Unlock()
	return recordingObserver{waits: o.waits, retries: append([]string(nil), o.retries...),
		malformed: append([]string(nil), o.malformed...), reconnects: append([]string(nil), o.reconnects...), gaps: o.gaps,
		delays: append([]time.Duration(nil), o.delays...)}
}
