package emulator

import (
	"maps"
	"slices"
	"sync"

	"golang.org/x/time/rate"
)

// maxRecordedJWTs bounds the JWTs kept for JWTs(); a long-running cbemu
// must not grow without end. The count keeps going.
const maxRecordedJWTs = 10000

// stats counts what the emulator has seen. Any goroutine may update it
// under mu.
type stats struct {
	mu          sync.Mutex
	requests    map[string]int
	creates     map[string]int // POST /orders requests per client_order_id
	jwts        []string
	jwtCount    int
	authFailure int
}

func newStats() *stats {
	return &stats{requests: make(map[string]int), creates: make(map[string]int)}
}

func (s *stats) request(endpoint string) {
	s.mu.Lock()
	s.requests[endpoint]++
	s.mu.Unlock()
}

func (s *stats) create(clientOrderID string) {
	s.mu.Lock()
	s.creates[clientOrderID]++
	s.mu.Unlock()
}

// jwt records a token as seen, whether or not it is valid or the request
// it came with got as far as the verifier.
func (s *stats) jwt(token string) {
	s.mu.Lock()
	s.jwtCount++
	if len(s.jwts) < maxRecordedJWTs {
		s.jwts = append(s.jwts, token)
	}
	s.mu.Unlock()
}

func (s *stats) authFailed() {
	s.mu.Lock()
	s.authFailure++
	s.mu.Unlock()
}

// Stats is a snapshot of the emulator's counters, as GET /emulator/stats
// returns it. JWTs themselves are left out: they are credentials for two
// minutes.
type Stats struct {
	// Requests counts REST requests per endpoint ("POST /orders").
	Requests map[string]int `json:"requests"`
	// CreateRequests counts POST /orders requests per client_order_id;
	// OrdersPerClientID counts the orders that exist per client_order_id,
	// which must never exceed 1.
	CreateRequests    map[string]int `json:"create_requests"`
	OrdersPerClientID map[string]int `json:"orders_per_client_id"`
	JWTsSeen          int            `json:"jwts_seen"`
	AuthFailures      int            `json:"auth_failures"`
	WSConnections     int            `json:"ws_connections"`
}

// Stats returns the counters so far.
func (e *Emulator) Stats() Stats {
	s := e.stats
	s.mu.Lock()
	out := Stats{
		Requests:       maps.Clone(s.requests),
		CreateRequests: maps.Clone(s.creates),
		JWTsSeen:       s.jwtCount,
		AuthFailures:   s.authFailure,
	}
	s.mu.Unlock()
	out.OrdersPerClientID = make(map[string]int)
	for _, o := range e.sim.Orders() {
		if o.ClientOrderID != "" {
			out.OrdersPerClientID[o.ClientOrderID]++
		}
	}
	out.WSConnections = e.ws.count()
	return out
}

// Requests returns how many REST requests reached endpoint, named as
// "METHOD /path-pattern" below the REST root ("POST /orders",
// "GET /orders/historical/{order_id}").
func (e *Emulator) Requests(endpoint string) int {
	e.stats.mu.Lock()
	defer e.stats.mu.Unlock()
	return e.stats.requests[endpoint]
}

// OrdersWithClientID returns how many orders carry clientOrderID: 0 or 1
// when the emulator keeps Coinbase's idempotency promise.
func (e *Emulator) OrdersWithClientID(clientOrderID string) int {
	return e.sim.PlaceCount(clientOrderID)
}

// JWTs returns the JWTs seen so far (REST and WebSocket), oldest first,
// up to the first 10,000; tests check that none appears in a log.
func (e *Emulator) JWTs() []string {
	e.stats.mu.Lock()
	defer e.stats.mu.Unlock()
	return slices.Clone(e.stats.jwts)
}

// limiter enforces the documented request rates: a token bucket per key
// for private endpoints and per client IP for public ones, each holding
// one second of requests.
type limiter struct {
	cfg     RateLimits
	mu      sync.Mutex
	private map[string]*rate.Limiter
	public  map[string]*rate.Limiter
}

func newLimiter(cfg RateLimits) *limiter {
	return &limiter{cfg: cfg, private: make(map[string]*rate.Limiter), public: make(map[string]*rate.Limiter)}
}

// allow reports whether one more request of who fits the rate.
func (l *limiter) allow(public bool, who string) bool {
	if l.cfg.Disabled {
		return true
	}
	l.mu.Lock()
	m, r := l.private, l.cfg.Private
	if public {
		m, r = l.public, l.cfg.Public
	}
	lim := m[who]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(r), max(int(r), 1))
		m[who] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}
