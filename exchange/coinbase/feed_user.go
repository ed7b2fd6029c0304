package coinbase

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// userSession handles the user connection. It owns the tracker.
type userSession struct {
	f       *Feed
	tracker orderTracker
}

func newUserSession(f *Feed) *userSession {
	return &userSession{f: f, tracker: newOrderTracker()}
}

func (u *userSession) subscriptions() []subscription {
	return []subscription{{channel: ChannelUser, products: u.f.cfg.UserProducts}}
}

// connected asks for a REST reconciliation on every connection: fills
// made while the socket was down never arrive on it, and orders first
// seen in the opening snapshot yield no fill (see orderTracker.apply).
func (u *userSession) connected(reconnect bool) {
	if u.f.cfg.OnResync == nil {
		return
	}
	if reconnect {
		u.f.cfg.OnResync("reconnect")
	} else {
		u.f.cfg.OnResync("connect")
	}
}

func (u *userSession) handle(raw []byte, c *conn) error {
	var h Header
	if err := json.Unmarshal(raw, &h); err != nil {
		u.malformed("other", err)
		return nil
	}
	if h.Type == "error" {
		u.f.log.Error("coinbase feed error message", "feed", c.name, "message", sanitizeSnippet([]byte(h.Message)))
		return errReconnect{errorReason(h.Message)}
	}
	if h.Channel == "" {
		return nil
	}
	gap, stale := c.sequence(int64(h.SequenceNum))
	if stale {
		return nil
	}
	if gap > 0 && u.f.cfg.OnResync != nil {
		u.f.cfg.OnResync("sequence_gap")
	}
	if h.Channel != ChannelUser {
		return nil
	}
	var msg Message[UserEvent]
	if err := json.Unmarshal(raw, &msg); err != nil {
		u.malformed(ChannelUser, err)
		return nil
	}
	for _, ev := range msg.Events {
		for _, o := range ev.Orders {
			e := u.tracker.apply(o, ev.Type == "snapshot", msg.Timestamp.Time)
			if u.f.cfg.OnOrder != nil {
				u.f.cfg.OnOrder(e)
			}
		}
	}
	return nil
}

func (u *userSession) malformed(channel string, err error) {
	u.f.obs.MalformedMessage("user", channel)
	u.f.log.Warn("coinbase feed skipped a malformed message", "feed", "user", "channel", channel, "err", err)
}

// orderTracker remembers the cumulative state of each live order seen on
// the user channel, to turn the next state into a fill. Terminal orders
// are forgotten. Owned by the user connection's goroutine; it outlives
// reconnections so that fills made while disconnected still show as a
// change.
type orderTracker struct {
	orders map[string]trackedOrder
	// done remembers the most recent terminal orders, so that a repeated
	// final state (a duplicate FILLED update) is not taken for a new
	// order and filled a second time. ring holds them in arrival order
	// for eviction.
	done map[string]struct{}
	ring []string
	next int
}

// maxDoneOrders bounds the memory of terminal orders.
const maxDoneOrders = 4096

func newOrderTracker() orderTracker {
	return orderTracker{orders: map[string]trackedOrder{}, done: map[string]struct{}{}, ring: make([]string, 0, maxDoneOrders)}
}

func (t *orderTracker) finish(id string) {
	delete(t.orders, id)
	if _, ok := t.done[id]; ok {
		return
	}
	if len(t.ring) < maxDoneOrders {
		t.ring = append(t.ring, id)
	} else {
		delete(t.done, t.ring[t.next])
		t.ring[t.next] = id
		t.next = (t.next + 1) % maxDoneOrders
	}
	t.done[id] = struct{}{}
}

type trackedOrder struct {
	cum, value, fees decimal.Decimal
}

// fillPricePrecision is the number of decimal places of a derived fill
// price (filled value change / quantity change).
const fillPricePrecision = 16

