package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/internal/echo"
)

// MaxClockSkew is the difference from Coinbase's /time beyond which the
// daemon warns: JWTs live two minutes, and a skewed clock makes them
// expire early or start late.
const MaxClockSkew = 5 * time.Second

// ErrTransferPermission is returned when the key can move funds and the
// config has not explicitly accepted that.
var ErrTransferPermission = errors.New("the API key has transfer permission")

// SystemdCredentialName is the file LoadCredentials looks for in
// $CREDENTIALS_DIRECTORY, where systemd's LoadCredential= puts it.
const SystemdCredentialName = "coinbase-key.json"

// LoadCredentials reads the key for live trading, from the first of:
//
//   - coinbase.key_file, the CDP key file (a path; ${CREDENTIALS_DIRECTORY}
//     or a Docker or Kubernetes secret mount work here);
//   - coinbase.key_name and coinbase.private_key (usually ${ENV});
//   - the environment variables COINBASE_API_KEY_NAME and
//     COINBASE_API_PRIVATE_KEY;
//   - the key file named by COINBASE_API_KEY_FILE;
//   - $CREDENTIALS_DIRECTORY/coinbase-key.json (systemd LoadCredential=).
//
// A key file that its group or other users can read is refused, unless
// coinbase.allow_insecure_key_file is set (then a warning is logged).
// Errors and logs never contain the private key, wherever it was put.
func LoadCredentials(cfg config.Coinbase, log *slog.Logger) (*coinbase.Credentials, error) {
	switch {
	case cfg.KeyFile != "":
		return loadKeyFile(cfg.KeyFile, "coinbase.key_file", cfg.AllowInsecureKeyFile, log)
	case cfg.KeyName != "" || cfg.PrivateKey != "":
		if cfg.KeyName == "" || cfg.PrivateKey == "" {
			return nil, errors.New("coinbase.key_name and coinbase.private_key go together: set both, or use coinbase.key_file")
		}
		c, err := coinbase.NewCredentials(cfg.KeyName, cfg.PrivateKey.Reveal())
		if err != nil {
			return nil, fmt.Errorf("coinbase.key_name and coinbase.private_key: %w", err)
		}
		return c, nil
	}
	if os.Getenv(coinbase.EnvKeyName) == "" && os.Getenv(coinbase.EnvPrivateKey) == "" {
		if path := os.Getenv(coinbase.EnvKeyFile); path != "" {
			return loadKeyFile(path, coinbase.EnvKeyFile, cfg.AllowInsecureKeyFile, log)
		}
		if dir := os.Getenv("CREDENTIALS_DIRECTORY"); dir != "" {
			path := filepath.Join(dir, SystemdCredentialName)
			if _, err := os.Stat(path); err == nil {
				return loadKeyFile(path, "systemd credential "+SystemdCredentialName, cfg.AllowInsecureKeyFile, log)
			}
		}
	}
	c, ok, err := coinbase.CredentialsFromEnv()
	if err != nil {
		return nil, fmt.Errorf("environment variables %s and %s: %w", coinbase.EnvKeyName, coinbase.EnvPrivateKey, err)
	}
	if !ok {
		return nil, fmt.Errorf("no Coinbase key: set coinbase.key_file to the CDP key file, or coinbase.key_name and coinbase.private_key, or the environment variables %s and %s, or %s to the key file's path, or hand the key file to systemd with LoadCredential=%s:PATH (README, \"API keys\")",
			coinbase.EnvKeyName, coinbase.EnvPrivateKey, coinbase.EnvKeyFile, SystemdCredentialName)
	}
	return c, nil
}

