package risk

import (
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Check decides on one intent and, when it is allowed, reserves what it
// uses in the same step. The reservation is nil when the intent is
// refused. Exits (ReduceOnly) are checked only for sanity and against the
// strategy's known position.
func (g *Guard) Check(in Intent) (Decision, *Reservation) {
	if d, ok := sanity(&in); !ok {
		return d, nil
	}
	now := g.clk.Now()
	nowN := unixNanos(now)
	// The notional of a priced order depends on the intent alone, so it is
	// computed before taking the lock.
	var notional int64
	var unitPrice decimal.Decimal
	priced := in.Type != exchange.Market
	if priced && !in.ReduceOnly {
		unitPrice = in.LimitPrice
		notional = notionalUnits(in.BaseSize, unitPrice)
	}

	g.mu.Lock()
	defer g.unlock()
	g.roll(now)

	if in.ReduceOnly {
		return g.checkExit(&in)
	}
	if g.allowed != nil && !g.allowed[in.ProductID] {
		return rejectf(RuleProductNotAllowed, "", "", in.ProductID,
			"%s is not in allowed_products", in.ProductID), nil
	}
	if g.state != Active {
		return g.stateRefusal(), nil
	}
	p := g.product(in.ProductID)
	if nowN < p.cooldownUntil {
		// To the second, rounded up (never "resume in 0s"):
		// "1m4.788451868s" told a trader nothing more.
		left := time.Duration(p.cooldownUntil - nowN + int64(time.Second) - 1).Truncate(time.Second)
		return rejectf(RuleStopLossCooldown, ScopeProduct, g.cfg.StopLossCooldown.Pause.String(), left.String(),
			"%s is cooling down after %d stop-losses; entries resume in %s", in.ProductID,
			g.cfg.StopLossCooldown.StopLosses, left), nil
	}
	if d, ok := g.fresh(p, nowN); !ok {
		return d, nil
	}

	if !priced {
		// The venue bounds a market order's size where it takes it, which
		// may not be the price its notional is valued at (the engine's
		// estimate is the last trade, the venue takes the ask).
		takes := p.takePrice(in.Side)
		if in.QuoteSize.IsPositive() {
			// Its fills consume their own value: the reservation keeps no
			// price (unitPrice stays zero).
			notional = toUnits(in.QuoteSize)
			if takes.IsPositive() {
				if d, ok := buysAnOrderSize(&in, notional, takes); !ok {
					return d, nil
				}
			}
		} else {
			unitPrice = in.EstimatedPrice
			if !unitPrice.IsPositive() {
				unitPrice = p.marketPrice(in.Side)
			}
			if !unitPrice.IsPositive() {
				return rejectf(RuleStaleData, ScopeProduct, g.staleAfterStr, "no price",
					"no price for %s to value a market order by", p.id), nil
			}
			notional = notionalUnits(in.BaseSize, unitPrice)
			if takes.IsPositive() {
				if d, ok := worthAnOrder(&in, takes); !ok {
					return d, nil
				}
			}
		}
	}
	lo := &g.cfg.Limits
	if notional > g.maxOrder {
		return rejectf(RuleMaxOrderNotional, "", lo.MaxOrderNotional.String(), unitsString(notional),
			"order notional %s is above max_order_notional %s", unitsString(notional), lo.MaxOrderNotional), nil
	}
	if notional < g.minOrder {
		return rejectf(RuleMinOrderNotional, "", lo.MinOrderNotional.String(), unitsString(notional),
			"order notional %s is below min_order_notional %s", unitsString(notional), lo.MinOrderNotional), nil
	}
	if d, ok := g.collar(&in, p); !ok {
		return d, nil
	}

	s := g.strategy(in.Strategy)
	c := s.cell(p)
	if d, ok := g.limitsAllow(s, p, c, notional, nowN); !ok {
		return d, nil
	}
	return allowEntry, g.reserve(s, p, c, notional, unitPrice, nowN)
}

// stateRefusal is the decision that refuses an entry outside ACTIVE.
// A strategy keeps asking while the guard is REDUCING or HALTED, often
// for the rest of a backtest: the decision is rendered once per state,
// rule and reason, and kept while they stay the same.
func (g *Guard) stateRefusal() Decision {
	r := &g.refusal
	if !r.valid || r.state != g.state || r.rule != g.stateRule || r.reason != g.stateReason {
		*r = cachedRefusal{valid: true, state: g.state, rule: g.stateRule, reason: g.stateReason,
			decision: rejectf(g.stateRule, "", Active.String(), g.state.String(),
				"trading state is %s (%s); entries are refused, exits pass", g.state, g.stateReason)}
	}
	return r.decision
}

// cachedRefusal is stateRefusal's decision and the state it was made in.
type cachedRefusal struct {
	valid    bool
	state    State
	rule     string
	reason   string
	decision Decision
}

// checkExit passes a reduce-only intent that shrinks the strategy's known
// position; it refuses one that would open or flip a position, which on
// spot would be an accidental short.
func (g *Guard) checkExit(in *Intent) (Decision, *Reservation) {
	var size decimal.Decimal
	var c *cell
	if s := g.strategies[in.Strategy]; s != nil {
		if p := g.products[in.ProductID]; p != nil {
			c = s.cell(p)
			size = c.size
		}
	}
	if size.IsZero() {
		return rejectf(RuleReduceOnly, "", "0", in.BaseSize.String(),
			"reduce-only %s of %s: strategy %q holds no %s position the guard knows of", in.Side, in.BaseSize, in.Strategy, in.ProductID), nil
	}
	if (size.IsPositive() && in.Side != exchange.Sell) || (size.IsNegative() && in.Side != exchange.Buy) {
		return rejectf(RuleReduceOnly, "", size.String(), string(in.Side),
			"reduce-only %s would grow strategy %q's %s position of %s", in.Side, in.Strategy, in.ProductID, size), nil
	}
	if in.BaseSize.GreaterThan(size.Abs()) {
		return rejectf(RuleReduceOnly, "", size.Abs().String(), in.BaseSize.String(),
			"reduce-only %s of %s is larger than strategy %q's %s position of %s", in.Side, in.BaseSize, in.Strategy, in.ProductID, size.Abs()), nil
	}
	return allowExit, &Reservation{c: c, exit: true}
}

// fresh refuses entries on a product whose feed is resyncing or whose last
// tick is older than stale_after.
func (g *Guard) fresh(p *productBook, nowN int64) (Decision, bool) {
	limit := g.staleAfterStr
	switch {
	case g.unseen != "":
		return rejectf(RuleStaleData, ScopeAccount, limit, "order updates unseen",
			"order updates cannot be seen (%s); entries wait until they can", g.unseen), false
	case p.resyncing:
		return rejectf(RuleStaleData, ScopeProduct, limit, "resyncing",
			"%s feed is resyncing; entries wait until it has caught up", p.id), false
	case !p.seen:
		return rejectf(RuleStaleData, ScopeProduct, limit, "no tick",
			"no market data for %s yet", p.id), false
	case nowN-unixNanos(p.seenAt) > g.staleAfter:
		age := time.Duration(nowN - unixNanos(p.seenAt)).Round(time.Millisecond)
		return rejectf(RuleStaleData, ScopeProduct, limit, age.String(),
			"last %s tick is %s old, above stale_after %s", p.id, age, limit), false
	}
	return Decision{}, true
}

// collar refuses a limit price (or, if configured, a market order's
// estimated price) more than price_collar_pct from the reference price.
func (g *Guard) collar(in *Intent, p *productBook) (Decision, bool) {
	price := in.LimitPrice
	if in.Type == exchange.Market {
		if !g.cfg.Limits.CollarMarketOrders || !in.EstimatedPrice.IsPositive() {
			return Decision{}, true
		}
		price = in.EstimatedPrice
	}
	ref, ok := p.reference(g.collarMid)
	if !ok {
		return rejectf(RulePriceCollar, "", g.cfg.Limits.PriceCollarPct.String()+"%", "no reference",
			"no last trade or quote for %s to collar the price against", p.id), false
	}
	// The band is ref -/+ ref x pct / 100, rounded toward ref so that it is
	// never wider than configured.
	hi, lo := bits.Mul64(uint64(ref), g.collarE4)
	band := int64(tooLarge)
	if hi < 1e6 {
		q, _ := bits.Div64(hi, lo, 1e6)
		band = int64(min(q, uint64(tooLarge)))
	}
	lowBound, highBound := ref-min(band, ref), addUnits(ref, band)
	if u := toUnits(price); u < lowBound || u > highBound {
		return rejectf(RulePriceCollar, "", g.cfg.Limits.PriceCollarPct.String()+"%", price.String(),
			"price %s is more than %s%% from the reference %s (allowed %s to %s)",
			price, g.cfg.Limits.PriceCollarPct, unitsString(ref), unitsString(lowBound), unitsString(highBound)), false
	}
	return Decision{}, true
}

// limitsAllow checks the exposure, open-order, entry and rate limits of
// the account, the strategy and the product for an entry of notional.
func (g *Guard) limitsAllow(s *strategyBook, p *productBook, c *cell, notional, nowN int64) (Decision, bool) {
	acct, prod, strat, pos := addUnits(g.acct.exposure, notional), addUnits(p.exposure, notional),
		addUnits(s.exposure, notional), addUnits(c.exposure, notional)
	checks := [...]struct {
		sc       *scope
		lim      *limits
		name     string
		position int64 // this product's position within the scope
		exposure int64
	}{
		{&g.acct, &g.acctLim, ScopeAccount, prod, acct},
		{&s.scope, s.lim, ScopeStrategy, pos, strat},
		{&p.scope, p.lim, ScopeProduct, prod, prod},
	}
	for i := range checks {
		k := &checks[i]
		if k.lim.maxOpen > 0 && k.sc.openOrders >= k.lim.maxOpen {
			return rejectf(RuleMaxOpenOrders, k.name, k.lim.maxOpenStr, fmt.Sprint(k.sc.openOrders+1),
				"%s would have %d open entry orders, above max_open_orders %d", k.name, k.sc.openOrders+1, k.lim.maxOpen), false
		}
		if k.lim.maxEntries > 0 && k.sc.entries >= k.lim.maxEntries {
			return rejectf(RuleMaxEntriesPerDay, k.name, k.lim.maxEntriesStr, fmt.Sprint(k.sc.entries+1),
				"%s would make %d entries today, above max_entries_per_day %d", k.name, k.sc.entries+1, k.lim.maxEntries), false
		}
		if k.lim.maxPosition > 0 && k.position > k.lim.maxPosition {
			return rejectf(RuleMaxPositionNotional, k.name, k.lim.maxPositionStr, unitsString(k.position),
				"%s position in %s would reach %s, above max_position_notional %s", k.name, p.id, unitsString(k.position), k.lim.maxPositionStr), false
		}
		if k.lim.maxExposure > 0 && k.exposure > k.lim.maxExposure {
			return rejectf(RuleMaxExposure, k.name, k.lim.maxExposureStr, unitsString(k.exposure),
				"%s exposure would reach %s, above max_exposure %s", k.name, unitsString(k.exposure), k.lim.maxExposureStr), false
		}
	}
	// Rates come last so that an order refused for another reason does not
	// spend a token.
	for i := range checks {
		k := &checks[i]
		if !k.sc.perSecond.allows(nowN) {
			return rejectf(RuleRatePerSecond, k.name, k.lim.perSecondStr, "retry in "+k.sc.perSecond.wait(nowN).String(),
				"%s entry rate is above orders_per_second %d", k.name, k.lim.perSecond), false
		}
		if !k.sc.perMinute.allows(nowN) {
			return rejectf(RuleRatePerMinute, k.name, k.lim.perMinuteStr, "retry in "+k.sc.perMinute.wait(nowN).String(),
				"%s entry rate is above orders_per_minute %d", k.name, k.lim.perMinute), false
		}
	}
	g.acct.exposure, p.exposure, s.exposure, c.exposure = acct, prod, strat, pos
	return Decision{}, true
}

// reserve counts an allowed entry in every scope; limitsAllow has already
// added its notional to the exposures.
func (g *Guard) reserve(s *strategyBook, p *productBook, c *cell, notional int64, unitPrice decimal.Decimal, nowN int64) *Reservation {
	for _, sc := range [...]*scope{&g.acct, &s.scope, &p.scope} {
		sc.openOrders++
		sc.entries++
		sc.perSecond.take(nowN)
		sc.perMinute.take(nowN)
	}
	return &Reservation{c: c, price: unitPrice, remaining: notional, day: g.dayStartN}
}

// Release ends a reservation when its order ends for any reason: filled,
// cancelled, expired or failed. What is still reserved is freed; an entry
// that never filled gives back its count of the day. Releasing twice, or
// a nil reservation, does nothing.
func (g *Guard) Release(r *Reservation) {
	if r == nil {
		return
	}
	g.mu.Lock()
	defer g.unlock()
	if r.ended {
		return
	}
	r.ended = true
	if r.exit {
		return
	}
	g.unreserve(r, r.remaining)
	r.remaining = 0
	c := r.c
	for _, sc := range [...]*scope{&g.acct, &c.strat.scope, &c.prod.scope} {
		sc.openOrders--
		if !r.filled && r.day == g.dayStartN && sc.entries > 0 {
			sc.entries--
		}
	}
}

// unreserve takes amount of reserved notional off every scope of r.
func (g *Guard) unreserve(r *Reservation, amount int64) {
	c := r.c
	c.exposure -= amount
	c.strat.exposure -= amount
	c.prod.exposure -= amount
	g.acct.exposure -= amount
}

// worthAnOrder refuses a market entry sized in base whose worth at the
// price it takes is outside quote_min_size to quote_max_size, as the
// venue refuses it when it arrives (exchange.Product.CheckBounds); sanity
// has checked every other bound, and every other order's worth
// (Validate). The exact check allocates, so it runs only near a bound:
// the worth rounded up to units, one above the minimum's units (rounded
// up), is above the minimum, and one under the maximum's units is under
// the maximum.
func worthAnOrder(in *Intent, price decimal.Decimal) (Decision, bool) {
	notional := notionalUnits(in.BaseSize, price)
	lo, hi := in.Product.QuoteMinSize, in.Product.QuoteMaxSize
	if (!lo.IsPositive() || notional > toUnits(lo)) && (!hi.IsPositive() || notional < toUnits(hi)) {
		return Decision{}, true
	}
	return venueRefusal(in, price, in.Product.CheckBounds(in.BaseSize, price))
}

// buysAnOrderSize refuses a market buy sized in quote that buys, at the
// price it takes, nothing, less than base_min_size or more than
// base_max_size, as the venue refuses it (exchange.Product.QuoteBuys).
// The exact rule divides, so it runs only near a bound: a quote size
// (notional, in units) above three times the worth of the larger of the
// base minimum and the base increment buys at least that minimum however
// it is rounded down, and one under the worth of the base maximum buys
// less than the maximum.
func buysAnOrderSize(in *Intent, notional int64, price decimal.Decimal) (Decision, bool) {
	p := &in.Product
	least := max(notionalUnits(p.BaseMinSize, price), notionalUnits(p.BaseIncrement, price))
	enough := least > 0 && least < tooLarge/3 && 3*least < notional // with neither, a tiny quotient rounds to nothing
	fits := !p.BaseMaxSize.IsPositive() || notionalUnits(p.BaseMaxSize, price) > notional
	if enough && fits {
		return Decision{}, true
	}
	_, err := p.QuoteBuys(in.QuoteSize, price)
	return venueRefusal(in, price, err)
}

// venueRefusal is the guard's refusal of a market entry that the venue
// refuses with err at the price it takes, or a pass for a nil err.
func venueRefusal(in *Intent, price decimal.Decimal, err error) (Decision, bool) {
	if err == nil {
		return Decision{}, true
	}
	var rej *exchange.RejectError
	value := ""
	if errors.As(err, &rej) {
		value = rej.Reason
	}
	return rejectf(RuleInvalidOrder, "", "", value, "%s %s %s at %s, the price it takes: %s", in.Side, in.Type, in.ProductID, price, err), false
}