// apply turns one order state into an event. An order first seen in a
// snapshot yields no fill: its earlier fills predate this session and
// are known to the engine from REST. An order first seen in an update
// yields a fill for all its cumulative quantity. An order that already
// reached a final state yields no more fills.
func (t *orderTracker) apply(o UserOrder, snapshot bool, at time.Time) exchange.OrderEvent {
	ev := exchange.OrderEvent{Order: userOrderToOrder(o, at)}
	prev, seen := t.orders[o.OrderID]
	cur := trackedOrder{cum: o.CumulativeQuantity.Decimal, value: o.FilledValue.Decimal, fees: o.TotalFees.Decimal}
	if cur.value.IsZero() && cur.cum.IsPositive() {
		cur.value = cur.cum.Mul(o.AvgPrice.Decimal)
	}
	if _, finished := t.done[o.OrderID]; finished {
		return ev
	}
	switch {
	case !seen && snapshot:
	case cur.cum.GreaterThan(prev.cum):
		size := cur.cum.Sub(prev.cum)
		price := cur.value.Sub(prev.value).DivRound(size, fillPricePrecision)
		if !price.IsPositive() {
			price = o.AvgPrice.Decimal
		}
		ev.Fill = &exchange.Fill{
			TradeID: exchange.DerivedTradeID(exchange.UserChannelTradeIDPrefix, o.OrderID, cur.cum),
			OrderID: o.OrderID, ClientOrderID: o.ClientOrderID, ProductID: o.ProductID,
			Side: exchange.Side(o.OrderSide), Price: price, Size: size, Fee: cur.fees.Sub(prev.fees), Time: at,
			Liquidity: userFillLiquidity(ev.Order, seen),
		}
	case cur.cum.LessThan(prev.cum):
		// An older state arriving late: keep the newer one.
		cur = prev
	}
	if ev.Order.Status.Terminal() {
		t.finish(o.OrderID)
	} else {
		t.orders[o.OrderID] = cur
	}
	return ev
}

// userOrderToOrder converts a user-channel order. BaseSize is cumulative
// plus leaves quantity, which is the base size for base-sized orders (for
// quote-sized market buys leaves_quantity is in quote and BaseSize is
// left zero).
func userOrderToOrder(o UserOrder, at time.Time) exchange.Order {
	out := exchange.Order{
		ID: o.OrderID, Status: exchange.OrderStatus(strings.ToUpper(o.Status)),
		FilledSize: o.CumulativeQuantity.Decimal, FilledValue: o.FilledValue.Decimal,
		AverageFilledPrice: o.AvgPrice.Decimal, TotalFees: o.TotalFees.Decimal,
		NumberOfFills: int(o.NumberOfFills),
		CreatedAt:     o.CreationTime.Time, UpdatedAt: at,
		Triggered: o.TriggerStatus == "STOP_TRIGGERED",
	}
	if r := o.RejectReason; r != "" && r != "REJECT_REASON_UNSPECIFIED" {
		out.RejectReason = r
	}
	out.ClientOrderID, out.ProductID, out.Side = o.ClientOrderID, o.ProductID, exchange.Side(strings.ToUpper(o.OrderSide))
	out.Type = normalizeOrderType(o.OrderType)
	if out.Type == "" && o.OrderType != "" && !strings.HasPrefix(strings.ToUpper(o.OrderType), "UNKNOWN") {
		// TWAP, SCALED and other types tradebot cannot express: kept as
		// such, never an order of no type.
		out.Type, out.VenueConfig = exchange.Unsupported, printable(o.OrderType)
	}
	if tif := o.TimeInForce; tif != "" && !strings.HasPrefix(tif, "UNKNOWN") {
		out.TimeInForce = exchange.TimeInForce(tif)
	}
	out.LimitPrice, out.StopPrice, out.PostOnly = o.LimitPrice.Decimal, o.StopPrice.Decimal, bool(o.PostOnly)
	out.EndTime = o.EndTime.Time
	if out.EndTime.Year() <= 1 {
		out.EndTime = time.Time{}
	}
	if !(out.Type == exchange.Market && out.Side == exchange.Buy && o.LeavesQuantity.IsPositive() && o.CumulativeQuantity.IsZero()) {
		out.BaseSize = o.CumulativeQuantity.Add(o.LeavesQuantity.Decimal)
	}
	return out
}

// userFillLiquidity infers whether a user-channel fill made or took
// liquidity: the user channel carries no liquidity indicator (REST fills
// do), and an empty one would reach logs and the fills_total metric's
// label. Market, IOC and FOK orders and triggered stops take; a post-only
// order makes; a limit order that fills in an update after it was first
// seen resting made liquidity, while one that fills in the first update
// seen crossed the book on arrival and took it.
func userFillLiquidity(o exchange.Order, seenBefore bool) exchange.Liquidity {
	switch {
	case o.Type == exchange.Market, o.TimeInForce == exchange.ImmediateOrCancel, o.TimeInForce == exchange.FillOrKill, o.Triggered:
		return exchange.Taker
	case o.PostOnly, seenBefore:
		return exchange.Maker
	}
	return exchange.Taker
}
