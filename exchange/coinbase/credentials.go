package coinbase

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tradebot/tradebot/internal/echo"
)

// Environment variables that CredentialsFromEnv reads.
const (
	EnvKeyName    = "COINBASE_API_KEY_NAME"
	EnvPrivateKey = "COINBASE_API_PRIVATE_KEY"
	EnvKeyFile    = "COINBASE_API_KEY_FILE"
)

// Credentials is a CDP API key: its name and its private key (ECDSA P-256
// for ES256, or Ed25519 for EdDSA). Every way of printing, logging or
// marshalling it shows the key name and the algorithm only; the private
// key sits behind a pointer in an unexported field, so even reflection-
// based printing of a struct that holds Credentials shows an address.
type Credentials struct {
	name string
	key  *privateKey
}

type privateKey struct {
	signer crypto.Signer
	alg    string // "ES256" or "EdDSA"
}

// NewCredentials parses a private key as Coinbase hands it out: a SEC1
// PEM ("EC PRIVATE KEY"), a PKCS8 PEM ("PRIVATE KEY", ECDSA P-256 or
// Ed25519), or a base64 Ed25519 seed (32 bytes) or seed and public key (64
// bytes). Literal \n sequences, as in a key pasted from the JSON key file
// into an environment variable, are read as newlines; a PEM's lines may
// end in CRLF, be indented, or be folded into one line. Errors never
// quote the key.
//
// A key name that holds a private key (the two swapped) is refused
// without being echoed; a legacy API key (key, secret and passphrase) is
// refused with ErrLegacyKey.
func NewCredentials(keyName, privateKeyText string) (*Credentials, error) {
	keyName = strings.TrimSpace(keyName)
	if keyName == "" {
		return nil, errors.New("coinbase credentials: key name is empty")
	}
	if looksLikePrivateKey(keyName) {
		if looksLikeKeyName(privateKeyText) {
			return nil, errors.New("coinbase credentials: the key name and the private key are swapped: the name holds a private key and the private key holds a key name (organizations/.../apiKeys/...)")
		}
		return nil, errors.New("coinbase credentials: the key name holds a private key; the name is the organizations/.../apiKeys/... line of the key file")
	}
	signer, alg, err := parsePrivateKey(privateKeyText)
	if err != nil {
		switch {
		case looksLikeKeyName(privateKeyText):
			return nil, fmt.Errorf("coinbase credentials for key %s: the private key holds a key name (organizations/.../apiKeys/...), not a key; are the name and the private key swapped?", DisplayKeyName(keyName))
		case legacyKeyName(keyName):
			return nil, fmt.Errorf("coinbase credentials for key %s: %w", DisplayKeyName(keyName), ErrLegacyKey)
		}
		return nil, fmt.Errorf("coinbase credentials for key %s: %w", DisplayKeyName(keyName), err)
	}
	return &Credentials{name: keyName, key: &privateKey{signer: signer, alg: alg}}, nil
}

// ErrLegacyKey says that the key is a legacy Coinbase API key (an API key,
// a secret and a passphrase), which Advanced Trade's JWT authentication
// does not accept.
var ErrLegacyKey = errors.New("this looks like a legacy API key (API key + secret + passphrase): Advanced Trade needs a CDP API key. Create one at https://portal.cdp.coinbase.com/access/api (signature algorithm ECDSA or Ed25519, permissions view and trade) and use the downloaded key file")

// The key name patterns are compiled at their first use, not at start:
// the bounded repeats make cdpKeyName's program large (a millisecond
// and 130 kB at every start of every command, backtests included).
var (
	cdpKeyName = lazyRegexp(`^organizations/[0-9A-Za-z-]{1,64}/apiKeys/[0-9A-Za-z-]{1,64}$`)
	uuidName   = lazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// A legacy API key is 16 or 32 letters and digits.
	legacyName = lazyRegexp(`^[0-9A-Za-z]{16}$|^[0-9A-Za-z]{32}$`)
)

// lazyRegexp returns expr compiled on the first call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// DisplayKeyName is a key name as messages show it: in full when it has
// the shape of a CDP key name (organizations/{org}/apiKeys/{id}, or the
// UUID of newer key files), which cannot hold a private key; otherwise
// cut to its first 8 characters, since it may be a secret in the wrong
// place.
func DisplayKeyName(name string) string {
	name = strings.TrimSpace(name)
	if cdpKeyName().MatchString(name) || uuidName().MatchString(name) {
		return name
	}
	const keep = 8
	if n := utf8.RuneCountInString(name); n > keep {
		return strconv.Quote(string([]rune(name)[:keep])) + fmt.Sprintf("... (%d characters)", n)
	}
	return strconv.Quote(name)
}

