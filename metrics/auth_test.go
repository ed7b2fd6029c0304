package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func testGate(t *testing.T) *authGate {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(path, []byte("basic_auth_users:\n  op: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := readWebConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return newAuthGate(path, ok, c, slog.New(slog.DiscardHandler))
}

// clientBusy reports whether the client at remote has a check under way.
func (g *authGate) clientBusy(remote string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	cl := g.clients[clientPrefix(remote)]
	return cl != nil && cl.busy
}

func authRequest(ctx context.Context, remote, pass string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil).WithContext(ctx)
	r.RemoteAddr = remote
	r.SetBasicAuth("op", pass)
	return r
}

// TestAbandonedRequestIsDroppedBeforeItsCheck: a request whose client
// went away while it waited for its bcrypt turn costs no check.
func TestAbandonedRequestIsDroppedBeforeItsCheck(t *testing.T) {
	g := testGate(t)
	g.bcryptSlot <- struct{}{} // another client's check is running
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, authRequest(ctx, "192.0.2.1:5000", "wrong"))
		done <- rec.Code
	}()
	// Its client is marked busy just before it waits for the slot.
	for deadline := time.Now().Add(5 * time.Second); !g.clientBusy("192.0.2.1:5000"); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the request never came to wait for its bcrypt turn")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the abandoned request still waits for its bcrypt check")
	}
	<-g.bcryptSlot
	if n := g.checks.Load(); n != 0 {
		t.Errorf("the abandoned request cost %d bcrypt checks, want none", n)
	}
}

// TestOneClientsFloodIsAnswered429AfterItsBudget: a client has one check at a
// time and attemptsBurst in all; the rest are answered without a check,
// and another client's right password still passes, then is remembered.
func TestOneClientsFloodIsAnswered429AfterItsBudget(t *testing.T) {
	g := testGate(t)
	codes := map[int]int{}
	for i := 0; i < 3*attemptsBurst; i++ {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, authRequest(context.Background(), "192.0.2.1:5000", "wrong"))
		codes[rec.Code]++
	}
	if codes[http.StatusUnauthorized] != attemptsBurst || codes[http.StatusTooManyRequests] != 2*attemptsBurst {
		t.Errorf("answers to one client's wrong passwords: %v, want %d 401 then 429", codes, attemptsBurst)
	}
	for i := 0; i < 3; i++ {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, authRequest(context.Background(), "198.51.100.7:6000", "right"))
		if rec.Code != http.StatusOK {
			t.Fatalf("the operator from another address: %d", rec.Code)
		}
	}
	if len(g.verified) != 1 {
		t.Errorf("%d verified credentials remembered, want 1", len(g.verified))
	}
}
