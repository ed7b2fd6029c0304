package exits

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Placement says who holds the protective stop.
type Placement string

// Placements. On the exchange the stop survives tradebot being down; in
// the bot it can trigger on the bid, stays hidden from the book and
// follows every tick, but protects only while tradebot runs and sees the
// feed (see Config.StaleAfter for what happens when it does not).
const (
	OnExchange Placement = "exchange"
	InBot      Placement = "bot"
)

// TriggerSource is the price a bot-watched exit compares with its levels.
type TriggerSource string

// Trigger sources: the last trade price (what Coinbase's own stops use),
// or the best bid (what a market sell would actually get).
const (
	TriggerLast TriggerSource = "last"
	TriggerBid  TriggerSource = "bid"
)

// Config is the exits block of one strategy instance. Zero values mean
// the defaults documented on each field; Defaults fills them in.
type Config struct {
	// Placement is exchange (default) or bot.
	Placement Placement `yaml:"placement"`
	// AttachToEntry puts the take-profit and stop on the entry order
	// itself (Coinbase attached_order_configuration) so the bracket exists
	// from the instant the entry fills. Exchange placement only; it needs
	// a stop_loss given as percent or price and exactly one take_profit.
	AttachToEntry bool `yaml:"attach_to_entry"`
	// Trigger is what bot-watched levels compare with: last (default) or bid.
	Trigger TriggerSource `yaml:"trigger"`
	// StopLoss is required: every position is protected from its first fill.
	StopLoss *StopLoss `yaml:"stop_loss"`
	// StopLimitOffsetPercent is how far below its trigger a resting
	// stop-limit's limit sits (default 0.5): the most slippage it accepts.
	StopLimitOffsetPercent decimal.Decimal `yaml:"stop_limit_offset_percent"`
	// TakeProfit levels, lowest first; the last one closes what is left.
	TakeProfit []TakeProfit `yaml:"take_profit"`
	// TrailingStop, when set, raises the stop behind the best price.
	TrailingStop *TrailingStop `yaml:"trailing_stop"`
	// BreakEven, when set, raises the stop to the entry plus an offset.
	BreakEven *BreakEven `yaml:"break_even"`
	// TimeStop, when set, closes the position after MaxHolding.
	TimeStop *TimeStop `yaml:"time_stop"`
	// Update limits how often a resting stop is moved.
	Update Update `yaml:"update"`
	// StaleAfter is how old the feed may get before bot-watched stops
	// fall back to a resting stop-limit (default 10s).
	StaleAfter time.Duration `yaml:"stale_after"`
}

// StopLoss is the initial stop: exactly one of Percent below the average
// entry, a fixed Price, or ATR.
type StopLoss struct {
	Percent decimal.Decimal `yaml:"percent"`
	Price   decimal.Decimal `yaml:"price"`
	ATR     *ATRStop        `yaml:"atr"`
}

// ATRStop places the stop Multiple average true ranges below the average
// entry, the range measured on bars of Interval built from trade ticks
// over the last Period bars (Wilder's smoothing).
type ATRStop struct {
	Multiple decimal.Decimal `yaml:"multiple"`
	Period   int             `yaml:"period"`
	Interval time.Duration   `yaml:"interval"`
	// WarmupPercent is the stop used while no bar has closed yet
	// (default 2).
	WarmupPercent decimal.Decimal `yaml:"warmup_percent"`
}

// TakeProfit is one level: a target Percent above the average entry or a
// fixed Price, and the fraction of the position at entry it closes.
type TakeProfit struct {
	Percent decimal.Decimal `yaml:"percent"`
	Price   decimal.Decimal `yaml:"price"`
	Close   decimal.Decimal `yaml:"close"`
}

// TrailingStop follows the best price seen since activation at
// CallbackPercent below it. It activates at ActivationPercent above the
// average entry or at ActivationPrice; with neither, at once.
type TrailingStop struct {
	CallbackPercent   decimal.Decimal `yaml:"callback_percent"`
	ActivationPercent decimal.Decimal `yaml:"activation_percent"`
	ActivationPrice   decimal.Decimal `yaml:"activation_price"`
}

// BreakEven raises the stop to the average entry plus OffsetPercent, once
// the first take-profit level has filled (AfterTakeProfit) or the price
// has reached AtPercent above the entry.
type BreakEven struct {
	AfterTakeProfit bool            `yaml:"after_take_profit"`
	AtPercent       decimal.Decimal `yaml:"at_percent"`
	// OffsetPercent defaults to what an entry and an exit at the taker fee
	// cost, so that a break-even exit loses nothing: (1+t)/(1-t) - 1.
	OffsetPercent decimal.Decimal `yaml:"offset_percent"`
}

