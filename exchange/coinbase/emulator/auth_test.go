package emulator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// token signs claims as a CDP client would, with every part open to
// change by the test.
type token struct {
	key     *ecdsa.PrivateKey
	kid     string
	sub     string
	iss     string
	uri     string
	nbf     time.Time
	life    time.Duration
	noNonce bool
}

func (tk token) sign(t *testing.T) string {
	t.Helper()
	claims := jwt.MapClaims{"sub": tk.sub, "iss": tk.iss, "nbf": tk.nbf.Unix(), "exp": tk.nbf.Add(tk.life).Unix()}
	if tk.uri != "" {
		claims["uri"] = tk.uri
	}
	j := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	j.Header["kid"] = tk.kid
	if !tk.noNonce {
		j.Header["nonce"] = "0123456789abcdef"
	}
	s, err := j.SignedString(tk.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func privateKey(t *testing.T, kf KeyFile) *ecdsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode([]byte(kf.PrivateKey))
	k, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRESTJWTIsVerified(t *testing.T) {
	var logs bytes.Buffer
	v := startEnv(t, config{opts: Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	good := privateKey(t, v.kf)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(v.e.BaseURL(), "http://")
	uri := "GET " + host + RESTPath + "/accounts"
	valid := token{key: good, kid: v.key.Name, sub: v.key.Name, iss: "cdp", uri: uri, nbf: time.Now(), life: 2 * time.Minute}
	tests := []struct {
		name   string
		change func(*token)
		want   int
	}{
		{"valid token", func(*token) {}, 200},
		{"legacy issuer coinbase-cloud", func(tk *token) { tk.iss = "coinbase-cloud" }, 200},
		{"bad signature", func(tk *token) { tk.key = other }, 401},
		{"wrong uri path", func(tk *token) { tk.uri = "GET " + host + RESTPath + "/portfolios" }, 401},
		{"wrong uri method", func(tk *token) { tk.uri = "POST " + host + RESTPath + "/accounts" }, 401},
		{"wrong uri host", func(tk *token) { tk.uri = "GET api.coinbase.com" + RESTPath + "/accounts" }, 401},
		{"no uri", func(tk *token) { tk.uri = "" }, 401},
		{"expired", func(tk *token) { tk.nbf = time.Now().Add(-5 * time.Minute) }, 401},
		{"not yet valid", func(tk *token) { tk.nbf = time.Now().Add(time.Minute) }, 401},
		{"lifetime over two minutes", func(tk *token) { tk.life = 10 * time.Minute }, 401},
		{"wrong issuer", func(tk *token) { tk.iss = "someone" }, 401},
		{"unknown key name", func(tk *token) { tk.kid, tk.sub = "organizations/x/apiKeys/y", "organizations/x/apiKeys/y" }, 401},
		{"sub differs from kid", func(tk *token) { tk.sub = "organizations/x/apiKeys/y" }, 401},
		{"no nonce", func(tk *token) { tk.noNonce = true }, 401},
	}
	var sent []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := valid
			tc.change(&tk)
			s := tk.sign(t)
			sent = append(sent, s)
			req, _ := http.NewRequest("GET", v.e.RESTURL()+"/accounts?limit=5", nil)
			req.Header.Set("Authorization", "Bearer "+s)
			status, body := v.send(req)
			if status != tc.want {
				t.Fatalf("HTTP %d %q, want %d", status, body, tc.want)
			}
			if status == 401 && strings.TrimSpace(body) != "Unauthorized" {
				t.Errorf("401 body %q, want the plain text Unauthorized", body)
			}
		})
	}
	t.Run("missing header", func(t *testing.T) {
		req, _ := http.NewRequest("GET", v.e.RESTURL()+"/accounts", nil)
		if status, _ := v.send(req); status != 401 {
			t.Fatalf("HTTP %d, want 401", status)
		}
	})
	recorded := strings.Join(v.e.JWTs(), "\n")
	for _, s := range sent {
		if !strings.Contains(recorded, s) {
			t.Errorf("a JWT sent was not recorded")
		}
		if strings.Contains(logs.String(), s) || strings.Contains(logs.String(), strings.Split(s, ".")[2]) {
			t.Fatalf("the emulator logged a JWT")
		}
	}
	// Every case but the two valid ones fails, and so does the request
	// without a header.
	if want := len(tests) - 2 + 1; v.e.Stats().AuthFailures != want {
		t.Errorf("auth failures %d, want %d", v.e.Stats().AuthFailures, want)
	}
}

func TestClientSignedRequestsPassAndPublicEndpointsNeedNoJWT(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	if _, err := v.client.ListPortfolios(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := v.client.GetPublicProduct(ctx, "BTC-USD")
	if err != nil || !p.BaseIncrement.Equal(d("0.00000001")) || !p.QuoteIncrement.Equal(d("0.01")) || !p.BaseMinSize.Equal(d("0.00001")) {
		t.Fatalf("public product %+v, %v", p, err)
	}
	st, err := v.client.ServerTime(ctx)
	if err != nil || time.Since(st.ISO.Time) > time.Minute {
		t.Fatalf("server time %+v, %v", st, err)
	}
	_, err = v.client.GetProduct(ctx, "NOPE-USD")
	var ae *coinbase.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Message != "ProductID is invalid" {
		t.Fatalf("unknown product: %v, want 400 ProductID is invalid", err)
	}
	if n := v.e.Stats().JWTsSeen; n != 2 {
		t.Errorf("%d JWTs seen, want 2 (portfolios, product)", n)
	}
}

func TestEd25519KeysSignToo(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	name := "organizations/ed/apiKeys/25519"
	creds, err := coinbase.NewCredentials(name, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	if err != nil || creds.Algorithm() != "EdDSA" {
		t.Fatalf("credentials %v, %v", creds, err)
	}
	v := startEnv(t, config{opts: Options{Keys: []Key{{Name: name, PublicKey: pub, CanView: true, CanTrade: true}}}})
	c, err := coinbase.NewClient(coinbase.Config{BaseURL: v.e.RESTURL(), Credentials: creds, HTTPClient: v.http})
	if err != nil {
		t.Fatal(err)
	}
	perms, err := c.KeyPermissions(context.Background())
	if err != nil || !perms.CanTrade || perms.PortfolioUUID != DefaultPortfolioUUID {
		t.Fatalf("EdDSA-signed request: %+v, %v", perms, err)
	}
	w := v.dial(v.e.UserURL())
	tok, err := creds.WSToken(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.subscribe("user", tok)
	if m := w.next(); m.Channel != "subscriptions" {
		t.Fatalf("EdDSA-signed subscribe: %s", m.raw)
	}
}

// TestNoJWTReachesTheClientsLogsOrErrors runs the real client through
// successes, rejects and every REST fault with debug logging on, then
// looks for each JWT the emulator saw in the client's log and errors.
func TestNoJWTReachesTheClientsLogsOrErrors(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	v := startEnv(t, config{client: coinbase.Config{MaxAttempts: 2,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}})
	v.market("50000", "50001", "50000.5")
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}
	_, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "j1", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.01")})
	note(err)
	_, err = v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "j2", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("100")})
	note(err)
	v.e.RateLimitBurst(5)
	_, err = v.client.ListPortfolios(ctx)
	note(err)
	v.e.ServerErrorBurst(5, 502)
	_, err = v.client.KeyPermissions(ctx)
	note(err)
	v.e.LoseNextCreateResponse()
	_, err = v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "j3", ProductID: "BTC-USD", Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("40000")})
	note(err)
	_, err = v.client.Order(ctx, "missing")
	note(err)
	if len(errs) < 4 {
		t.Fatalf("only %d errors: the faults did not bite", len(errs)/2)
	}
	seen := v.e.JWTs()
	if len(seen) < 8 {
		t.Fatalf("%d JWTs seen", len(seen))
	}
	all := logs.String() + strings.Join(errs, "\n")
	for _, tok := range seen {
		sig := tok[strings.LastIndex(tok, ".")+1:]
		if strings.Contains(all, tok) || strings.Contains(all, sig) {
			t.Fatalf("a JWT reached the client's log or errors")
		}
	}
}