// loadKeyFile reads a key file found through source (a config key or an
// environment variable, for messages), refusing one that others can read.
func loadKeyFile(path, source string, allowInsecure bool, log *slog.Logger) (*coinbase.Credentials, error) {
	w, err := coinbase.KeyFileWarning(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if w != "" {
		if !allowInsecure {
			return nil, fmt.Errorf("%s: %s. Refusing to trade with a key other users can read; set coinbase.allow_insecure_key_file: true to accept the risk", source, w)
		}
		log.Warn(w + " (accepted by coinbase.allow_insecure_key_file)")
	}
	c, err := coinbase.LoadKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return c, nil
}

// KeyReport is what the start-up check found about the key and account.
type KeyReport struct {
	Permissions coinbase.KeyPermissions
	Products    []exchange.Product
	ClockSkew   time.Duration
	Warnings    []string
}

// CheckKey runs the live start-up checks (the daemon at start; `tradebot
// check` in live mode prints each step, see CheckLive), without placing,
// changing or cancelling any order, and stops at the first failure with
// an error that says what to do:
//
//  1. Coinbase's clock (GET /time, public): a local clock more than
//     MaxClockSkew off is a warning, more than a JWT's life a failure;
//  2. authentication and permissions (GET /key_permissions): a 401 gives
//     coinbase.UnauthorizedChecklist; the key must view and trade, and
//     must not transfer unless coinbase.allow_transfer_permission says so
//     (Coinbase's key guide: a trading bot needs view and trade only);
//  3. the portfolio the key is bound to;
//  4. every configured product exists and accepts orders in it.
func CheckKey(ctx context.Context, c *coinbase.Client, cfg *config.Config) (KeyReport, error) {
	return checkKey(ctx, c, cfg, func(string, string) {})
}

// maxJWTSkew is the clock error beyond which every JWT is refused: they
// live two minutes from their start.
const maxJWTSkew = 2 * time.Minute

// checkKey is CheckKey reporting each step that passed to ok.
func checkKey(ctx context.Context, c *coinbase.Client, cfg *config.Config, ok func(step, result string)) (KeyReport, error) {
	var r KeyReport
	before := time.Now()
	st, err := c.ServerTime(ctx)
	if err != nil {
		return r, fmt.Errorf("clock: cannot read Coinbase's time at %s: %w. Check the network and coinbase.rest_url", cfg.Coinbase.RESTURL, err)
	}
	local := before.Add(time.Since(before) / 2)
	r.ClockSkew = local.Sub(st.ISO.Time)
	skew := r.ClockSkew.Round(time.Millisecond)
	switch {
	case r.ClockSkew > maxJWTSkew || r.ClockSkew < -maxJWTSkew:
		return r, fmt.Errorf("clock: the local clock is %s off Coinbase's, beyond a JWT's two minutes: every request would be refused. Sync the clock (chrony or systemd-timesyncd)", skew)
	case r.ClockSkew > MaxClockSkew || r.ClockSkew < -MaxClockSkew:
		r.Warnings = append(r.Warnings, fmt.Sprintf("the local clock is %s off Coinbase's; JWTs may be refused: sync the clock (chrony or systemd-timesyncd)", skew))
		ok("clock", fmt.Sprintf("%s off Coinbase's (warning: more than %s)", skew, MaxClockSkew))
	default:
		ok("clock", fmt.Sprintf("%s off Coinbase's", skew))
	}

	perms, err := c.KeyPermissions(ctx)
	var ae *coinbase.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == 401:
		return r, fmt.Errorf("authentication: %s", coinbase.UnauthorizedChecklist())
	case errors.As(err, &ae) && ae.Status == 403:
		return r, errors.New("permissions: Coinbase refused to show the key's permissions (HTTP 403): the key lacks the view permission. Create a key with view and trade permission")
	case err != nil:
		return r, fmt.Errorf("authentication: %w", err)
	}
	ok("authentication", "Coinbase accepts the key")
	r.Permissions = perms
	switch {
	case !perms.CanTrade:
		return r, errors.New("permissions: the key cannot trade: create a key with the view and trade permissions for this portfolio (one key per application, with an IP allow-list)")
	case !perms.CanView:
		return r, errors.New("permissions: the key lacks the view permission, so balances, orders and fills cannot be read: create a key with view and trade permission")
	case perms.CanTransfer && !cfg.Coinbase.AllowTransferPermission:
		return r, fmt.Errorf("permissions: %w: refusing to start. Coinbase's key guide asks for least privilege: a trading bot needs view and trade only, and a key that can transfer lets whoever steals it empty the account. Create a key without transfer permission (one key per application, with an IP allow-list), or set coinbase.allow_transfer_permission: true to accept the risk", ErrTransferPermission)
	case perms.CanTransfer:
		r.Warnings = append(r.Warnings, "the API key can transfer funds (accepted by coinbase.allow_transfer_permission)")
		ok("permissions", "view, trade and transfer (transfer accepted by coinbase.allow_transfer_permission)")
	default:
		ok("permissions", "view and trade, no transfer")
	}
	if perms.PortfolioUUID == "" {
		return r, errors.New("portfolio: Coinbase names no portfolio for the key; create the key inside the portfolio it should trade")
	}
	portfolio := perms.PortfolioUUID
	if perms.PortfolioType != "" {
		portfolio += " (" + perms.PortfolioType + ")"
	}
	ok("portfolio", portfolio+": the key trades in this portfolio only; create the key in another portfolio to trade there")

	seen := map[string]bool{}
	for _, s := range cfg.Strategies {
		if seen[s.Product] {
			continue
		}
		seen[s.Product] = true
		p, err := c.Product(ctx, s.Product)
		if err != nil {
			return r, fmt.Errorf("products: strategy %s: product %s: %w", s.Name, s.Product, err)
		}
		if p.TradingDisabled || p.CancelOnly {
			return r, fmt.Errorf("products: strategy %s: product %s does not accept orders now (trading disabled or cancel only)", s.Name, s.Product)
		}
		r.Products = append(r.Products, p)
	}
	bid := bestBids(ctx, c)
	r.Warnings = append(r.Warnings, fixedStopWarnings(cfg, bid)...)
	r.Warnings = append(r.Warnings, sizeWarnings(cfg, r.Products, bid)...)
	ids := make([]string, 0, len(r.Products))
	for _, p := range r.Products {
		ids = append(ids, fmt.Sprintf("%s (base increment %s, min %s)", p.ID, p.BaseIncrement, p.BaseMinSize))
	}
	ok("products", strings.Join(ids, ", "))
	return r, nil
}

