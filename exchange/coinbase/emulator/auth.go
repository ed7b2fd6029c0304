package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tradebot/tradebot/exchange/coinbase"
)

// DefaultPortfolioUUID is the portfolio every key trades in unless its
// Key names another.
const DefaultPortfolioUUID = "7e7b2d8a-1c54-5f4e-9a2b-0e6d3c1f5a90"

// KeyFile is a CDP key file as Coinbase's portal downloads it; the daemon
// reads this shape.
type KeyFile struct {
	Name       string `json:"name"`
	PrivateKey string `json:"privateKey"`
}

// GenerateKey makes a fresh ECDSA P-256 CDP key: the Key the emulator
// accepts (view and trade, not transfer, unless changed) and the key file
// a client signs with. The name has the real shape
// organizations/{org}/apiKeys/{id}.
func GenerateKey() (Key, KeyFile, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Key{}, KeyFile{}, fmt.Errorf("emulator: generate key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		return Key{}, KeyFile{}, fmt.Errorf("emulator: encode key: %w", err)
	}
	var org, id [16]byte
	if _, err := rand.Read(org[:]); err != nil {
		return Key{}, KeyFile{}, fmt.Errorf("emulator: key name: %w", err)
	}
	if _, err := rand.Read(id[:]); err != nil {
		return Key{}, KeyFile{}, fmt.Errorf("emulator: key name: %w", err)
	}
	name := "organizations/" + uuidString(org) + "/apiKeys/" + uuidString(id)
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	k := Key{Name: name, PublicKey: priv.Public(), CanView: true, CanTrade: true, PortfolioUUID: DefaultPortfolioUUID}
	return k, KeyFile{Name: name, PrivateKey: pemText}, nil
}

// WriteKeyFile writes kf as JSON to path with mode 0600, as a secret must
// be; it refuses to overwrite an existing file.
func WriteKeyFile(path string, kf KeyFile) error {
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	return nil
}

func uuidString(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

var errNoKey = errors.New("no key by that name")

// verify checks token for wantURI ("" for a WebSocket token) and returns
// the key that signed it; failures are counted.
func (e *Emulator) verify(token, wantURI string) (Key, error) {
	k, err := e.verifyToken(token, wantURI)
	if err != nil {
		e.stats.authFailed()
	}
	return k, err
}

// bearer returns the request's bearer token, recorded as seen; "" when
// there is none.
func (e *Emulator) bearer(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return ""
	}
	e.stats.jwt(token)
	return token
}

func (e *Emulator) verifyToken(token, wantURI string) (Key, error) {
	var claims jwt.MapClaims
	tok, _, err := jwt.NewParser().ParseUnverified(token, &claims)
	if err != nil {
		return Key{}, fmt.Errorf("jwt does not parse: %w", err)
	}
	kid, _ := tok.Header["kid"].(string)
	k, ok := e.keys[kid]
	if !ok {
		return Key{}, errNoKey
	}
	if err := coinbase.VerifyJWT(token, k.PublicKey, k.Name, wantURI, e.clk.Now()); err != nil {
		return Key{}, err
	}
	return k, nil
}

// authenticate checks a request's bearer token against the request's own
// method, host and path. Failures are logged without the token.
func (e *Emulator) authenticate(r *http.Request, token string) (Key, bool) {
	if token == "" {
		e.stats.authFailed()
		e.log.Info("emulator: request without a bearer token", "method", r.Method, "path", r.URL.Path)
		return Key{}, false
	}
	k, err := e.verify(token, coinbase.RequestURI(r.Method, r.Host, r.URL.Path))
	if err == nil {
		if err = e.keyRefusal(k, r.RemoteAddr); err != nil {
			e.stats.authFailed()
		}
	}
	if err != nil {
		e.log.Info("emulator: JWT refused", "method", r.Method, "path", r.URL.Path, "reason", err.Error())
		return Key{}, false
	}
	return k, true
}

// keyRefusal says why Coinbase would refuse a key whose JWT is valid: it
// was revoked, it is not active yet, or the request comes from an address
// outside its allow-list. Coinbase answers all of them with a bare 401;
// only the emulator's log tells them apart.
func (e *Emulator) keyRefusal(k Key, remote string) error {
	switch {
	case k.Revoked:
		return errors.New("the key is revoked")
	case !k.ActiveFrom.IsZero() && e.clk.Now().Before(k.ActiveFrom):
		return fmt.Errorf("the key is not active until %s", k.ActiveFrom.UTC().Format(time.RFC3339))
	case len(k.AllowedIPs) > 0:
		ap, err := netip.ParseAddrPort(remote)
		if err != nil {
			return fmt.Errorf("the client address %q is not on the key's IP allow-list", remote)
		}
		ip := ap.Addr().Unmap()
		for _, p := range k.AllowedIPs {
			if p.Contains(ip) {
				return nil
			}
		}
		return fmt.Errorf("the client address %s is not on the key's IP allow-list", ip)
	}
	return nil
}
