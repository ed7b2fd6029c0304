package risk

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/internal/echo"
)

// Config is the `risk:` block of the daemon's YAML. Money is in the quote
// currency of the traded products (the guard adds notionals across
// products, so they should share one quote currency, USD by default).
// Where a zero value means "no limit" the field says so; every such field
// sits below a limit that cannot be zero, so that zero never removes the
// last line of defence.
type Config struct {
	// TimeZone is the IANA zone whose midnight starts a trading day for
	// the daily loss limit and the entries-per-day counters.
	TimeZone string `yaml:"time_zone"`
	// AllowedProducts lists the products entries may be placed on; empty
	// allows every product. Exits are never refused by it, so a product
	// removed from the list can still be closed.
	AllowedProducts []string `yaml:"allowed_products"`
	// StaleAfter is the age of a product's last tick beyond which entries
	// on it are refused.
	StaleAfter time.Duration `yaml:"stale_after"`
	// Limits are the per-order checks.
	Limits OrderLimits `yaml:"limits"`
	// Account limits apply to the sum over every strategy and product.
	Account ScopeLimits `yaml:"account"`
	// PerStrategy limits apply to each strategy instance; zero fields set
	// no limit at this scope.
	PerStrategy ScopeLimits `yaml:"per_strategy"`
	// PerProduct limits apply to each product across strategies; zero
	// fields set no limit at this scope.
	PerProduct ScopeLimits `yaml:"per_product"`
	// Strategies overrides per_strategy for the named strategy instances,
	// field by field; fields left out keep the per_strategy value.
	Strategies map[string]ScopeOverride `yaml:"strategies"`
	// Products overrides per_product for the named products.
	Products map[string]ScopeOverride `yaml:"products"`
	// Loss holds the loss limits that change the trading state.
	Loss LossLimits `yaml:"loss"`
	// StopLossCooldown pauses entries on a product after repeated stops.
	StopLossCooldown Cooldown `yaml:"stop_loss_cooldown"`
}

// OrderLimits are checks on one entry order.
type OrderLimits struct {
	// MaxOrderNotional is the largest entry, in quote currency.
	MaxOrderNotional decimal.Decimal `yaml:"max_order_notional"`
	// MinOrderNotional is the smallest entry; zero leaves only the
	// product's own minimum sizes.
	MinOrderNotional decimal.Decimal `yaml:"min_order_notional"`
	// PriceCollarPct refuses an entry whose limit price is more than this
	// many percent away from the reference price, either way.
	PriceCollarPct decimal.Decimal `yaml:"price_collar_pct"`
	// CollarReference is "last" (last trade, else mid) or "mid" (mid of
	// the best bid and ask, else last trade).
	CollarReference string `yaml:"collar_reference"`
	// CollarMarketOrders also collars market entries by their estimated
	// price (Intent.EstimatedPrice); off by default because a market
	// order has no price of its own.
	CollarMarketOrders bool `yaml:"collar_market_orders"`
}

// ScopeLimits are the exposure, order-count and rate limits of one scope
// (the account, one strategy or one product). Notionals are in quote
// currency and count open positions at their mark price plus the notional
// reserved by open entry orders.
type ScopeLimits struct {
	// MaxPositionNotional caps one product's position within the scope.
	MaxPositionNotional decimal.Decimal `yaml:"max_position_notional"`
	// MaxExposure caps the sum of the scope's positions.
	MaxExposure decimal.Decimal `yaml:"max_exposure"`
	// MaxOpenOrders caps entry orders not yet ended.
	MaxOpenOrders int `yaml:"max_open_orders"`
	// MaxEntriesPerDay caps entry orders accepted per trading day; an
	// entry that ends without any fill gives its count back.
	MaxEntriesPerDay int `yaml:"max_entries_per_day"`
	// OrdersPerSecond and OrdersPerMinute are token buckets over entry
	// orders: the burst is the count, refilled evenly over the period.
	OrdersPerSecond int `yaml:"orders_per_second"`
	OrdersPerMinute int `yaml:"orders_per_minute"`
}

// ScopeOverride changes some of a scope's limits for one strategy or one
// product; a field left out (nil) keeps the per_strategy or per_product
// value.
type ScopeOverride struct {
	MaxPositionNotional *decimal.Decimal `yaml:"max_position_notional"`
	MaxExposure         *decimal.Decimal `yaml:"max_exposure"`
	MaxOpenOrders       *int             `yaml:"max_open_orders"`
	MaxEntriesPerDay    *int             `yaml:"max_entries_per_day"`
	OrdersPerSecond     *int             `yaml:"orders_per_second"`
	OrdersPerMinute     *int             `yaml:"orders_per_minute"`
}

