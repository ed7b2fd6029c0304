package exits

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/position"
)

// State is everything a Manager needs after a restart: the position, the
// stop and the rules that raised it, the take-profit levels done and the
// exit orders it has on the venue. The journal stores it as JSON after
// every change (State is plain data; every field marshals).
//
// The ATR, the marks and the feed's freshness are not kept: they are
// rebuilt from ticks, and until the ATR has a bar again the stop stays
// where State left it, since it only ever rises.
type State struct {
	Position position.Position `json:"position"`
	// Stop is the protective stop, rounded with Product.RoundStop; zero
	// when flat. StopReason is the rule that set it (stop_loss,
	// trailing_stop or break_even), which becomes the exit reason.
	Stop       decimal.Decimal `json:"stop"`
	StopReason string          `json:"stop_reason"`
	// TrailActive and TrailHigh are the trailing stop's activation and
	// the best trigger price seen since.
	TrailActive bool            `json:"trail_active"`
	TrailHigh   decimal.Decimal `json:"trail_high"`
	// BreakEvenArmed is set once break-even's condition has been met.
	BreakEvenArmed bool `json:"break_even_armed"`
	// TakeProfitsDone counts the take-profit levels that have filled (or
	// were skipped as dust), in order.
	TakeProfitsDone int `json:"take_profits_done"`
	// EntrySize is the largest size of the position in this round trip:
	// take_profit close fractions are of it.
	EntrySize decimal.Decimal `json:"entry_size"`
	// Resting is the one exit order resting on the venue, if any.
	Resting *RestingOrder `json:"resting,omitempty"`
	// Cancelling are exit orders cancelled but not yet confirmed gone;
	// their fills are still booked.
	Cancelling []RestingOrder `json:"cancelling,omitempty"`
	// Market is the market sell working now, if any.
	Market *MarketExit `json:"market,omitempty"`
	// LastMove is when the resting stop was last placed or moved.
	LastMove time.Time `json:"last_move"`
	// AwaitAttached: an entry with attached TP/SL filled and the venue's
	// bracket has not been seen yet; the bot watches meanwhile.
	AwaitAttached bool `json:"await_attached,omitempty"`
	// StaleFallback: the feed went stale under bot placement and the stop
	// rests on the venue until ticks come back.
	StaleFallback bool `json:"stale_fallback,omitempty"`
	// NeedSync: the resting order does not match what the position needs
	// (a refused or unanswered request); the next tick tries again.
	NeedSync bool `json:"need_sync,omitempty"`
	// PendingClose is the reason of a full exit asked for while a partial
	// one was working; it is sent when that one ends.
	PendingClose string `json:"pending_close,omitempty"`
	// SoldAhead are exit fills, or parts of them, that sold more than the
	// position held when they were booked: the buy they sold was not
	// booked yet (an attached bracket's fill delivered before its entry's,
	// whose events were lost with a socket and come later by REST). Each
	// is applied, in order, as soon as a buy gives the position the base.
	SoldAhead []SoldAhead `json:"sold_ahead,omitempty"`
	// Sells are the strategy's own sells (Manager.Sell) not yet ended on
	// the venue; the base they hold is not the resting exit's to cover.
	Sells []StrategySell `json:"sells,omitempty"`
}

// SoldAhead is an exit fill waiting for the buy it sold.
type SoldAhead struct {
	Fill   exchange.Fill `json:"fill"`
	Reason string        `json:"reason"`
}

// RestingOrder is a stop-limit or bracket SELL that protects the position.
type RestingOrder struct {
	ClientOrderID string             `json:"client_order_id"`
	OrderID       string             `json:"order_id"` // empty while the placement's outcome is unknown
	Type          exchange.OrderType `json:"type"`
	// Size is the order's base size and Filled what of it has filled.
	Size   decimal.Decimal `json:"size"`
	Filled decimal.Decimal `json:"filled"`
	// Stop is the trigger; Limit the stop-limit's limit or the bracket's
	// take-profit; TriggerLimit the limit the order works at once the stop
	// has triggered (a bracket's is 5 % below its stop, Coinbase's rule).
	Stop         decimal.Decimal `json:"stop"`
	Limit        decimal.Decimal `json:"limit"`
	TriggerLimit decimal.Decimal `json:"trigger_limit"`
	// Reason is the exit reason if the stop leg fills.
	Reason    string `json:"reason"`
	Triggered bool   `json:"triggered"`
	// CancelUnsent marks an order in Cancelling whose cancel has not
	// reached the venue yet (its id was unknown, or the cancel failed):
	// a resting exit of an earlier round trip, retired when a new one
	// began. It is cancelled as soon as its venue id is known.
	CancelUnsent bool `json:"cancel_unsent,omitempty"`
	// OverAt is when an order in Cancelling was found already ended on
	// the venue (asked about again under its id) while its events were
	// not booked yet. New exit orders wait for those events, which may
	// change what is held, for at most overWait.
	OverAt time.Time `json:"over_at,omitzero"`
	// Queued: the venue accepted the order but has not put it on the
	// book (Coinbase's QUEUED): it does not protect yet, so the bot
	// watches the stop meanwhile, and it is not moved or resized until
	// it rests.
	Queued bool `json:"queued,omitempty"`
	// EditQueued holds the terms of an edit the venue accepted but has
	// not applied (EDIT_QUEUED): the order protects on its old terms
	// meanwhile and takes these when an update shows them. Never changed
	// in place (State copies share it).
	EditQueued *QueuedEdit `json:"edit_queued,omitempty"`
}

