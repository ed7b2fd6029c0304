package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// MaxClockSkew is the difference from Coinbase's /time beyond which the
// daemon warns: JWTs live two minutes, and a skewed clock makes them
// expire early or start late.
const MaxClockSkew = 5 * time.Second

// ErrTransferPermission is returned when the key can move funds and the
// config has not explicitly accepted that.
var ErrTransferPermission = errors.New("the API key has transfer permission")

// LoadCredentials reads the key from the config: the CDP key file, or the
// key name and private key (usually from ${ENV}), or the environment
// variables COINBASE_API_KEY_NAME and COINBASE_API_PRIVATE_KEY. It warns
// when the key file is readable by other users.
func LoadCredentials(cfg config.Coinbase, log *slog.Logger) (*coinbase.Credentials, error) {
	switch {
	case cfg.KeyFile != "":
		if w, err := coinbase.KeyFileWarning(cfg.KeyFile); err != nil {
			return nil, err
		} else if w != "" {
			log.Warn(w)
		}
		return coinbase.LoadKeyFile(cfg.KeyFile)
	case cfg.KeyName != "" && cfg.PrivateKey != "":
		return coinbase.NewCredentials(cfg.KeyName, cfg.PrivateKey.Reveal())
	}
	c, ok, err := coinbase.CredentialsFromEnv()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("no Coinbase key: set coinbase.key_file, or coinbase.key_name and coinbase.private_key")
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

// CheckKey runs the live start-up checks (also `tradebot check` in live
// mode): the key can trade; it cannot transfer, unless
// coinbase.allow_transfer_permission says so (Coinbase's key guide: a
// trading bot's key needs view and trade only); every configured product
// exists and accepts orders (increments and sizes come from Coinbase, not
// from the config); and the clock is close to Coinbase's.
func CheckKey(ctx context.Context, c *coinbase.Client, cfg *config.Config) (KeyReport, error) {
	var r KeyReport
	perms, err := c.KeyPermissions(ctx)
	if err != nil {
		return r, fmt.Errorf("key permissions: %w", err)
	}
	r.Permissions = perms
	if !perms.CanTrade {
		return r, errors.New("the API key cannot trade: create a key with the view and trade permissions for this portfolio")
	}
	if perms.CanTransfer {
		if !cfg.Coinbase.AllowTransferPermission {
			return r, fmt.Errorf("%w: refusing to start. Coinbase's key guide asks for least privilege: a trading bot needs view and trade only, and a key that can transfer lets whoever steals it empty the account. Create a key without transfer permission (one key per application, with an IP allow-list), or set coinbase.allow_transfer_permission: true to accept the risk", ErrTransferPermission)
		}
		r.Warnings = append(r.Warnings, "the API key can transfer funds (accepted by coinbase.allow_transfer_permission)")
	}
	if !perms.CanView {
		r.Warnings = append(r.Warnings, "the API key lacks view permission; balances and fills cannot be read")
	}
	seen := map[string]bool{}
	for _, s := range cfg.Strategies {
		if seen[s.Product] {
			continue
		}
		seen[s.Product] = true
		p, err := c.Product(ctx, s.Product)
		if err != nil {
			return r, fmt.Errorf("strategy %s: product %s: %w", s.Name, s.Product, err)
		}
		if p.TradingDisabled || p.CancelOnly {
			return r, fmt.Errorf("strategy %s: product %s does not accept orders now (trading disabled or cancel only)", s.Name, s.Product)
		}
		r.Products = append(r.Products, p)
	}
	before := time.Now()
	st, err := c.ServerTime(ctx)
	if err != nil {
		return r, fmt.Errorf("server time: %w", err)
	}
	local := before.Add(time.Since(before) / 2)
	r.ClockSkew = local.Sub(st.ISO.Time)
	if r.ClockSkew > MaxClockSkew || r.ClockSkew < -MaxClockSkew {
		r.Warnings = append(r.Warnings, fmt.Sprintf("the local clock is %s off Coinbase's; JWTs may be refused: sync the clock (chrony or systemd-timesyncd)", r.ClockSkew.Round(time.Millisecond)))
	}
	return r, nil
}

// CheckLive is `tradebot check` for a live config: it loads the key,
// runs CheckKey against Coinbase (permissions, portfolio, products,
// clock) without placing, changing or cancelling any order, and prints
// what it found to w. The key itself is never printed; its name is.
func CheckLive(ctx context.Context, cfg *config.Config, log *slog.Logger, w io.Writer) (KeyReport, error) {
	creds, err := LoadCredentials(cfg.Coinbase, log)
	if err != nil {
		return KeyReport{}, err
	}
	client, err := coinbase.NewClient(coinbase.Config{BaseURL: cfg.Coinbase.RESTURL, Credentials: creds, Logger: log})
	if err != nil {
		return KeyReport{}, err
	}
	r, err := CheckKey(ctx, client, cfg)
	if err != nil {
		return r, fmt.Errorf("coinbase key %s: %w", creds.KeyName(), err)
	}
	fmt.Fprintf(w, "coinbase key OK: %s (view %v, trade %v, transfer %v), portfolio %s\n", creds.KeyName(),
		r.Permissions.CanView, r.Permissions.CanTrade, r.Permissions.CanTransfer, r.Permissions.PortfolioUUID)
	ids := make([]string, 0, len(r.Products))
	for _, p := range r.Products {
		ids = append(ids, fmt.Sprintf("%s (base increment %s, min %s)", p.ID, p.BaseIncrement, p.BaseMinSize))
	}
	fmt.Fprintf(w, "products OK: %s\n", strings.Join(ids, ", "))
	fmt.Fprintf(w, "clock skew: %s\n", r.ClockSkew.Round(time.Millisecond))
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return r, nil
}