// Apply returns base with the override's fields replaced.
func (o ScopeOverride) Apply(base ScopeLimits) ScopeLimits {
	if o.MaxPositionNotional != nil {
		base.MaxPositionNotional = *o.MaxPositionNotional
	}
	if o.MaxExposure != nil {
		base.MaxExposure = *o.MaxExposure
	}
	if o.MaxOpenOrders != nil {
		base.MaxOpenOrders = *o.MaxOpenOrders
	}
	if o.MaxEntriesPerDay != nil {
		base.MaxEntriesPerDay = *o.MaxEntriesPerDay
	}
	if o.OrdersPerSecond != nil {
		base.OrdersPerSecond = *o.OrdersPerSecond
	}
	if o.OrdersPerMinute != nil {
		base.OrdersPerMinute = *o.OrdersPerMinute
	}
	return base
}

// LossLimits are the loss limits; each moves the trading state to its
// Action when breached.
type LossLimits struct {
	// DailyLoss is the loss since the start of the trading day, realized
	// (after fees) plus the change in unrealized PnL.
	DailyLoss DailyLossRule `yaml:"daily_loss"`
	// MaxDrawdown is the fall of cumulative PnL (realized plus
	// unrealized) from its peak, in quote currency.
	MaxDrawdown LossRule `yaml:"max_drawdown"`
	// MaxConsecutiveLosses counts losing round trips in a row across the
	// account; a limit of zero turns the rule off.
	MaxConsecutiveLosses CountRule `yaml:"max_consecutive_losses"`
}

// LossRule is a limit in quote currency and the state a breach moves to.
type LossRule struct {
	Limit decimal.Decimal `yaml:"limit"`
	// Action is REDUCING (exits only) or HALTED.
	Action State `yaml:"action"`
}

// DailyLossRule is the daily loss limit; ResumeNextDay returns the state
// to ACTIVE at the next day boundary when this rule alone moved it.
type DailyLossRule struct {
	Limit         decimal.Decimal `yaml:"limit"`
	Action        State           `yaml:"action"`
	ResumeNextDay bool            `yaml:"resume_next_day"`
}

// CountRule is a limit on a count and the state a breach moves to.
type CountRule struct {
	Limit  int   `yaml:"limit"`
	Action State `yaml:"action"`
}

// Cooldown refuses entries on a product for Pause after StopLosses
// round trips on it closed with one of ExitReasons within Window.
// StopLosses zero turns it off.
type Cooldown struct {
	StopLosses  int           `yaml:"stop_losses"`
	Window      time.Duration `yaml:"window"`
	Pause       time.Duration `yaml:"pause"`
	ExitReasons []string      `yaml:"exit_reasons"`
}

// DefaultConfig returns the defaults, sized for a 10,000 USD paper account
// and kept below Coinbase's 30 requests per second.
func DefaultConfig() Config {
	d := decimal.RequireFromString
	return Config{
		TimeZone:   "UTC",
		StaleAfter: 30 * time.Second,
		Limits: OrderLimits{
			MaxOrderNotional: d("1000"),
			MinOrderNotional: d("1"),
			PriceCollarPct:   d("5"),
			CollarReference:  "last",
		},
		Account: ScopeLimits{
			MaxPositionNotional: d("5000"),
			MaxExposure:         d("8000"),
			MaxOpenOrders:       20,
			MaxEntriesPerDay:    100,
			OrdersPerSecond:     10,
			OrdersPerMinute:     200,
		},
		PerStrategy: ScopeLimits{
			MaxExposure:      d("2500"),
			MaxOpenOrders:    5,
			MaxEntriesPerDay: 20,
			OrdersPerSecond:  2,
			OrdersPerMinute:  30,
		},
		Loss: LossLimits{
			DailyLoss:            DailyLossRule{Limit: d("250"), Action: Halted, ResumeNextDay: true},
			MaxDrawdown:          LossRule{Limit: d("1000"), Action: Halted},
			MaxConsecutiveLosses: CountRule{Limit: 5, Action: Reducing},
		},
		StopLossCooldown: Cooldown{StopLosses: 3, Window: time.Hour, Pause: 2 * time.Hour,
			ExitReasons: []string{"stop_loss"}},
	}
}

// coinbaseOrdersPerSecond is Coinbase's limit on private REST requests.
const coinbaseOrdersPerSecond = 30

