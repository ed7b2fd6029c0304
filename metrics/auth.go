package metrics

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// Limits of authGate. A flood of wrong passwords costs the daemon at most
// attemptsBurst bcrypt checks per client at once, then one per
// attemptEvery; and, from every client together, failedBurst units of
// bcrypt work at once, then one unit per failedEvery. The rest are
// answered 429 without a check.
const (
	attemptsBurst = 10
	attemptEvery  = 6 * time.Second
	// A unit is one check at cost unitCost (bcrypt.DefaultCost, some
	// 60 ms of one core); a check at cost c is 2^(c-unitCost) units, as
	// its work doubles with each step. At one unit per 500 ms, wrong
	// passwords from any number of addresses take at most about an
	// eighth of one core, averaged, of the two a trading machine may
	// have; the burst lets 20 mistakes at the default cost (5 at
	// htpasswd -C 12) through at once.
	failedBurst = 20
	failedEvery = 500 * time.Millisecond
	unitCost    = bcrypt.DefaultCost
	// maxClients bounds the per-client table; beyond it the table starts
	// again, which forgives everybody (a bounded memory, not a bypass: a
	// client must then spend its burst again).
	maxClients = 10000
	// maxVerified bounds the cache of credentials already checked.
	maxVerified = 64
)

// dummyHash is checked for an unknown user, so that a wrong user name
// costs the same time as a wrong password (bcrypt, cost 10, of a word no
// user has).
var dummyHash = []byte("$2a$10$KEmQZyrt8vYtVJvhG7Zjbe2KNhPdQWjcWk0y2B1OP7okGGmuPoxeC")

// authGate checks the web configuration's basic-auth users so that the
// kill switch keeps working while somebody floods the server with wrong
// passwords:
//
//   - credentials checked once are remembered (an HMAC under a key made
//     at start, never the password), so a valid operator or Prometheus
//     pays bcrypt once;
//   - each client (IPv4 address, IPv6 /64) has one bcrypt check at a time
//     and a budget of attemptsBurst checks refilled one per attemptEvery;
//     a request beyond it is answered 429 at once;
//   - checks from different clients take turns at one bcrypt at a time, and
//     a request whose client gave up is dropped before its bcrypt;
//   - the checks that fail, from every client together, have a budget of
//     bcrypt work (failedBurst units, refilled one per failedEvery): once
//     it is spent, a request whose credentials are not remembered is
//     answered 429 with the wait in Retry-After, without a check, so
//     that many addresses cannot take the CPU the trading loop needs.
//
// Only a failed check is charged, to its client's budget and to the
// shared one; a request refused for the shared budget charges nothing. So
// a flood from one client costs one bcrypt at a time, a flood from many
// at most the shared budget, and a valid operator from another address
// waits for at most the checks the budget lets through, or, once a
// flood has spent it, gets in within seconds of the flood's end (at most
// the Retry-After answered). Credentials checked before the flood (the
// Prometheus scraper, an operator who logged in) pass throughout.
type authGate struct {
	path string
	next http.Handler
	log  *slog.Logger
	// global is the web config's rate_limit, shared by every request as
	// in the toolkit; nil when unset.
	global *rate.Limiter

	bcryptSlot chan struct{}
	macKey     [32]byte
	// now is the time the budgets are kept in: the wall clock; a test
	// sets a clock it moves.
	now func() time.Time
	// checks counts the bcrypt checks made, for the tests.
	checks atomic.Int64
	// floodLog limits the warning that the shared budget is spent to one
	// a minute.
	floodLog *rate.Limiter

	mu sync.Mutex
	// failed is the budget of failed checks' bcrypt work shared by every
	// client; failed and the clients' budgets are charged under mu.
	failed   *rate.Limiter
	clients  map[string]*client
	verified map[[32]byte]struct{}
	// The web config as last read, and the file's size and time then: a
	// flood costs a stat per request, not a read and a YAML parse.
	cfg     *web.Config
	cfgSize int64
	cfgTime time.Time
}

type client struct {
	budget *rate.Limiter
	busy   bool // a bcrypt check of this client runs or waits
}

func newAuthGate(path string, next http.Handler, c *web.Config, log *slog.Logger) *authGate {
	g := &authGate{path: path, next: next, log: log, bcryptSlot: make(chan struct{}, 1), now: time.Now,
		floodLog: rate.NewLimiter(rate.Every(time.Minute), 1),
		failed:   rate.NewLimiter(rate.Every(failedEvery), failedBurst),
		clients:  map[string]*client{}, verified: map[[32]byte]struct{}{}}
	if rl := c.RateLimiterConfig; rl.Interval != 0 {
		g.global = rate.NewLimiter(rate.Every(rl.Interval), rl.Burst)
	}
	if _, err := rand.Read(g.macKey[:]); err != nil {
		panic("metrics: no randomness for the credential cache: " + err.Error())
	}
	return g
}

// config returns the web config, read again when the file changed.
func (g *authGate) config() (*web.Config, error) {
	st, err := os.Stat(g.path)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cfg != nil && st.Size() == g.cfgSize && st.ModTime().Equal(g.cfgTime) {
		return g.cfg, nil
	}
	c, err := readWebConfig(g.path)
	if err != nil {
		return nil, err
	}
	g.cfg, g.cfgSize, g.cfgTime = c, st.Size(), st.ModTime()
	return c, nil
}

