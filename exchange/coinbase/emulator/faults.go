package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tradebot/tradebot/internal/echo"
)

// faults holds the failures asked for and not yet spent. Any goroutine
// may read or change it under mu.
type faults struct {
	mu            sync.Mutex
	delay         time.Duration
	tooMany       int // 429s left to send
	serverErrors  int // 5xx left to send
	serverStatus  int
	loseCreate    int // create-order responses left to lose
	dropEvery     time.Duration
	dropEveryWake chan struct{}
}

// rateLimitHTML is the body of the 429 a gateway sent on POST /orders in a
// public report (advanced-trade-sdk-go #18): HTML, not JSON, which a
// client must survive.
const rateLimitHTML = `<html>
<head><title>429 Too Many Requests</title></head>
<body>
<center><h1>429 Too Many Requests</h1></center>
<hr><center>cloudflare</center>
</body>
</html>
`

// serverErrorHTML is the body of an injected 5xx, as a gateway in front
// of the API would send it.
const serverErrorHTML = `<html>
<head><title>%d %s</title></head>
<body>
<center><h1>%d %s</h1></center>
<hr><center>cloudflare</center>
</body>
</html>
`

// Delay makes every REST response wait d before it is handled (0 stops).
func (e *Emulator) Delay(d time.Duration) {
	e.faults.mu.Lock()
	e.faults.delay = max(d, 0)
	e.faults.mu.Unlock()
}

// RateLimitBurst makes the next n REST requests fail with 429 and an HTML
// body, before authentication, as a gateway does.
func (e *Emulator) RateLimitBurst(n int) {
	e.faults.mu.Lock()
	e.faults.tooMany = max(n, 0)
	e.faults.mu.Unlock()
}

// ServerErrorBurst makes the next n REST requests fail with status (500
// when not a 5xx) and an HTML body, without reaching the exchange.
func (e *Emulator) ServerErrorBurst(n, status int) {
	if status < 500 || status > 599 {
		status = http.StatusInternalServerError
	}
	e.faults.mu.Lock()
	e.faults.serverErrors, e.faults.serverStatus = max(n, 0), status
	e.faults.mu.Unlock()
}

// LoseNextCreateResponse makes the next POST /orders place its order and
// then close the connection without answering, so that the client does
// not know whether the order exists.
func (e *Emulator) LoseNextCreateResponse() {
	e.faults.mu.Lock()
	e.faults.loseCreate++
	e.faults.mu.Unlock()
}

// KeepCreateResponses cancels what LoseNextCreateResponse asked for and
// no create has met yet: the next creates are answered again.
func (e *Emulator) KeepCreateResponses() {
	e.faults.mu.Lock()
	e.faults.loseCreate = 0
	e.faults.mu.Unlock()
}

// SequenceGap makes every open WebSocket connection skip one sequence
// number on its next message.
func (e *Emulator) SequenceGap() { e.ws.gap() }

// MuteUserChannel stops (true) or resumes (false) the user channel's
// order updates on every open connection, while the connections stay up
// and their heartbeats go on: a subscription the venue dropped without a
// word. Orders change meanwhile unseen; a new connection's subscription
// works (its snapshot shows them), and REST always does.
func (e *Emulator) MuteUserChannel(on bool) { e.ws.muteUser(on) }

// DropSockets closes every open WebSocket connection now.
func (e *Emulator) DropSockets() { e.ws.closeAll() }

// SocketOutage closes every open WebSocket connection and refuses new
// ones with 503 for d, so that whatever happens meanwhile (fills, order
// updates) is missed by the client and must be recovered through REST.
func (e *Emulator) SocketOutage(d time.Duration) {
	e.ws.mu.Lock()
	e.ws.refuseUntil = time.Now().Add(d)
	e.ws.mu.Unlock()
	e.ws.closeAll()
}

// DropSocketsEvery closes every open WebSocket connection every d, until
// called with 0.
func (e *Emulator) DropSocketsEvery(d time.Duration) {
	f := e.faults
	f.mu.Lock()
	f.dropEvery = max(d, 0)
	wake := f.dropEveryWake
	f.mu.Unlock()
	if wake != nil {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// dropLoop is the goroutine behind DropSocketsEvery; it ends with ctx.
func (f *faults) dropLoop(ctx context.Context, hub *wsHub) {
	wake := make(chan struct{}, 1)
	f.mu.Lock()
	f.dropEveryWake = wake
	f.mu.Unlock()
	var tick <-chan time.Time
	var t *time.Ticker
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	reset := func() {
		if t != nil {
			t.Stop()
			t, tick = nil, nil
		}
		f.mu.Lock()
		d := f.dropEvery
		f.mu.Unlock()
		if d > 0 {
			t = time.NewTicker(d)
			tick = t.C
		}
	}
	reset()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			reset()
		case <-tick:
			hub.closeAll()
		}
	}
}

