package risk

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tradebot/tradebot/internal/testenv"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if errs := DefaultConfig().Validate(); len(errs) > 0 {
		t.Fatalf("DefaultConfig().Validate() = %v", errs)
	}
	if _, err := NewGuard(DefaultConfig(), nil); err == nil {
		t.Errorf("NewGuard accepted a nil clock")
	}
}

func TestConfigDecodesFromYAMLOverTheDefaults(t *testing.T) {
	doc := `
time_zone: America/New_York
allowed_products: [BTC-USD, ETH-USD]
stale_after: 45s
limits:
  max_order_notional: 250.50
  price_collar_pct: "2.5"
account:
  max_exposure: 3000
  orders_per_second: 5
loss:
  daily_loss: {limit: 100, action: reducing, resume_next_day: false}
  max_consecutive_losses: {limit: 4, action: HALTED}
stop_loss_cooldown:
  stop_losses: 2
  window: 30m
`
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewBufferString(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("Validate: %v", errs)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"time_zone", cfg.TimeZone, "America/New_York"},
		{"allowed_products", strings.Join(cfg.AllowedProducts, ","), "BTC-USD,ETH-USD"},
		{"stale_after", cfg.StaleAfter, 45 * time.Second},
		{"max_order_notional", cfg.Limits.MaxOrderNotional.String(), "250.5"},
		{"price_collar_pct", cfg.Limits.PriceCollarPct.String(), "2.5"},
		{"min_order_notional kept", cfg.Limits.MinOrderNotional.String(), "1"},
		{"account.max_exposure", cfg.Account.MaxExposure.String(), "3000"},
		{"account.max_open_orders kept", cfg.Account.MaxOpenOrders, 20},
		{"daily_loss.action", cfg.Loss.DailyLoss.Action, Reducing},
		{"daily_loss.resume_next_day", cfg.Loss.DailyLoss.ResumeNextDay, false},
		{"consecutive.action", cfg.Loss.MaxConsecutiveLosses.Action, Halted},
		{"cooldown.window", cfg.StopLossCooldown.Window, 30 * time.Minute},
		{"cooldown.pause kept", cfg.StopLossCooldown.Pause, 2 * time.Hour},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestConfigRejectsABadActionWithItsLine(t *testing.T) {
	cfg := DefaultConfig()
	err := yaml.Unmarshal([]byte("loss:\n  daily_loss:\n    action: pause\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "pause") {
		t.Fatalf("decode error %v, want one naming line 3 and the value", err)
	}
}

func TestValidateNamesEveryBadFieldByItsPath(t *testing.T) {
	cases := []struct {
		field  string
		break_ func(*Config)
	}{
		{"time_zone", func(c *Config) { c.TimeZone = "Mars/Olympus" }},
		{"time_zone", func(c *Config) { c.TimeZone = "" }},
		{"allowed_products[1]", func(c *Config) { c.AllowedProducts = []string{"BTC-USD", "BTCUSD"} }},
		{"allowed_products[1]", func(c *Config) { c.AllowedProducts = []string{"BTC-USD", "BTC-USD"} }},
		{"stale_after", func(c *Config) { c.StaleAfter = 0 }},
		{"limits.max_order_notional", func(c *Config) { c.Limits.MaxOrderNotional = d("0") }},
		{"limits.min_order_notional", func(c *Config) { c.Limits.MinOrderNotional = d("-1") }},
		{"limits.min_order_notional", func(c *Config) { c.Limits.MinOrderNotional = d("2000") }},
		{"limits.price_collar_pct", func(c *Config) { c.Limits.PriceCollarPct = d("0") }},
		{"limits.price_collar_pct", func(c *Config) { c.Limits.PriceCollarPct = d("100") }},
		{"limits.collar_reference", func(c *Config) { c.Limits.CollarReference = "vwap" }},
		{"account.max_exposure", func(c *Config) { c.Account.MaxExposure = d("0") }},
		{"account.max_position_notional", func(c *Config) { c.Account.MaxPositionNotional = d("0") }},
		{"account.max_open_orders", func(c *Config) { c.Account.MaxOpenOrders = 0 }},
		{"account.max_entries_per_day", func(c *Config) { c.Account.MaxEntriesPerDay = 0 }},
		{"account.orders_per_second", func(c *Config) { c.Account.OrdersPerSecond = 0 }},
		{"account.orders_per_second", func(c *Config) { c.Account.OrdersPerSecond = 31 }},
		{"account.orders_per_minute", func(c *Config) { c.Account.OrdersPerMinute = 0 }},
		{"per_strategy.max_exposure", func(c *Config) { c.PerStrategy.MaxExposure = d("-1") }},
		{"per_product.max_open_orders", func(c *Config) { c.PerProduct.MaxOpenOrders = -1 }},
		{"loss.daily_loss.limit", func(c *Config) { c.Loss.DailyLoss.Limit = d("0") }},
		{"loss.daily_loss.action", func(c *Config) { c.Loss.DailyLoss.Action = Active }},
		{"loss.max_drawdown.limit", func(c *Config) { c.Loss.MaxDrawdown.Limit = d("-5") }},
		{"loss.max_drawdown.action", func(c *Config) { c.Loss.MaxDrawdown.Action = Active }},
		{"loss.max_consecutive_losses.limit", func(c *Config) { c.Loss.MaxConsecutiveLosses.Limit = -1 }},
		{"loss.max_consecutive_losses.action", func(c *Config) { c.Loss.MaxConsecutiveLosses.Action = Active }},
		{"stop_loss_cooldown.stop_losses", func(c *Config) { c.StopLossCooldown.StopLosses = -1 }},
		{"stop_loss_cooldown.window", func(c *Config) { c.StopLossCooldown.Window = 0 }},
		{"stop_loss_cooldown.pause", func(c *Config) { c.StopLossCooldown.Pause = 0 }},
		{"stop_loss_cooldown.exit_reasons", func(c *Config) { c.StopLossCooldown.ExitReasons = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.break_(&cfg)
			errs := cfg.Validate()
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want exactly one", len(errs), errs)
			}
			if !strings.HasPrefix(errs[0].Error(), tc.field+": ") {
				t.Errorf("error %q does not start with %q", errs[0], tc.field+": ")
			}
			if _, err := NewGuard(cfg, nil); err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("NewGuard error %v does not name %s", err, tc.field)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TimeZone = "Nowhere/Else"
	cfg.Limits.MaxOrderNotional = d("0")
	cfg.Account.MaxExposure = d("0")
	if errs := cfg.Validate(); len(errs) != 3 {
		t.Fatalf("got %d errors %v, want 3", len(errs), errs)
	}
}

func TestZeroScopeLimitsMeanNoLimitOnlyBelowTheAccount(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PerStrategy = ScopeLimits{}
	cfg.PerProduct = ScopeLimits{}
	cfg.Loss.MaxConsecutiveLosses.Limit = 0
	cfg.StopLossCooldown.StopLosses = 0
	cfg.Limits.MinOrderNotional = d("0")
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("optional limits set to zero: %v", errs)
	}
}

func TestStateTextRoundTrip(t *testing.T) {
	for _, s := range []State{Active, Reducing, Halted} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back State
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%s: round trip gave %s, %v", s, back, err)
		}
	}
	if _, err := State(7).MarshalText(); err == nil {
		t.Errorf("State(7) marshalled")
	}
}

// The risk block of the shipped example configuration decodes strictly
// and is valid, so that users start from a config that works.
func TestExampleConfigRiskBlockIsValid(t *testing.T) {
	path := filepath.Join(testenv.RepoRoot(), "config.example.yaml")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not in this checkout", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Risk yaml.Node `yaml:"risk"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if doc.Risk.Kind == 0 {
		t.Fatalf("%s has no risk block", path)
	}
	block, err := yaml.Marshal(&doc.Risk)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(block))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s risk block (line %d): %v", path, doc.Risk.Line, err)
	}
	for _, e := range cfg.Validate() {
		t.Errorf("%s: risk.%v", path, e)
	}
}