// Validate lists every problem at once. Each error's text starts with the
// field's yaml path inside the risk block, then ": ".
func (c Config) Validate() []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.TimeZone == "" {
		add("time_zone", "must name an IANA time zone such as UTC or America/New_York")
	} else if _, err := time.LoadLocation(c.TimeZone); err != nil {
		add("time_zone", "unknown IANA time zone %q", echo.Cut(c.TimeZone))
	}
	seen := map[string]bool{}
	for i, p := range c.AllowedProducts {
		base, quote, ok := strings.Cut(p, "-")
		if !ok || base == "" || quote == "" || strings.Contains(quote, "-") {
			add(fmt.Sprintf("allowed_products[%d]", i), "must look like BASE-QUOTE, got %q", p)
		} else if seen[p] {
			add(fmt.Sprintf("allowed_products[%d]", i), "%q is listed twice", p)
		}
		seen[p] = true
	}
	if c.StaleAfter <= 0 {
		add("stale_after", "must be a positive duration such as 30s, got %s", c.StaleAfter)
	}

	l := c.Limits
	if !l.MaxOrderNotional.IsPositive() {
		add("limits.max_order_notional", "must be positive, got %s", l.MaxOrderNotional)
	}
	if l.MinOrderNotional.IsNegative() {
		add("limits.min_order_notional", "must be zero (no minimum) or positive, got %s", l.MinOrderNotional)
	} else if l.MaxOrderNotional.IsPositive() && l.MinOrderNotional.GreaterThan(l.MaxOrderNotional) {
		add("limits.min_order_notional", "%s is above limits.max_order_notional %s", l.MinOrderNotional, l.MaxOrderNotional)
	}
	if !l.PriceCollarPct.IsPositive() || l.PriceCollarPct.GreaterThanOrEqual(decimal.NewFromInt(100)) {
		add("limits.price_collar_pct", "must be in (0, 100), got %s", l.PriceCollarPct)
	}
	switch l.CollarReference {
	case "last", "mid":
	default:
		add("limits.collar_reference", "must be last or mid, got %q", l.CollarReference)
	}

	errs = append(errs, c.Account.validate("account", true)...)
	errs = append(errs, c.PerStrategy.validate("per_strategy", false)...)
	errs = append(errs, c.PerProduct.validate("per_product", false)...)
	for _, name := range slices.Sorted(maps.Keys(c.Strategies)) {
		if name == "" {
			add("strategies", "an override needs a strategy instance name")
		}
		errs = append(errs, c.Strategies[name].Apply(c.PerStrategy).validate("strategies."+name, false)...)
	}
	for _, id := range slices.Sorted(maps.Keys(c.Products)) {
		if base, quote, ok := strings.Cut(id, "-"); !ok || base == "" || quote == "" {
			add("products."+id, "must be a product id like BASE-QUOTE")
		}
		errs = append(errs, c.Products[id].Apply(c.PerProduct).validate("products."+id, false)...)
	}

	if !c.Loss.DailyLoss.Limit.IsPositive() {
		add("loss.daily_loss.limit", "must be positive, got %s", c.Loss.DailyLoss.Limit)
	}
	if c.Loss.DailyLoss.Action == Active {
		add("loss.daily_loss.action", "must be REDUCING or HALTED")
	}
	if !c.Loss.MaxDrawdown.Limit.IsPositive() {
		add("loss.max_drawdown.limit", "must be positive, got %s", c.Loss.MaxDrawdown.Limit)
	}
	if c.Loss.MaxDrawdown.Action == Active {
		add("loss.max_drawdown.action", "must be REDUCING or HALTED")
	}
	if c.Loss.MaxConsecutiveLosses.Limit < 0 {
		add("loss.max_consecutive_losses.limit", "must be zero (off) or positive, got %d", c.Loss.MaxConsecutiveLosses.Limit)
	}
	if c.Loss.MaxConsecutiveLosses.Limit > 0 && c.Loss.MaxConsecutiveLosses.Action == Active {
		add("loss.max_consecutive_losses.action", "must be REDUCING or HALTED")
	}

	cd := c.StopLossCooldown
	if cd.StopLosses < 0 {
		add("stop_loss_cooldown.stop_losses", "must be zero (off) or positive, got %d", cd.StopLosses)
	}
	if cd.StopLosses > 0 {
		if cd.Window <= 0 {
			add("stop_loss_cooldown.window", "must be a positive duration, got %s", cd.Window)
		}
		if cd.Pause <= 0 {
			add("stop_loss_cooldown.pause", "must be a positive duration, got %s", cd.Pause)
		}
		if len(cd.ExitReasons) == 0 {
			add("stop_loss_cooldown.exit_reasons", "must name at least one exit reason, such as stop_loss")
		}
	}
	return errs
}

// validate checks one scope; required makes every limit mandatory, for
// the account scope that backs the optional per-strategy and per-product
// ones.
func (s ScopeLimits) validate(path string, required bool) []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, field, fmt.Sprintf(format, args...)))
	}
	dec := func(field string, v decimal.Decimal) {
		switch {
		case v.IsNegative():
			add(field, "must not be negative, got %s", v)
		case required && v.IsZero():
			add(field, "must be positive")
		}
	}
	count := func(field string, v int) {
		switch {
		case v < 0:
			add(field, "must not be negative, got %d", v)
		case required && v == 0:
			add(field, "must be positive")
		}
	}
	dec("max_position_notional", s.MaxPositionNotional)
	dec("max_exposure", s.MaxExposure)
	count("max_open_orders", s.MaxOpenOrders)
	count("max_entries_per_day", s.MaxEntriesPerDay)
	count("orders_per_second", s.OrdersPerSecond)
	count("orders_per_minute", s.OrdersPerMinute)
	if s.OrdersPerSecond > coinbaseOrdersPerSecond {
		add("orders_per_second", "must be at most %d, Coinbase's limit on private requests, got %d", coinbaseOrdersPerSecond, s.OrdersPerSecond)
	}
	return errs
}
