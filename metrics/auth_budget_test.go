package metrics

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tradebot/tradebot/clock"
)

// budgetServer serves /metrics on loopback behind a web config with the
// users op (password "right") and prom (password "scrape"), their hashes
// at bcrypt's least cost (one unit each, as at the default cost), with
// the auth budgets kept in clk's time. It returns the server's address.
func budgetServer(t *testing.T, clk *clock.Sim) (*Server, string) {
	t.Helper()
	var doc strings.Builder
	doc.WriteString("basic_auth_users:\n")
	for user, pass := range map[string]string{"op": "right", "prom": "scrape"} {
		hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&doc, "  %s: %s\n", user, hash)
	}
	path := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(path, []byte(doc.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(ServerConfig{ListenAddress: "127.0.0.1:0", WebConfigFile: path})
	if err != nil {
		t.Fatal(err)
	}
	s.gate.now = clk.Now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, s.Addr().String()
}

// fromAddress is a client whose connections come from the loopback
// address ip (any of 127.0.0.0/8 on Linux): a client address of its own
// for the server, as the server trusts no header for it.
func fromAddress(t *testing.T, ip string) *http.Client {
	t.Helper()
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// answer is the status, Retry-After and body of one request.
type answer struct {
	code       int
	retryAfter string
	body       string
}

func get(t *testing.T, c *http.Client, addr, user, pass string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
}

// A flood of wrong passwords from many addresses, each within its own
// budget, costs at most the budget shared by every client, not one
// bcrypt check per address: beyond it the answer is 429 with a
// Retry-After, without a check. Credentials checked before the flood
// still pass without one; a new login waits for the Retry-After and then
// gets in with one check.
func TestAFloodFromManyAddressesCostsAtMostTheSharedBudget(t *testing.T) {
	clk := clock.NewSim(time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC))
	s, addr := budgetServer(t, clk)

	// Prometheus logs in before the flood: one check, remembered.
	prom := fromAddress(t, "127.0.0.250")
	if a := get(t, prom, addr, "prom", "scrape", nil); a.code != http.StatusOK {
		t.Fatalf("Prometheus before the flood: %d %q", a.code, a.body)
	}

	// 40 addresses, 5 wrong passwords each (half their own budget): 200
	// checks without the shared budget.
	const addresses, each = 40, 5
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range addresses {
		c := fromAddress(t, fmt.Sprintf("127.0.0.%d", 2+i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range each {
				a := get(t, c, addr, "op", fmt.Sprintf("guess-%d-%d", i, n), nil)
				if a.code == http.StatusTooManyRequests {
					if secs, err := strconv.Atoi(a.retryAfter); err != nil || secs < 1 || !strings.Contains(a.body, "many addresses") {
						t.Errorf("a 429 of the shared budget: Retry-After %q, body %q", a.retryAfter, a.body)
					}
				}
				mu.Lock()
				codes[a.code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	checks := s.gate.checks.Load() - 1
	if checks != failedBurst || codes[http.StatusUnauthorized] != failedBurst || codes[http.StatusTooManyRequests] != addresses*each-failedBurst {
		t.Errorf("%d wrong passwords from %d addresses: %d bcrypt checks, answers %v; want %d checks and %d 401, the rest 429",
			addresses*each, addresses, checks, codes, failedBurst, failedBurst)
	}

	// Prometheus keeps scraping without a check.
	before := s.gate.checks.Load()
	if a := get(t, prom, addr, "prom", "scrape", nil); a.code != http.StatusOK || s.gate.checks.Load() != before {
		t.Errorf("Prometheus during the flood: %d %q, %d checks; want 200 without one", a.code, a.body, s.gate.checks.Load()-before)
	}

	// The operator, new and from an address of their own, is told when to
	// come back, and gets in then with one check.
	operator := fromAddress(t, "127.0.0.251")
	a := get(t, operator, addr, "op", "right", nil)
	secs, err := strconv.Atoi(a.retryAfter)
	if a.code != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 5 {
		t.Fatalf("the operator while the budget is spent: %d, Retry-After %q; want 429 and a wait of 1 to 5 s", a.code, a.retryAfter)
	}
	clk.Set(clk.Now().Add(time.Duration(secs) * time.Second))
	before = s.gate.checks.Load()
	if a := get(t, operator, addr, "op", "right", nil); a.code != http.StatusOK || s.gate.checks.Load() != before+1 {
		t.Errorf("the operator after the Retry-After: %d %q, %d checks; want 200 after one", a.code, a.body, s.gate.checks.Load()-before)
	}
}

// The client's address is the connection's: a header naming other
// addresses gives a flooding client no budget of theirs.
func TestForwardedForGivesNoBudgetOfAnotherAddress(t *testing.T) {
	clk := clock.NewSim(time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC))
	s, addr := budgetServer(t, clk)
	c := fromAddress(t, "127.0.0.9")
	codes := map[int]int{}
	for i := range 3 * attemptsBurst {
		fake := fmt.Sprintf("203.0.113.%d", i)
		a := get(t, c, addr, "op", "wrong", map[string]string{"X-Forwarded-For": fake, "X-Real-IP": fake, "Forwarded": "for=" + fake})
		codes[a.code]++
	}
	if n := s.gate.checks.Load(); n != attemptsBurst || codes[http.StatusUnauthorized] != attemptsBurst {
		t.Errorf("%d wrong passwords from one address naming others: %d checks, answers %v; want %d checks, then 429",
			3*attemptsBurst, n, codes, attemptsBurst)
	}
}
