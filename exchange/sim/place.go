package sim

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

func rejectf(reason, format string, args ...any) *exchange.RejectError {
	return &exchange.RejectError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// PlaceOrder places req. A request whose ClientOrderID is already known
// returns the existing order and creates nothing. A refused order returns
// a *exchange.RejectError with Coinbase's failure reason and is not
// stored. A market order, or a limit order that can take liquidity, is
// filled before PlaceOrder returns; the returned order shows the fill.
func (x *Exchange) PlaceOrder(ctx context.Context, req exchange.OrderRequest) (exchange.Order, error) {
	if err := ctx.Err(); err != nil {
		return exchange.Order{}, fmt.Errorf("place %q: %w", req.ClientOrderID, err)
	}
	x.mu.Lock()
	o, err := x.place(req)
	var out exchange.Order
	if err == nil {
		out = o.snapshot()
	}
	x.unlock()
	return out, err
}

// place does PlaceOrder's work with mu held.
func (x *Exchange) place(req exchange.OrderRequest) (*order, error) {
	if req.ClientOrderID == "" {
		return nil, rejectf(exchange.ReasonInvalidRequest, "client_order_id is required: it is the key that makes a retry safe")
	}
	if o := x.byClient[req.ClientOrderID]; o != nil {
		return o, nil
	}
	b := x.books[req.ProductID]
	if b == nil {
		return nil, rejectf(exchange.ReasonInvalidProductID, "product %q is not listed", req.ProductID)
	}
	if err := checkScale(req); err != nil {
		return nil, err
	}
	if err := x.check(b, &req); err != nil {
		return nil, err
	}
	if x.queuing(b) {
		return x.placeQueued(b, req)
	}
	switch req.Type {
	case exchange.Market:
		return x.placeMarket(b, req)
	case exchange.Limit:
		return x.placeLimit(b, req)
	default:
		return x.placeStop(b, req)
	}
}

// check applies the product's rules (exchange.Product.Validate) and the
// ones that need the market or the order's other fields, and fills in the
// default time in force.
func (x *Exchange) check(b *book, req *exchange.OrderRequest) error {
	p := b.product
	if err := p.Validate(*req); err != nil {
		return err
	}
	if req.TimeInForce == "" {
		req.TimeInForce = exchange.GoodTilCancelled
		if req.Type == exchange.Market {
			req.TimeInForce = exchange.ImmediateOrCancel
		}
	}
	switch tif := req.TimeInForce; {
	case req.Type == exchange.Market && tif != exchange.ImmediateOrCancel:
		return rejectf(exchange.ReasonUnsupportedConfig, "spot market orders are immediate-or-cancel, not %s", tif)
	case req.Type != exchange.Limit && req.Type != exchange.Market && tif != exchange.GoodTilCancelled && tif != exchange.GoodTilDate:
		return rejectf(exchange.ReasonUnsupportedConfig, "%s orders are good-til-cancelled or good-til-date, not %s", req.Type, tif)
	case tif != exchange.GoodTilCancelled && tif != exchange.GoodTilDate && tif != exchange.ImmediateOrCancel && tif != exchange.FillOrKill:
		return rejectf(exchange.ReasonUnsupportedConfig, "time in force %q", tif)
	case req.PostOnly && (req.Type != exchange.Limit || tif == exchange.ImmediateOrCancel || tif == exchange.FillOrKill):
		return rejectf(exchange.ReasonUnsupportedConfig, "post_only applies to resting limit orders only")
	case tif == exchange.GoodTilDate && req.EndTime.IsZero():
		return rejectf(exchange.ReasonInvalidRequest, "good-til-date order needs end_time")
	case tif == exchange.GoodTilDate && !req.EndTime.After(x.clk.Now()):
		return rejectf(exchange.ReasonInvalidRequest, "end_time %s is in the past", req.EndTime.Format("2006-01-02T15:04:05Z07:00"))
	}
	if p.PostOnly && req.Type == exchange.Market {
		return rejectf(exchange.ReasonUnsupportedConfig, "%s is post-only", p.ID)
	}
	if req.Type == exchange.StopLimit {
		if req.StopDirection != exchange.StopUp && req.StopDirection != exchange.StopDown {
			return rejectf(exchange.ReasonUnsupportedConfig, "stop_direction %q", req.StopDirection)
		}
		if err := b.checkStop(req.StopDirection, req.StopPrice); err != nil {
			return err
		}
	}
	if req.Type == exchange.Bracket {
		if err := b.checkStop(exchange.StopDown, req.StopPrice); err != nil {
			return err
		}
	}
	if a := req.Attached; a != nil {
		if req.Type != exchange.Market && req.Type != exchange.Limit {
			return rejectf(exchange.ReasonUnsupportedConfig, "attached take-profit/stop-loss is only allowed on market and limit orders, not %s", req.Type)
		}
		if req.Side != exchange.Buy {
			return rejectf(exchange.ReasonBracketSide, "an attached bracket sells the bought position, so the entry must be a BUY")
		}
		if !a.LimitPrice.IsPositive() || !a.StopTriggerPrice.IsPositive() || !a.LimitPrice.GreaterThan(a.StopTriggerPrice) {
			return rejectf(exchange.ReasonInvalidBracketPrices, "attached take-profit %s must be above stop trigger %s, both positive", a.LimitPrice, a.StopTriggerPrice)
		}
		if !onGrid(p, a.LimitPrice) || !onGrid(p, a.StopTriggerPrice) {
			return rejectf(exchange.ReasonInvalidPricePrecision, "attached prices %s and %s must be multiples of %s", a.LimitPrice, a.StopTriggerPrice, p.PriceIncrement)
		}
		if err := b.checkStop(exchange.StopDown, a.StopTriggerPrice); err != nil {
			return err
		}
		copied := *a
		req.Attached = &copied // the caller may reuse its struct
	}
	return nil
}

// maxScale bounds the decimal exponent of a price or size. Real values
// need a few dozen digits at most; an input such as "1e-999999999" would
// make every rounding step build a billion-digit number.
const maxScale = 64

// checkScale rejects a request with a number written at an absurd scale
// before any arithmetic touches it.
func checkScale(req exchange.OrderRequest) error {
	fields := [...]struct {
		name   string
		v      decimal.Decimal
		reason string
	}{
		{"base_size", req.BaseSize, exchange.ReasonInvalidSizePrecision},
		{"quote_size", req.QuoteSize, exchange.ReasonInvalidQuotePrecision},
		{"limit_price", req.LimitPrice, exchange.ReasonInvalidPricePrecision},
		{"stop_price", req.StopPrice, exchange.ReasonInvalidPricePrecision},
	}
	for _, f := range fields {
		if !sane(f.v) {
			return rejectf(f.reason, "%s has exponent %d, beyond ±%d", f.name, f.v.Exponent(), maxScale)
		}
	}
	if a := req.Attached; a != nil {
		for _, v := range []decimal.Decimal{a.LimitPrice, a.StopTriggerPrice} {
			if !sane(v) {
				return rejectf(exchange.ReasonInvalidPricePrecision, "attached price has exponent %d, beyond ±%d", v.Exponent(), maxScale)
			}
		}
	}
	return nil
}

func onGrid(p exchange.Product, price decimal.Decimal) bool {
	return p.RoundPriceDown(price).Equal(price)
}

// checkStop rejects a stop that the last trade has already reached, as
// Coinbase's preview does, since it would trigger at once.
func (b *book) checkStop(dir exchange.StopDirection, stop decimal.Decimal) error {
	if !b.hasLast {
		return nil
	}
	if dir == exchange.StopDown && b.last.LessThanOrEqual(stop) {
		return rejectf(exchange.ReasonStopAboveLastTrade, "stop-down price %s is at or above the last trade %s", stop, b.last)
	}
	if dir == exchange.StopUp && b.last.GreaterThanOrEqual(stop) {
		return rejectf(exchange.ReasonStopBelowLastTrade, "stop-up price %s is at or below the last trade %s", stop, b.last)
	}
	return nil
}

// newOrder stores a new OPEN order for req. Callers hold mu and have
// checked everything that can reject it.
func (x *Exchange) newOrder(req exchange.OrderRequest) *order {
	return x.newOrderAs(req, exchange.StatusOpen)
}

// newOrderAs is newOrder for an order that starts in status (QUEUED).
func (x *Exchange) newOrderAs(req exchange.OrderRequest, status exchange.OrderStatus) *order {
	now := x.clk.Now()
	o := &order{Order: exchange.Order{
		OrderRequest: req,
		ID:           x.newOrderID(),
		Status:       status,
		CreatedAt:    now,
		UpdatedAt:    now,
	}, want: req.BaseSize}
	x.orders = append(x.orders, o)
	x.byID[o.ID] = o
	if req.ClientOrderID != "" {
		x.byClient[req.ClientOrderID] = o
		x.placed[req.ClientOrderID]++
	}
	x.emit(o, nil)
	return o
}

func (x *Exchange) placeMarket(b *book, req exchange.OrderRequest) (*order, error) {
	price, size, err := x.marketTerms(b, req)
	if err != nil {
		return nil, err
	}
	if err := x.marketFunds(b.product, req.Side, price, size); err != nil {
		return nil, err
	}
	o := x.newOrder(req)
	x.execMarket(b, o, price, size)
	return o, nil
}

// marketTerms returns the price a market order takes now (after
// slippage) and the base size it fills: its base size, or what its quote
// size buys there. A base size worth less than quote_min_size or more
// than quote_max_size at the market's price (before slippage) is
// refused.
func (x *Exchange) marketTerms(b *book, req exchange.OrderRequest) (price, size decimal.Decimal, err error) {
	p := b.product
	ref, ok := b.takePrice(req.Side)
	if !ok {
		return price, size, rejectf(exchange.ReasonNoLiquidity, "no trade or quote seen yet for %s", p.ID)
	}
	price = x.slip(p, req.Side, ref)
	size = req.BaseSize
	if size.IsZero() {
		// Its worth is the quote size, checked by Validate; what it buys
		// at the price it takes must still be an order's size.
		size, err = p.QuoteBuys(req.QuoteSize, price)
		return price, size, err
	}
	// Sized in base: its worth is known now, at the price the market
	// offers it, and must lie between quote_min_size and quote_max_size
	// (exchange.Product.Dust, the rule the exits sell by, at the price
	// they judge a sale at): the venue checks the order as it arrives,
	// and the slippage after that models where its fill lands, not a
	// price the venue or the bot could know beforehand.
	return price, size, p.CheckBounds(size, ref)
}

// marketFunds rejects a market order of size at price that the available
// funds do not cover.
func (x *Exchange) marketFunds(p exchange.Product, side exchange.Side, price, size decimal.Decimal) error {
	if side == exchange.Buy {
		return x.need(p.QuoteCurrency, price.Mul(size).Mul(x.takerCost))
	}
	return x.need(p.BaseCurrency, size)
}

// execMarket fills the market order o for size at price: whole, or with
// Config.PartialFills what the best quote shows, the rest cancelled.
func (x *Exchange) execMarket(b *book, o *order, price, size decimal.Decimal) {
	if x.partial {
		x.execMarketPartial(b, o, price, size)
		return
	}
	x.fill(b, o, price, size, exchange.Taker)
}

func (x *Exchange) placeLimit(b *book, req exchange.OrderRequest) (*order, error) {
	p := b.product
	limit := b.norm(req.LimitPrice)
	marketable := b.marketable(req.Side, limit)
	if marketable && (req.PostOnly || p.PostOnly) {
		return nil, rejectf(exchange.ReasonPostOnlyWouldCross, "post-only %s limit %s would take liquidity", req.Side, limit)
	}
	cur, amount := x.holdFor(p, req.Side, limit, req.BaseSize)
	if err := x.need(cur, amount); err != nil {
		return nil, err
	}
	o := x.newOrder(req)
	x.putHold(o, cur, amount)
	x.activate(b, o, limit)
	return o, nil
}

func (x *Exchange) placeStop(b *book, req exchange.OrderRequest) (*order, error) {
	p := b.product
	cur, amount := x.holdFor(p, req.Side, req.LimitPrice, req.BaseSize)
	if err := x.need(cur, amount); err != nil {
		return nil, err
	}
	o := x.newOrder(req)
	x.putHold(o, cur, amount)
	x.arm(b, o)
	return o, nil
}

// arm makes a new stop-limit or bracket wait for its trigger; a bracket's
// take-profit leg rests at once (or takes the bid if it can).
func (x *Exchange) arm(b *book, o *order) {
	if o.Type == exchange.Bracket {
		tp := b.norm(o.LimitPrice)
		if b.marketable(exchange.Sell, tp) {
			x.take(b, o, tp)
			if o.Status != exchange.StatusOpen {
				return
			}
			o.taking = true // partly filled: the take-profit works on
		}
		b.addLimit(o, tp)
		b.addStop(o, o.StopPrice, exchange.StopDown)
	} else {
		b.addStop(o, o.StopPrice, o.StopDirection)
	}
	b.watchExpiry(o)
}