// TimeStop closes the position at market once it has been open MaxHolding.
type TimeStop struct {
	MaxHolding time.Duration `yaml:"max_holding"`
}

// Update limits moves of a resting stop: no sooner than MinInterval after
// the last move (default 5s) and only by at least MinStepPercent of the
// stop price (default 0.05). Bot-watched stops move on every tick.
type Update struct {
	MinInterval    time.Duration   `yaml:"min_interval"`
	MinStepPercent decimal.Decimal `yaml:"min_step_percent"`
}

// Defaults in one place.
var (
	defaultStopLimitOffset = decimal.New(5, -1)
	defaultMinInterval     = 5 * time.Second
	defaultMinStep         = decimal.New(5, -2)
	defaultStaleAfter      = 10 * time.Second
	defaultATRWarmup       = decimal.NewFromInt(2)
	hundred                = decimal.NewFromInt(100)
	one                    = decimal.NewFromInt(1)
)

// Defaults returns c with every zero field that has a default set to it.
func (c Config) Defaults() Config {
	if c.Placement == "" {
		c.Placement = OnExchange
	}
	if c.Trigger == "" {
		c.Trigger = TriggerLast
	}
	if c.StopLimitOffsetPercent.IsZero() {
		c.StopLimitOffsetPercent = defaultStopLimitOffset
	}
	if c.Update.MinInterval == 0 {
		c.Update.MinInterval = defaultMinInterval
	}
	if c.Update.MinStepPercent.IsZero() {
		c.Update.MinStepPercent = defaultMinStep
	}
	if c.StaleAfter == 0 {
		c.StaleAfter = defaultStaleAfter
	}
	if c.StopLoss != nil && c.StopLoss.ATR != nil && c.StopLoss.ATR.WarmupPercent.IsZero() {
		atr := *c.StopLoss.ATR
		atr.WarmupPercent = defaultATRWarmup
		sl := *c.StopLoss
		sl.ATR = &atr
		c.StopLoss = &sl
	}
	return c
}

// Validate returns every problem of the block. Each error's text starts
// with the field's path inside the exits block and ": ", such as
// "take_profit[1].close: must be in (0, 1]", so that the config loader can
// prefix the instance's path and find the line.
func (c Config) Validate() []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	switch c.Placement {
	case "", OnExchange, InBot:
	default:
		add("placement", "must be exchange or bot, got %q", c.Placement)
	}
	switch c.Trigger {
	case "", TriggerLast, TriggerBid:
	default:
		add("trigger", "must be last or bid, got %q", c.Trigger)
	}
	if c.Trigger == TriggerBid && c.Placement != InBot {
		add("trigger", "bid needs placement: bot (the exchange triggers stops on the last trade)")
	}
	c.validateStop(add)
	if c.StopLimitOffsetPercent.IsNegative() || c.StopLimitOffsetPercent.GreaterThanOrEqual(hundred) {
		add("stop_limit_offset_percent", "must be in [0, 100), got %s", c.StopLimitOffsetPercent)
	}
	c.validateTakeProfit(add)
	if ts := c.TrailingStop; ts != nil {
		if !ts.CallbackPercent.IsPositive() || ts.CallbackPercent.GreaterThanOrEqual(hundred) {
			add("trailing_stop.callback_percent", "must be in (0, 100), got %s", ts.CallbackPercent)
		}
		if ts.ActivationPercent.IsNegative() {
			add("trailing_stop.activation_percent", "must not be negative, got %s", ts.ActivationPercent)
		}
		if ts.ActivationPrice.IsNegative() {
			add("trailing_stop.activation_price", "must not be negative, got %s", ts.ActivationPrice)
		}
		if ts.ActivationPercent.IsPositive() && ts.ActivationPrice.IsPositive() {
			add("trailing_stop", "give activation_percent or activation_price, not both")
		}
	}
	if be := c.BreakEven; be != nil {
		if !be.AfterTakeProfit && !be.AtPercent.IsPositive() {
			add("break_even", "give after_take_profit: true or a positive at_percent")
		}
		if be.AfterTakeProfit && len(c.TakeProfit) < 2 {
			add("break_even.after_take_profit", "needs at least two take_profit levels (after the only level nothing is left)")
		}
		if be.AtPercent.IsNegative() {
			add("break_even.at_percent", "must not be negative, got %s", be.AtPercent)
		}
		if be.OffsetPercent.IsNegative() || be.OffsetPercent.GreaterThanOrEqual(hundred) {
			add("break_even.offset_percent", "must be in [0, 100), got %s", be.OffsetPercent)
		}
		if be.AtPercent.IsPositive() && be.OffsetPercent.GreaterThanOrEqual(be.AtPercent) {
			add("break_even.offset_percent", "must be below at_percent %s, else the stop would sit at or above the price that arms it", be.AtPercent)
		}
	}
	if c.TimeStop != nil && c.TimeStop.MaxHolding <= 0 {
		add("time_stop.max_holding", "must be positive, got %s", c.TimeStop.MaxHolding)
	}
	if c.Update.MinInterval < 0 {
		add("update.min_interval", "must not be negative, got %s", c.Update.MinInterval)
	}
	if c.Update.MinStepPercent.IsNegative() {
		add("update.min_step_percent", "must not be negative, got %s", c.Update.MinStepPercent)
	}
	if c.StaleAfter < 0 {
		add("stale_after", "must not be negative, got %s", c.StaleAfter)
	}
	if c.AttachToEntry {
		if c.Placement == InBot {
			add("attach_to_entry", "needs placement: exchange")
		}
		if len(c.TakeProfit) != 1 {
			add("attach_to_entry", "needs exactly one take_profit level (an attached bracket has one take-profit), got %d", len(c.TakeProfit))
		}
		if c.StopLoss != nil && c.StopLoss.ATR != nil {
			add("attach_to_entry", "needs stop_loss as percent or price (the bracket is priced before the entry fills)")
		}
	}
	return errs
}

