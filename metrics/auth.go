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
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// Limits of authGate. A flood of wrong passwords costs the daemon at most
// attemptsBurst bcrypt checks per client at once, then one per
// attemptEvery; the rest are answered 429 without one.
const (
	attemptsBurst = 10
	attemptEvery  = 6 * time.Second
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
//     a request whose client gave up is dropped before its bcrypt.
//
// So a flood from one client costs one bcrypt at a time, and a valid
// operator from another address waits for at most the one in progress
// and one per other flooding client (docs/BENCHMARKS.md measures it).
type authGate struct {
	path string
	next http.Handler
	log  *slog.Logger
	// global is the web config's rate_limit, shared by every request as
	// in the toolkit; nil when unset.
	global *rate.Limiter

	bcryptSlot chan struct{}
	macKey     [32]byte

	mu       sync.Mutex
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
	g := &authGate{path: path, next: next, log: log, bcryptSlot: make(chan struct{}, 1),
		clients: map[string]*client{}, verified: map[[32]byte]struct{}{}}
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
	if g.global != nil && !g.global.Allow() {
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
		switch g.check(r, user, pass, string(hash), known) {
		case verdictOK:
			g.next.ServeHTTP(w, r)
			return
		case verdictBusy:
			w.Header().Set("Retry-After", strconv.Itoa(int(attemptEvery/time.Second)))
			http.Error(w, "too many failed logins from your address; try again later", http.StatusTooManyRequests)
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
	verdictBusy // the client's budget is spent or it has a check running
	verdictGone // the client went away before its turn
)

// check decides one request's credentials.
func (g *authGate) check(r *http.Request, user, pass, hash string, known bool) verdict {
	mac := hmac.New(sha256.New, g.macKey[:])
	for _, s := range []string{user, hash, pass} {
		mac.Write([]byte(strconv.Itoa(len(s))))
		mac.Write([]byte{':'})
		mac.Write([]byte(s))
	}
	var key [32]byte
	mac.Sum(key[:0])

	prefix := clientPrefix(r.RemoteAddr)
	g.mu.Lock()
	if _, ok := g.verified[key]; ok && known {
		g.mu.Unlock()
		return verdictOK
	}
	cl := g.clients[prefix]
	if cl == nil {
		if len(g.clients) >= maxClients {
			g.clients = map[string]*client{}
		}
		cl = &client{budget: rate.NewLimiter(rate.Every(attemptEvery), attemptsBurst)}
		g.clients[prefix] = cl
	}
	if cl.busy || !cl.budget.Allow() {
		g.mu.Unlock()
		return verdictBusy
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
		return verdictGone
	}
	if r.Context().Err() != nil {
		<-g.bcryptSlot
		return verdictGone
	}
	want := []byte(hash)
	if !known {
		want = dummyHash
	}
	err := bcrypt.CompareHashAndPassword(want, []byte(pass))
	<-g.bcryptSlot
	if err != nil || !known {
		return verdictRefused
	}
	g.mu.Lock()
	if len(g.verified) >= maxVerified {
		clear(g.verified)
	}
	g.verified[key] = struct{}{}
	g.mu.Unlock()
	return verdictOK
}

// drain waits for the bcrypt check in progress, if any: once the server
// is closed, a check cannot be interrupted but must not outlive it.
// Requests still waiting for their turn have lost their connection and
// give up before their check.
func (g *authGate) drain() {
	g.bcryptSlot <- struct{}{}
	<-g.bcryptSlot
}
