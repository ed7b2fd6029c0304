package strategy

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

func init() {
	Register(Type{
		Name:    "dca",
		Summary: "buy on a schedule, rest safety buys under the average entry on dips, sell all at a take-profit over the average entry",
		NewParams: func() Params {
			return &DCAParams{Every: 24 * time.Hour, OrderQuote: decimal.NewFromInt(100), SafetyOrders: 3, SafetyStepPercent: 2,
				SafetyScale: 1.5, TakeProfitPercent: 1.5}
		},
	})
}

// DCAParams configures dca.
type DCAParams struct {
	Every             time.Duration   `yaml:"every" doc:"time between scheduled buys (market time in a backtest)"`
	OrderQuote        decimal.Decimal `yaml:"order_quote" doc:"quote spent by each scheduled buy"`
	SafetyOrders      int             `yaml:"safety_orders" doc:"safety buys per cycle at most; 0 for none"`
	SafetyStepPercent float64         `yaml:"safety_step_percent" doc:"percent under the average entry where the next safety buy rests"`
	SafetyScale       float64         `yaml:"safety_scale" doc:"each safety buy spends this times the one before (the first: order_quote)"`
	TakeProfitPercent float64         `yaml:"take_profit_percent" doc:"percent over the average entry where a trade sells the whole position"`
}

// Validate implements Params.
func (p *DCAParams) Validate() []error {
	var errs []error
	if p.Every < time.Minute {
		errs = append(errs, fmt.Errorf("every: must be at least 1m, got %s", p.Every))
	}
	if p.OrderQuote.LessThan(decimal.NewFromInt(1)) {
		errs = append(errs, fmt.Errorf("order_quote: must be at least 1, got %s", p.OrderQuote))
	}
	errs = atLeast(errs, "safety_orders", float64(p.SafetyOrders), 0)
	if p.SafetyOrders > 0 {
		errs = atLeast(errs, "safety_step_percent", p.SafetyStepPercent, 0.1)
		errs = atLeast(errs, "safety_scale", p.SafetyScale, 1)
	}
	return atLeast(errs, "take_profit_percent", p.TakeProfitPercent, 0.1)
}

// Build implements Params.
func (p *DCAParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	one, pct := decimal.NewFromInt(1), func(f float64) decimal.Decimal {
		return decimal.NewFromFloat(f).Div(decimal.NewFromInt(100))
	}
	return &DCA{p: *p, tp: one.Add(pct(p.TakeProfitPercent)), step: one.Sub(pct(p.SafetyStepPercent)),
		scale: decimal.NewFromFloat(p.SafetyScale)}, nil
}

// DCA is dollar-cost averaging with safety orders: a market buy of
// order_quote every period; while a position is open, one limit buy rests
// safety_step_percent under its average entry (each larger by
// safety_scale, up to safety_orders per cycle); a trade at
// take_profit_percent over the average entry sells the whole position
// and starts a new cycle. The instance's exits protect the position as a
// whole (a stop under the average entry, for example).
type DCA struct {
	p DCAParams
	// tp, step and scale are the take-profit's and the safety buy's
	// factors of the average entry and the safety buys' growth, decimal
	// so that no float64 reaches an order's price or size.
	tp, step, scale decimal.Decimal
	// safety is the resting safety buy's client order id, used the
	// safety buys of this cycle that filled, replacing set while the
	// resting one is cancelled to rest under a new average, closing once
	// the sale is asked for.
	safety    string
	used      int
	replacing bool
	closing   bool
}

// Needs implements Setup: the product's trades (for the take-profit)
// and the schedule.
func (s *DCA) Needs(n *Needs) {
	n.Trades("")
	n.Every(s.p.Every)
}

// OnTimer implements TimerHandler: the scheduled buy.
func (s *DCA) OnTimer(ctx Context, _ time.Time) {
	if s.closing {
		return
	}
	_, _ = ctx.Buy(Order{Type: Market, Size: Size{Quote: s.p.OrderQuote}, Reason: "dca: scheduled buy"})
}

// OnTrade implements TradeHandler: the take-profit.
func (s *DCA) OnTrade(ctx Context, t *Tick) {
	pos := ctx.Position()
	if !pos.Open() {
		if s.closing {
			s.closing, s.used = false, 0 // sold: a new cycle
		}
		return
	}
	if s.closing || t.Price.LessThan(pos.AvgEntry.Mul(s.tp)) {
		return
	}
	s.closing = true
	if s.safety != "" {
		_ = ctx.Cancel(s.safety)
	}
	_ = ctx.Close("take_profit")
}

// OnOrder implements OrderHandler: after a fill, the next safety buy
// rests under the new average entry.
func (s *DCA) OnOrder(ctx Context, e OrderEvent) {
	ours := e.ClientOrderID == s.safety && s.safety != ""
	switch e.Kind {
	case Filled:
		if ours {
			s.safety = ""
			s.used++
		}
		if !s.closing {
			s.rest(ctx)
		}
	case Cancelled, Refused:
		if ours {
			s.safety = ""
			if s.replacing && !s.closing {
				s.replacing = false
				s.rest(ctx)
			}
		}
	}
}

// rest places the next safety buy under the average entry, or cancels
// the resting one first (its cancellation brings rest back).
func (s *DCA) rest(ctx Context) {
	pos := ctx.Position()
	if s.used >= s.p.SafetyOrders || !pos.Open() {
		return
	}
	if s.safety != "" {
		s.replacing = true
		_ = ctx.Cancel(s.safety)
		return
	}
	quote := s.p.OrderQuote
	for range s.used + 1 {
		quote = quote.Mul(s.scale)
	}
	id, err := ctx.Buy(Order{Type: Limit, Price: pos.AvgEntry.Mul(s.step), Size: Size{Quote: quote},
		Reason: fmt.Sprintf("dca: safety buy %d", s.used+1)})
	if err == nil {
		s.safety = id
	}
}