func (c Config) validateStop(add func(path, format string, args ...any)) {
	sl := c.StopLoss
	if sl == nil {
		add("stop_loss", "is required: every position must be protected from its first fill")
		return
	}
	n := 0
	if !sl.Percent.IsZero() {
		n++
		if !sl.Percent.IsPositive() || sl.Percent.GreaterThanOrEqual(hundred) {
			add("stop_loss.percent", "must be in (0, 100), got %s", sl.Percent)
		}
	}
	if !sl.Price.IsZero() {
		n++
		if !sl.Price.IsPositive() {
			add("stop_loss.price", "must be positive, got %s", sl.Price)
		}
	}
	if a := sl.ATR; a != nil {
		n++
		if !a.Multiple.IsPositive() {
			add("stop_loss.atr.multiple", "must be positive, got %s", a.Multiple)
		}
		if a.Period < 1 {
			add("stop_loss.atr.period", "must be at least 1, got %d", a.Period)
		}
		if a.Interval <= 0 {
			add("stop_loss.atr.interval", "must be positive, got %s", a.Interval)
		}
		if a.WarmupPercent.IsNegative() || a.WarmupPercent.GreaterThanOrEqual(hundred) {
			add("stop_loss.atr.warmup_percent", "must be in (0, 100), got %s", a.WarmupPercent)
		}
	}
	if n != 1 {
		add("stop_loss", "give exactly one of percent, price and atr, got %d", n)
	}
}

func (c Config) validateTakeProfit(add func(path, format string, args ...any)) {
	var prevPct, prevPrice decimal.Decimal
	for i, tp := range c.TakeProfit {
		path := fmt.Sprintf("take_profit[%d]", i)
		hasPct, hasPrice := !tp.Percent.IsZero(), !tp.Price.IsZero()
		if hasPct == hasPrice {
			add(path, "give exactly one of percent and price")
		}
		if hasPct && !tp.Percent.IsPositive() {
			add(path+".percent", "must be positive, got %s", tp.Percent)
		}
		if hasPrice && !tp.Price.IsPositive() {
			add(path+".price", "must be positive, got %s", tp.Price)
		}
		if !tp.Close.IsPositive() || tp.Close.GreaterThan(one) {
			add(path+".close", "must be in (0, 1], got %s", tp.Close)
		}
		if i > 0 {
			if hasPct && !tp.Percent.GreaterThan(prevPct) || hasPrice && !tp.Price.GreaterThan(prevPrice) {
				add(path, "levels must rise: each above the one before")
			}
			if hasPct != !c.TakeProfit[i-1].Percent.IsZero() {
				add(path, "give every level as percent or every level as price, not a mix")
			}
		}
		prevPct, prevPrice = tp.Percent, tp.Price
	}
	sum := decimal.Zero
	for i := 0; i+1 < len(c.TakeProfit); i++ {
		sum = sum.Add(c.TakeProfit[i].Close)
	}
	if len(c.TakeProfit) > 1 && sum.GreaterThanOrEqual(one) {
		add(fmt.Sprintf("take_profit[%d].close", len(c.TakeProfit)-2), "the levels before the last close %s of the position, which leaves nothing for the last; keep their sum below 1", sum)
	}
	if sl := c.StopLoss; sl != nil && sl.Price.IsPositive() {
		for i, tp := range c.TakeProfit {
			if tp.Price.IsPositive() && !tp.Price.GreaterThan(sl.Price) {
				add(fmt.Sprintf("take_profit[%d].price", i), "must be above stop_loss.price %s", sl.Price)
			}
		}
	}
}