// looksLikeKeyName reports whether s has the shape of a CDP key name.
func looksLikeKeyName(s string) bool {
	s = strings.TrimSpace(s)
	return cdpKeyName().MatchString(s) || uuidName().MatchString(s)
}

func legacyKeyName(s string) bool { return legacyName().MatchString(strings.TrimSpace(s)) }

// looksLikePrivateKey reports whether s is, or contains, a private key: a
// PEM armour, several lines, or text that parses as a key.
func looksLikePrivateKey(s string) bool {
	if strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, "-----") || strings.ContainsAny(s, "\r\n") || strings.Contains(s, `\n`) {
		return true
	}
	if _, _, err := parsePrivateKey(s); err == nil {
		return true
	}
	// Base64 of more than a key name's worth of bytes.
	if len(s) >= 40 && !looksLikeKeyName(s) {
		if _, err := base64.StdEncoding.DecodeString(s); err == nil {
			return true
		}
	}
	return false
}

func parsePrivateKey(text string) (crypto.Signer, string, error) {
	text = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(text, `\r`, ""), `\n`, "\n"))
	if text == "" {
		return nil, "", errors.New("private key is empty")
	}
	text = reflowPEM(text)
	if block, _ := pem.Decode([]byte(text)); block != nil {
		switch block.Type {
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, "", errors.New("private key: EC PRIVATE KEY block does not parse as SEC1")
			}
			return checkECDSA(k)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, "", errors.New("private key: PRIVATE KEY block does not parse as PKCS8")
			}
			switch k := k.(type) {
			case *ecdsa.PrivateKey:
				return checkECDSA(k)
			case ed25519.PrivateKey:
				return k, "EdDSA", nil
			}
			return nil, "", fmt.Errorf("private key: PKCS8 key of type %T is neither ECDSA P-256 nor Ed25519", k)
		default:
			return nil, "", fmt.Errorf("private key: PEM block %q is not EC PRIVATE KEY or PRIVATE KEY", block.Type)
		}
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, "", errors.New("private key: neither PEM nor base64")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), "EdDSA", nil
	case ed25519.PrivateKeySize:
		k := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !k.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(raw[ed25519.SeedSize:])) {
			return nil, "", errors.New("private key: 64-byte Ed25519 key whose public half does not match its seed")
		}
		return k, "EdDSA", nil
	}
	return nil, "", fmt.Errorf("private key: base64 of %d bytes is not an Ed25519 seed (32 or 64 bytes)", len(raw))
}

// pemArmour finds a PEM block however its lines were laid out.
var pemArmour = lazyRegexp(`(?s)^-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----$`)

// reflowPEM rewrites a PEM block whose lines a paste has changed (each
// line indented, as a YAML block or a Kubernetes manifest does; newlines
// folded into spaces, as a one-line .env value or YAML's > does; trailing
// blanks) as encoding/pem reads it: armour on lines of its own, the body
// without blanks. Any other text is returned as it is.
func reflowPEM(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	m := pemArmour().FindStringSubmatch(strings.Join(lines, "\n"))
	if m == nil || m[1] != m[3] {
		return text
	}
	body := strings.Join(strings.Fields(m[2]), "")
	return "-----BEGIN " + m[1] + "-----\n" + body + "\n-----END " + m[3] + "-----\n"
}

func checkECDSA(k *ecdsa.PrivateKey) (crypto.Signer, string, error) {
	if k.Curve != elliptic.P256() {
		return nil, "", fmt.Errorf("private key: ECDSA curve %s, want P-256", k.Curve.Params().Name)
	}
	return k, "ES256", nil
}

// keyFile is the JSON key file as the CDP portal downloads it.
type keyFile struct {
	Name       string `json:"name"`
	ID         string `json:"id"`
	PrivateKey string `json:"privateKey"`
	// A legacy API key's parts, as people write them down: never used,
	// only recognised to say what to do instead.
	Secret     string `json:"secret"`
	APISecret  string `json:"apiSecret"`
	Passphrase string `json:"passphrase"`
}

// keyInPath refuses a key file path that holds what looks like a
// private key (the key pasted where its file's path goes), before any
// message could echo the path: every message about the file names it,
// and os's errors quote it whole.
func keyInPath(path string) error {
	if echo.LooksLikeKey(path) {
		return errors.New("coinbase key file: the path holds what looks like a private key, not a file name; give the path of the key file Coinbase downloads (cdp_api_key.json), or the key itself as private_key with key_name")
	}
	return nil
}

