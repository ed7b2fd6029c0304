package strategy_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/indicator"
	"github.com/tradebot/tradebot/strategy"
)

// DipBuyer rests a post-only limit buy 0.5 % under the close when a bar
// closes 2 % under its 20-bar average, sized at a tenth of equity, and
// cancels it if the next bar closes without a fill. The instance's exits
// protect what it buys. (docs/STRATEGIES.md walks through it.)
type DipBuyer struct {
	p       DipBuyerParams
	avg     *indicator.SMA
	working string // client order id of the resting buy
}

// DipBuyerParams are DipBuyer's `params:`.
type DipBuyerParams struct {
	Period   int           `yaml:"period" doc:"bars of the average"`
	Dip      float64       `yaml:"dip" doc:"percent under the average that buys"`
	Interval time.Duration `yaml:"interval" doc:"bar length"`
}

// Validate implements strategy.Params.
func (p *DipBuyerParams) Validate() []error {
	if p.Period < 1 {
		return []error{fmt.Errorf("period: must be at least 1, got %d", p.Period)}
	}
	return nil
}

// Build implements strategy.Params.
func (p *DipBuyerParams) Build() (strategy.Strategy, error) {
	return &DipBuyer{p: *p, avg: indicator.NewSMA(p.Period)}, nil
}

// Needs implements strategy.Setup: bars of the instance's product, and
// as many as the average needs before the first decision.
func (s *DipBuyer) Needs(n *strategy.Needs) {
	n.Bars("", s.p.Interval, s.avg.Lookback())
}

// OnBar implements strategy.BarHandler.
func (s *DipBuyer) OnBar(ctx strategy.Context, b *strategy.Bar) {
	s.avg.Update(b.Candle())
	if s.working != "" {
		_ = ctx.Cancel(s.working) // not filled within a bar
		return
	}
	if !s.avg.Ready() || ctx.Position().Open() || b.CloseF > s.avg.Value()*(1-s.p.Dip/100) {
		return
	}
	price := b.Close.Mul(decimal.RequireFromString("0.995"))
	id, err := ctx.Buy(strategy.Order{Type: strategy.Limit, Price: price, PostOnly: true,
		Size: strategy.Size{Equity: decimal.RequireFromString("0.1")}, Reason: "dip under the average"})
	if err == nil {
		s.working = id
	}
}

// OnOrder implements strategy.OrderHandler.
func (s *DipBuyer) OnOrder(ctx strategy.Context, e strategy.OrderEvent) {
	switch e.Kind {
	case strategy.Filled, strategy.Cancelled, strategy.Refused:
		if e.ClientOrderID == s.working {
			s.working = ""
		}
		if e.Kind == strategy.Refused {
			ctx.Log().Warn("buy refused", "reason", e.Reason)
		}
	}
}

// Example registers DipBuyer as `type: dip_buyer` (a program does this
// in an init function), then shows its parameters as
// `tradebot strategies` lists them.
func Example() {
	strategy.Register(strategy.Type{
		Name:    "dip_buyer",
		Summary: "rest a limit buy under the close when a bar closes under its average",
		NewParams: func() strategy.Params {
			return &DipBuyerParams{Period: 20, Dip: 2, Interval: time.Hour}
		},
	})
	t, _ := strategy.Lookup("dip_buyer")
	for _, p := range t.Describe() {
		fmt.Println(p.Key, p.Default, "-", p.Doc)
	}
	// Output:
	// period 20 - bars of the average
	// dip 2 - percent under the average that buys
	// interval 1h - bar length
}