func (g *authGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := g.config()
	if err != nil {
		g.log.Error("web config file cannot be read", "file", g.path, "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	if g.global != nil && !g.global.AllowN(g.now(), 1) {
		http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
		return
	}
	for k, v := range c.HTTPConfig.Header {
		w.Header().Set(k, v)
	}
	if len(c.Users) == 0 {
		g.next.ServeHTTP(w, r)
		return
	}
	user, pass, ok := r.BasicAuth()
	if ok {
		hash, known := c.Users[user]
		v, wait := g.check(r, user, pass, string(hash), known)
		switch v {
		case verdictOK:
			g.next.ServeHTTP(w, r)
			return
		case verdictBusy:
			w.Header().Set("Retry-After", retryAfter(wait))
			http.Error(w, "too many failed logins from your address; try again later", http.StatusTooManyRequests)
			return
		case verdictFlood:
			w.Header().Set("Retry-After", retryAfter(wait))
			http.Error(w, "too many failed logins to this server from many addresses; try again in "+retryAfter(wait)+" s", http.StatusTooManyRequests)
			return
		case verdictGone:
			return
		}
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="tradebot"`)
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

type verdict int

const (
	verdictRefused verdict = iota
	verdictOK
	verdictBusy  // the client's budget is spent or it has a check running
	verdictFlood // the budget shared by every client is spent
	verdictGone  // the client went away before its turn
)

// retryAfter is a Retry-After value: wait in whole seconds, at least 1.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second)))
}

// checkUnits is what a failed check of hash costs the shared budget: its
// bcrypt work in units of a check at unitCost, at least 1 and at most the
// whole budget (a hash the budget could never pay for is still checked,
// when the budget is whole).
func checkUnits(hash []byte) int {
	cost, err := bcrypt.Cost(hash)
	if err != nil || cost <= unitCost {
		return 1
	}
	return min(1<<(cost-unitCost), failedBurst) // cost is at most 31
}

// budgetWait is how long until lim holds n tokens at now; 0 if it does.
func budgetWait(lim *rate.Limiter, now time.Time, n int) time.Duration {
	missing := float64(n) - lim.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing * float64(time.Second) / float64(lim.Limit()))
}

// check decides one request's credentials; for a refusal with 429 it also
// returns how long to wait.
func (g *authGate) check(r *http.Request, user, pass, hash string, known bool) (verdict, time.Duration) {
	mac := hmac.New(sha256.New, g.macKey[:])
	for _, s := range []string{user, hash, pass} {
		mac.Write([]byte(strconv.Itoa(len(s))))
		mac.Write([]byte{':'})
		mac.Write([]byte(s))
	}
	var key [32]byte
	mac.Sum(key[:0])

	want := []byte(hash)
	if !known {
		want = dummyHash
	}
	units := checkUnits(want)

	prefix := clientPrefix(r.RemoteAddr)
	g.mu.Lock()
	if _, ok := g.verified[key]; ok && known {
		g.mu.Unlock()
		return verdictOK, 0
	}
	cl := g.clients[prefix]
	if cl == nil {
		if len(g.clients) >= maxClients {
			g.clients = map[string]*client{}
		}
		cl = &client{budget: rate.NewLimiter(rate.Every(attemptEvery), attemptsBurst)}
		g.clients[prefix] = cl
	}
	// Budgets are charged only when a check fails (below); the one check
	// a client may have at a time keeps its own budget from being
	// overdrawn, and the one bcrypt slot the shared one.
	now := g.now()
	if cl.busy {
		g.mu.Unlock()
		return verdictBusy, attemptEvery
	}
	if wait := budgetWait(cl.budget, now, 1); wait > 0 {
		g.mu.Unlock()
		return verdictBusy, wait
	}
	if wait := budgetWait(g.failed, now, units); wait > 0 {
		g.mu.Unlock()
		g.warnFlood(wait)
		return verdictFlood, wait
	}
	cl.busy = true
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		cl.busy = false
		g.mu.Unlock()
	}()

	select {
	case g.bcryptSlot <- struct{}{}:
	case <-r.Context().Done():
		return verdictGone, 0
	}
	if r.Context().Err() != nil {
		<-g.bcryptSlot
		return verdictGone, 0
	}
	// The shared budget again, now that this is the only check: the
	// failures of the checks ahead in the queue were charged to it.
	g.mu.Lock()
	wait := budgetWait(g.failed, g.now(), units)
	g.mu.Unlock()
	if wait > 0 {
		<-g.bcryptSlot
		g.warnFlood(wait)
		return verdictFlood, wait
	}
	g.checks.Add(1)
	err := bcrypt.CompareHashAndPassword(want, []byte(pass))
	if err != nil || !known {
		g.mu.Lock()
		now := g.now()
		cl.budget.ReserveN(now, 1)
		g.failed.ReserveN(now, units)
		g.mu.Unlock()
		<-g.bcryptSlot
		return verdictRefused, 0
	}
	<-g.bcryptSlot
	g.mu.Lock()
	if len(g.verified) >= maxVerified {
		clear(g.verified)
	}
	g.verified[key] = struct{}{}
	g.mu.Unlock()
	return verdictOK, 0
}

// warnFlood logs, at most once a minute, that the shared budget of failed
// checks is spent: wrong passwords come from many addresses at once.
func (g *authGate) warnFlood(wait time.Duration) {
	if g.floodLog.Allow() {
		g.log.Warn("failed logins from many addresses: the shared budget of password checks is spent; answering 429 without a check",
			"retry_after", retryAfter(wait)+"s")
	}
}

// drain waits for the bcrypt check in progress, if any: once the server
// is closed, a check cannot be interrupted but must not outlive it.
// Requests still waiting for their turn have lost their connection and
// give up before their check.
func (g *authGate) drain() {
	g.bcryptSlot <- struct{}{}
	<-g.bcryptSlot
}
