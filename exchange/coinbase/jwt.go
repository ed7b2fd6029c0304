package coinbase

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTLifetime is how long a token is valid: Coinbase allows two minutes.
const JWTLifetime = 120 * time.Second

// Issuer is the iss claim of CDP tokens.
const Issuer = "cdp"

// legacyIssuer is what older SDKs send; the verifier accepts it so that
// an emulator also serves clients built on them.
const legacyIssuer = "coinbase-cloud"

// cdpClaims are the claims of a CDP token. URI is empty (and absent) for
// WebSocket tokens.
type cdpClaims struct {
	jwt.RegisteredClaims
	URI string `json:"uri,omitempty"`
}

// RESTToken signs a token for one REST request. uri is "METHOD host/path"
// with no query string (see RequestURI).
func (c *Credentials) RESTToken(uri string, now time.Time) (string, error) {
	if uri == "" {
		return "", errors.New("coinbase jwt: empty uri for a REST token")
	}
	return c.sign(uri, now)
}

// WSToken signs a token for one WebSocket subscribe message: the REST
// claims without uri.
func (c *Credentials) WSToken(now time.Time) (string, error) { return c.sign("", now) }

// RequestURI builds the uri claim: method, a space, host and path.
func RequestURI(method, host, path string) string { return method + " " + host + path }

func (c *Credentials) sign(uri string, now time.Time) (string, error) {
	var method jwt.SigningMethod = jwt.SigningMethodES256
	if c.key.alg == "EdDSA" {
		method = jwt.SigningMethodEdDSA
	}
	claims := cdpClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   c.name,
			Issuer:    Issuer,
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(JWTLifetime)),
		},
		URI: uri,
	}
	tok := jwt.NewWithClaims(method, claims)
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", fmt.Errorf("coinbase jwt nonce: %w", err)
	}
	tok.Header["kid"] = c.name
	tok.Header["nonce"] = hex.EncodeToString(nonce[:])
	s, err := tok.SignedString(c.key.signer)
	if err != nil {
		// The library's errors name the method, never the key.
		return "", fmt.Errorf("coinbase jwt sign with key %q: %w", c.name, err)
	}
	return s, nil
}

// VerifyJWT checks a token the way Coinbase does, for an emulator: the
// signature with publicKey (ES256 for ECDSA, EdDSA for Ed25519), kid and
// sub equal to wantKeyName, iss "cdp" (or the legacy "coinbase-cloud"),
// a nonce, nbf not after now and exp after now, a lifetime of at most two
// minutes, and uri equal to wantURI (for a WebSocket token, wantURI is ""
// and the token must carry no uri). A few seconds of clock skew are
// allowed.
func VerifyJWT(token string, publicKey crypto.PublicKey, wantKeyName, wantURI string, now time.Time) error {
	var methods []string
	switch publicKey.(type) {
	case *ecdsa.PublicKey:
		methods = []string{jwt.SigningMethodES256.Alg()}
	case ed25519.PublicKey:
		methods = []string{jwt.SigningMethodEdDSA.Alg()}
	default:
		return fmt.Errorf("coinbase jwt: unsupported public key type %T", publicKey)
	}
	var claims cdpClaims
	tok, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return publicKey, nil },
		jwt.WithValidMethods(methods),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(5*time.Second),
		jwt.WithExpirationRequired(),
	)
	if err != nil {
		return fmt.Errorf("coinbase jwt: %w", err)
	}
	if kid, _ := tok.Header["kid"].(string); kid != wantKeyName {
		return fmt.Errorf("coinbase jwt: kid %q, want %q", kid, wantKeyName)
	}
	if nonce, _ := tok.Header["nonce"].(string); nonce == "" {
		return errors.New("coinbase jwt: header has no nonce")
	}
	if claims.Subject != wantKeyName {
		return fmt.Errorf("coinbase jwt: sub %q, want %q", claims.Subject, wantKeyName)
	}
	if claims.Issuer != Issuer && claims.Issuer != legacyIssuer {
		return fmt.Errorf("coinbase jwt: iss %q, want %q", claims.Issuer, Issuer)
	}
	if claims.NotBefore == nil {
		return errors.New("coinbase jwt: nbf is missing")
	}
	if life := claims.ExpiresAt.Sub(claims.NotBefore.Time); life > JWTLifetime || life <= 0 {
		return fmt.Errorf("coinbase jwt: lifetime %s, want at most %s", life, JWTLifetime)
	}
	if claims.URI != wantURI {
		return fmt.Errorf("coinbase jwt: uri %q, want %q", claims.URI, wantURI)
	}
	return nil
}