// keyKind names the key's type as the CDP portal does.
func keyKind(c *coinbase.Credentials) string {
	if c.Algorithm() == "EdDSA" {
		return "CDP key, Ed25519"
	}
	return "CDP key, ECDSA"
}

// CheckLive is `tradebot check` for a live config: the key doctor. It
// loads the key and runs CheckKey step by step against Coinbase (clock,
// authentication, permissions, portfolio, products) without placing,
// changing or cancelling any order, printing to w a line per step that
// passed and, for the first that failed, what is wrong and what to do.
// The private key is never printed, and its name only in the CDP shape.
func CheckLive(ctx context.Context, cfg *config.Config, log *slog.Logger, w io.Writer) (KeyReport, error) {
	step := func(name, result string) { fmt.Fprintf(w, "ok    %-15s %s\n", name, result) }
	fail := func(err error) error {
		// Redacted as cli redacts the error it prints after: a library's
		// error (os's, quoting a path) may carry a value whole.
		name, what, _ := strings.Cut(echo.Redact(err.Error()), ": ")
		fmt.Fprintf(w, "FAIL  %-15s %s\n", name, what)
		return err
	}
	creds, err := LoadCredentials(cfg.Coinbase, log)
	if err != nil {
		return KeyReport{}, fail(fmt.Errorf("key: %w", err))
	}
	step("key", fmt.Sprintf("%s (%s)", coinbase.DisplayKeyName(creds.KeyName()), keyKind(creds)))
	client, err := coinbase.NewClient(coinbase.Config{BaseURL: cfg.Coinbase.RESTURL, Credentials: creds, Logger: log})
	if err != nil {
		return KeyReport{}, fail(fmt.Errorf("key: %w", err))
	}
	r, err := checkKey(ctx, client, cfg, step)
	if err != nil {
		return r, fail(err)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return r, nil
}

// bestBids returns a product's best bid on Coinbase, zero when it cannot
// be fetched, asking once per product: the key check's warnings (a fixed
// stop, a size) of every strategy on a product judge the same bid.
func bestBids(ctx context.Context, c *coinbase.Client) func(productID string) decimal.Decimal {
	bids := map[string]decimal.Decimal{}
	return func(id string) decimal.Decimal {
		bid, ok := bids[id]
		if !ok {
			if books, err := c.BestBidAsk(ctx, id); err == nil && len(books) > 0 && len(books[0].Bids) > 0 {
				bid = books[0].Bids[0].Price.Decimal
			}
			bids[id] = bid
		}
		return bid
	}
}

// sizeWarnings warns of every order size of the strategies Coinbase would
// refuse (config.Config.SizeWarnings), an order at the market valued at
// its product's best bid. A bid that cannot be fetched leaves the size
// held to the bounds that need no price.
func sizeWarnings(cfg *config.Config, products []exchange.Product, bid func(productID string) decimal.Decimal) []string {
	return cfg.SizeWarnings(config.Market{Products: products, Price: bid, PriceFrom: "the best bid"})
}

// fixedStopWarnings warns of every fixed stop (exits.stop_loss.price) at
// or above its product's best bid: each entry would be refused until the
// price rises above it (issue 15, finding 4). A price that cannot be
// fetched gives no warning; the engine checks before each entry anyway.
func fixedStopWarnings(cfg *config.Config, bestBid func(productID string) decimal.Decimal) []string {
	var out []string
	for _, s := range cfg.Strategies {
		sl := s.Exits.StopLoss
		if sl == nil || !sl.Price.IsPositive() {
			continue
		}
		if bid := bestBid(s.Product); bid.IsPositive() && !sl.Price.LessThan(bid) {
			out = append(out, fmt.Sprintf("strategy %s: exits.stop_loss.price %s is at or above the %s bid %s; "+
				"every entry is refused until the price is above the stop", s.Name, sl.Price, s.Product, bid))
		}
	}
	return out
}