// LoadKeyFile reads a CDP key file ({"name": ..., "privateKey": ...}).
// Newer files name the key "id"; either is accepted.
func LoadKeyFile(path string) (*Credentials, error) {
	if err := keyInPath(path); err != nil {
		return nil, err
	}
	shown := echo.Cut(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("coinbase key file %s: %s", shown, echo.FileReason(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		// A directory, an I/O error: os's error quotes the path whole.
		return nil, fmt.Errorf("coinbase key file %s: %s", shown, echo.FileReason(err))
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		// The decoder's message can quote input; the file holds a secret.
		return nil, fmt.Errorf("coinbase key file %s: not a JSON object with name and privateKey", shown)
	}
	if kf.PrivateKey == "" && (kf.Secret != "" || kf.APISecret != "" || kf.Passphrase != "") {
		return nil, fmt.Errorf("coinbase key file %s: %w", shown, ErrLegacyKey)
	}
	name := kf.Name
	if name == "" {
		name = kf.ID
	}
	if name == "" {
		return nil, fmt.Errorf("coinbase key file %s: field name is missing", shown)
	}
	if kf.PrivateKey == "" {
		return nil, fmt.Errorf("coinbase key file %s: field privateKey is missing", shown)
	}
	c, err := NewCredentials(name, kf.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("coinbase key file %s: %w", shown, err)
	}
	return c, nil
}

// CredentialsFromEnv reads COINBASE_API_KEY_NAME and
// COINBASE_API_PRIVATE_KEY, or else the key file named by
// COINBASE_API_KEY_FILE. It reports ok false when none is set.
func CredentialsFromEnv() (c *Credentials, ok bool, err error) {
	name, key := os.Getenv(EnvKeyName), os.Getenv(EnvPrivateKey)
	if name != "" || key != "" {
		if name == "" {
			return nil, true, fmt.Errorf("coinbase credentials: %s is set but %s is not", EnvPrivateKey, EnvKeyName)
		}
		if key == "" {
			return nil, true, fmt.Errorf("coinbase credentials: %s is set but %s is not", EnvKeyName, EnvPrivateKey)
		}
		c, err := NewCredentials(name, key)
		return c, true, err
	}
	if path := os.Getenv(EnvKeyFile); path != "" {
		c, err := LoadKeyFile(path)
		return c, true, err
	}
	return nil, false, nil
}

// KeyFileWarning returns a warning when the key file can be read by its
// group or by others, naming the fix; it returns "" when the mode is
// safe, and an error when the file cannot be examined.
func KeyFileWarning(path string) (string, error) {
	if err := keyInPath(path); err != nil {
		return "", err
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("coinbase key file %s: %s", echo.Cut(path), echo.FileReason(err))
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Sprintf("coinbase key file %s has mode %#o and can be read by other users; run: chmod 600 %s", path, perm, path), nil
	}
	return "", nil
}

// KeyName returns the key's name, the JWT kid and sub.
func (c *Credentials) KeyName() string { return c.name }

// Algorithm returns the JWT algorithm the key signs with: ES256 or EdDSA.
func (c *Credentials) Algorithm() string { return c.key.alg }

// PublicKey returns the public half of the key, for a verifier such as an
// emulator.
func (c *Credentials) PublicKey() crypto.PublicKey { return c.key.signer.Public() }

// String describes the key without its secret.
func (c *Credentials) String() string {
	if c == nil || c.key == nil {
		return "coinbase.Credentials(none)"
	}
	return fmt.Sprintf("coinbase.Credentials{key: %s, alg: %s, private key: [redacted]}", c.name, c.key.alg)
}

// GoString is String, so that %#v does not reveal the key either.
func (c *Credentials) GoString() string { return c.String() }

// Format prints String for every verb, so that no fmt verb (%v, %+v, %#v,
// %x, %s, %q) reaches the private key.
func (c *Credentials) Format(f fmt.State, verb rune) { io.WriteString(f, c.String()) }

// MarshalJSON writes the key name and algorithm only.
func (c *Credentials) MarshalJSON() ([]byte, error) {
	if c == nil || c.key == nil {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		KeyName    string `json:"key_name"`
		Algorithm  string `json:"algorithm"`
		PrivateKey string `json:"private_key"`
	}{c.name, c.key.alg, "[redacted]"})
}

// LogValue gives slog the key name and algorithm only.
func (c *Credentials) LogValue() slog.Value {
	if c == nil || c.key == nil {
		return slog.StringValue("none")
	}
	return slog.GroupValue(slog.String("key_name", c.name), slog.String("algorithm", c.key.alg), slog.String("private_key", "[redacted]"))
}

// Format, String and GoString on the pointer also cover a *privateKey that
// escapes through reflection: it prints as an address, never as numbers.
func (k *privateKey) String() string { return "[redacted]" }

// GoString hides the key from %#v.
func (k *privateKey) GoString() string { return "[redacted]" }