// gate applies the pending REST faults before a request is handled. It
// returns false when it has answered the request itself.
func (f *faults) gate(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	delay := f.delay
	var status int
	switch {
	case f.tooMany > 0:
		f.tooMany--
		status = http.StatusTooManyRequests
	case f.serverErrors > 0:
		f.serverErrors--
		status = f.serverStatus
	}
	f.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	switch {
	case status == http.StatusTooManyRequests:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprint(w, rateLimitHTML)
		return false
	case status != 0:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		text := http.StatusText(status)
		fmt.Fprintf(w, serverErrorHTML, status, text, status, text)
		return false
	}
	return true
}

// takeLoseCreate reports whether this create-order response is to be
// lost, and spends the fault.
func (f *faults) takeLoseCreate() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loseCreate > 0 {
		f.loseCreate--
		return true
	}
	return false
}

// FaultRequest is the JSON body of POST /emulator/faults. Every field is
// optional; durations are Go durations ("250ms", "5s").
type FaultRequest struct {
	DropSockets       bool   `json:"drop_sockets,omitempty"`
	DropEvery         string `json:"drop_every,omitempty"`
	SequenceGap       bool   `json:"sequence_gap,omitempty"`
	RateLimitBurst    int    `json:"rate_limit_burst,omitempty"`
	ServerErrorBurst  int    `json:"server_error_burst,omitempty"`
	ServerErrorStatus int    `json:"server_error_status,omitempty"`
	Delay             string `json:"delay,omitempty"`
	LoseNextCreate    bool   `json:"lose_next_create,omitempty"`
	CancelDelay       string `json:"cancel_delay,omitempty"`
	// MuteUser stops (true) or resumes (false) the user channel's order
	// updates on the open connections: MuteUserChannel.
	MuteUser *bool `json:"mute_user,omitempty"`
	// AuctionMode puts each product named in auction mode (true) or
	// takes it out (false): AuctionMode.
	AuctionMode map[string]bool `json:"auction_mode,omitempty"`
}

// Apply carries out every fault the request names.
func (e *Emulator) Apply(fr FaultRequest) error {
	var every, delay time.Duration
	var err error
	if fr.DropEvery != "" {
		if every, err = time.ParseDuration(fr.DropEvery); err != nil {
			return fmt.Errorf("drop_every %q: %w", fr.DropEvery, err)
		}
	}
	if fr.Delay != "" {
		if delay, err = time.ParseDuration(fr.Delay); err != nil {
			return fmt.Errorf("delay %q: %w", fr.Delay, err)
		}
	}
	var cancelDelay time.Duration
	if fr.CancelDelay != "" {
		if cancelDelay, err = time.ParseDuration(fr.CancelDelay); err != nil {
			return fmt.Errorf("cancel_delay %q: %w", fr.CancelDelay, err)
		}
	}
	for id := range fr.AuctionMode {
		if _, err := e.sim.Product(context.Background(), id); err != nil {
			return fmt.Errorf("auction_mode: product %q is not listed", echo.Cut(id))
		}
	}
	if fr.RateLimitBurst < 0 || fr.ServerErrorBurst < 0 {
		return fmt.Errorf("rate_limit_burst %d, server_error_burst %d: must not be negative", fr.RateLimitBurst, fr.ServerErrorBurst)
	}
	if fr.DropEvery != "" {
		e.DropSocketsEvery(every)
	}
	if fr.Delay != "" {
		e.Delay(delay)
	}
	if fr.RateLimitBurst > 0 {
		e.RateLimitBurst(fr.RateLimitBurst)
	}
	if fr.ServerErrorBurst > 0 {
		e.ServerErrorBurst(fr.ServerErrorBurst, fr.ServerErrorStatus)
	}
	if fr.LoseNextCreate {
		e.LoseNextCreateResponse()
	}
	if fr.CancelDelay != "" {
		e.CancelDelay(cancelDelay)
	}
	for id, on := range fr.AuctionMode {
		_ = e.AuctionMode(id, on) // listed: checked above
	}
	if fr.MuteUser != nil {
		e.MuteUserChannel(*fr.MuteUser)
	}
	if fr.SequenceGap {
		e.SequenceGap()
	}
	if fr.DropSockets {
		e.DropSockets()
	}
	return nil
}

// loopbackOnly refuses a request that does not come from a loopback
// address: the admin API changes what the emulator does.
func loopbackOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		if err != nil || ip == nil || !ip.IsLoopback() {
			writeError(w, http.StatusForbidden, "PERMISSION_DENIED", "the emulator admin API answers loopback clients only")
			return
		}
		next(w, r)
	}
}

// handleFaults serves POST /emulator/faults.
func (e *Emulator) handleFaults(w http.ResponseWriter, r *http.Request) {
	var fr FaultRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fr); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "fault request: "+err.Error())
		return
	}
	if err := e.Apply(fr); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "fault request: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// handleStats serves GET /emulator/stats.
func (e *Emulator) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, e.Stats())
}