// QueuedEdit is the new size, prices and reason of an accepted edit the
// venue has not applied yet.
type QueuedEdit struct {
	Size         decimal.Decimal `json:"size"`
	Stop         decimal.Decimal `json:"stop"`
	Limit        decimal.Decimal `json:"limit"`
	TriggerLimit decimal.Decimal `json:"trigger_limit"`
	Reason       string          `json:"reason"`
	// TakeProfit: the edit shrinks the order so that take-profit Level
	// can be sold (the order holds all the base); that sale goes once the
	// edit applies.
	TakeProfit bool `json:"take_profit,omitempty"`
	Level      int  `json:"level,omitempty"`
}

// waiting reports whether the venue has yet to place the order or apply
// its edit: until then it is left as it is.
func (r *RestingOrder) waiting() bool { return r.Queued || r.EditQueued != nil }

// noteVenue takes what an update of the order says about its queued
// states: QUEUED while the venue has not placed it; an edit in waiting
// applied (the order shows its terms) or dropped once the order is no
// longer EDIT_QUEUED. It returns the edit when it was applied.
func (r *RestingOrder) noteVenue(o exchange.Order) *QueuedEdit {
	r.Queued = o.Status == exchange.StatusQueued
	e := r.EditQueued
	if e == nil || o.Status == exchange.StatusEditQueued {
		return nil
	}
	r.EditQueued = nil
	if o.Status.Terminal() || !o.BaseSize.Equal(e.Size) || !o.StopPrice.Equal(e.Stop) || !o.LimitPrice.Equal(e.Limit) {
		return nil // dropped: the order kept its old terms
	}
	r.Size, r.Stop, r.Limit, r.TriggerLimit, r.Reason = e.Size, e.Stop, e.Limit, e.TriggerLimit, e.Reason
	return e
}

// remaining is the size still to sell.
func (r *RestingOrder) remaining() decimal.Decimal { return r.Size.Sub(r.Filled) }

// MarketExit is a market IOC sell the Manager has sent or is sending.
type MarketExit struct {
	ClientOrderID string          `json:"client_order_id"`
	OrderID       string          `json:"order_id"`
	Size          decimal.Decimal `json:"size"`
	Reason        string          `json:"reason"`
	// Level is the take-profit level it completes, or -1.
	Level int `json:"level"`
	// Full: it sells everything held; whatever is still held when it ends
	// (an entry filled meanwhile) is sold next, for the same reason.
	Full bool `json:"full"`
	// Unsent: no venue has answered yet (an error, or waiting for a
	// cancel to free the base); it is sent again under the same id.
	Unsent bool `json:"unsent"`
}

// State returns a copy of everything that must survive a restart.
func (m *Manager) State() State {
	s := m.s
	if s.Resting != nil {
		r := *s.Resting
		s.Resting = &r
	}
	if s.Market != nil {
		mk := *s.Market
		s.Market = &mk
	}
	s.Cancelling = append([]RestingOrder(nil), s.Cancelling...)
	s.SoldAhead = append([]SoldAhead(nil), s.SoldAhead...)
	s.Sells = append([]StrategySell(nil), s.Sells...)
	return s
}

// Restore replaces the Manager's state with s, as saved by State before a
// restart, and recomputes the exit levels from its position. Protection
// is re-armed by Rearm, or at the latest by the next tick or heartbeat:
// orders whose outcome was unknown are resent under the same client order
// ids and what is missing is placed. The engine should feed the venue's
// current view of the listed orders through OnOrderEvent before Rearm, so
// that fills missed while down are booked first.
func (m *Manager) Restore(s State) {
	m.s = s
	if s.Resting != nil {
		r := *s.Resting
		m.s.Resting = &r
	}
	if s.Market != nil {
		mk := *s.Market
		m.s.Market = &mk
	}
	m.s.Cancelling = append([]RestingOrder(nil), s.Cancelling...)
	m.s.SoldAhead = append([]SoldAhead(nil), s.SoldAhead...)
	m.s.Sells = append([]StrategySell(nil), s.Sells...)
	m.s.Position.Strategy, m.s.Position.ProductID = m.d.Strategy, m.d.Product.ID
	m.sanitize()
	if m.open() {
		m.computeLevels(m.s.Position.AvgEntry)
		m.s.NeedSync = true
	}
}

// sanitize keeps a restored state inside the bounds the Manager relies
// on, so that a damaged journal entry degrades to "re-arm from the
// position" instead of a panic.
func (m *Manager) sanitize() {
	s := &m.s
	if s.Position.Size.IsNegative() {
		m.d.Log.Error("restored position size is negative; treating it as flat", "strategy", m.d.Strategy, "size", s.Position.Size)
		s.Position = position.Position{Strategy: m.d.Strategy, ProductID: m.d.Product.ID, RealizedPnL: s.Position.RealizedPnL, Fees: s.Position.Fees}
	}
	s.TakeProfitsDone = min(max(s.TakeProfitsDone, 0), len(m.cfg.TakeProfit))
	if r := s.Resting; r != nil && r.Type != exchange.StopLimit && r.Type != exchange.Bracket {
		m.d.Log.Error("restored resting exit has an unknown type; placing protection again", "strategy", m.d.Strategy, "type", r.Type)
		s.Resting = nil
	}
	if mk := s.Market; mk != nil && (mk.Level < -1 || mk.Level >= len(m.cfg.TakeProfit)) {
		mk.Level = -1
	}
	if s.Stop.IsNegative() {
		s.Stop = decimal.Zero
	}
}
