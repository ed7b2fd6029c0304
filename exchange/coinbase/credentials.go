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
	"strings"
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
// into an environment variable, are read as newlines. Errors never quote
// the key.
func NewCredentials(keyName, privateKeyText string) (*Credentials, error) {
	if strings.TrimSpace(keyName) == "" {
		return nil, errors.New("coinbase credentials: key name is empty")
	}
	signer, alg, err := parsePrivateKey(privateKeyText)
	if err != nil {
		return nil, fmt.Errorf("coinbase credentials for key %q: %w", keyName, err)
	}
	return &Credentials{name: keyName, key: &privateKey{signer: signer, alg: alg}}, nil
}

func parsePrivateKey(text string) (crypto.Signer, string, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, `\n`, "\n"))
	if text == "" {
		return nil, "", errors.New("private key is empty")
	}
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
}

// LoadKeyFile reads a CDP key file ({"name": ..., "privateKey": ...}).
// Newer files name the key "id"; either is accepted.
func LoadKeyFile(path string) (*Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("coinbase key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("coinbase key file %s: %w", path, err)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		// The decoder's message can quote input; the file holds a secret.
		return nil, fmt.Errorf("coinbase key file %s: not a JSON object with name and privateKey", path)
	}
	name := kf.Name
	if name == "" {
		name = kf.ID
	}
	if name == "" {
		return nil, fmt.Errorf("coinbase key file %s: field name is missing", path)
	}
	if kf.PrivateKey == "" {
		return nil, fmt.Errorf("coinbase key file %s: field privateKey is missing", path)
	}
	c, err := NewCredentials(name, kf.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("coinbase key file %s: %w", path, err)
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
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("coinbase key file: %w", err)
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
