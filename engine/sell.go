package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/strategy"
)

// sell places a strategy's own sell of part of its position (a grid's
// lot): reduce-only, through the exits manager, which keeps the base it
// holds out of the resting stop and watches the stop for the whole
// position (exits.Manager.Sell), and from there through the risk guard
// (as an exit: it only shrinks a position) and the executor, which
// journals it. t is the tick that caused it, nil when none did.
//
// Unlike a buy it is not refused while bars are short of their lookback
// (only while history is fed) or once the daemon stops taking entries: it
// only reduces what is held. The exits manager refuses it once the daemon
// parks.
func (in *Instance) sell(ctx context.Context, t *exchange.Tick, o strategy.Order) (string, error) {
	if in.recovering {
		return "", errRecovering
	}
	if in.warming {
		return "", strategy.ErrNotWarm // history is being fed: nothing may trade on it
	}
	ref := in.lastMark
	if t != nil && t.Kind == exchange.TradeTick {
		ref = t.Price
	}
	req, err := in.orderRequest(exchange.Sell, o)
	if err != nil {
		return "", err
	}
	if req.Type == exchange.Limit {
		ref = req.LimitPrice
	}
	size, err := in.sellSize(o.Size, ref)
	if err != nil {
		return "", err
	}
	req.BaseSize = size
	id, err := in.exec.NextClientOrderID(in.name)
	if err != nil {
		in.log.Error("no client order id; sell skipped", "strategy", in.name, "error", err)
		return "", err
	}
	req.ClientOrderID = id
	reason := o.Reason
	if reason == "" {
		reason = exits.ReasonSignal
	}
	in.working[id] = in.newWorking(req)
	if in.log.Enabled(ctx, slog.LevelInfo) {
		in.log.Info("strategy sell", "strategy", in.name, "product", in.product.ID, "client_order_id", id, "type", req.Type,
			"base_size", req.BaseSize, "limit_price", req.LimitPrice, "reason", reason)
	}
	placed, err := in.exits.Sell(ctx, req, reason)
	if err != nil {
		if exits.Refused(err) {
			in.notPlaced(ctx, id, "strategy sell not placed", err)
		}
		// Otherwise the outcome is unknown: the order stays working
		// until the executor learns what became of it.
		return id, err
	}
	in.acknowledged(id, placed)
	return id, nil
}

// sellSize is a strategy sell's size in base, rounded down to the
// product's increment: the zero Size sells all that is held and not on
// sale already, a quote size becomes base at price ref.
func (in *Instance) sellSize(s strategy.Size, ref decimal.Decimal) (decimal.Decimal, error) {
	switch {
	case !s.Equity.IsZero():
		return decimal.Decimal{}, errors.New("sell size: give base or quote (equity sizes buys only)")
	case !s.Base.IsZero() && !s.Quote.IsZero():
		return decimal.Decimal{}, errors.New("sell size: give one of base or quote")
	case s.Base.IsNegative() || s.Quote.IsNegative():
		return decimal.Decimal{}, fmt.Errorf("sell size must be positive, got %s", decimal.Min(s.Base, s.Quote))
	}
	var size decimal.Decimal
	switch {
	case s.Base.IsPositive():
		size = in.product.RoundSize(s.Base)
	case s.Quote.IsPositive():
		if !ref.IsPositive() {
			return decimal.Decimal{}, errors.New("sell size: no price to turn the quote size into base")
		}
		size = in.product.RoundSize(s.Quote.Div(ref))
	default:
		size = in.exits.Free()
	}
	if !size.IsPositive() {
		return decimal.Decimal{}, errors.New("sell size rounds to zero at the product's increments, or nothing is held that is not on sale")
	}
	return size, nil
}
