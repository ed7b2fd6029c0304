package main

import (
	"fmt"
	"time"

	"github.com/tradebot/tradebot/indicator"
	"github.com/tradebot/tradebot/strategy"
)

// init registers the type under the name a config's `type:` says, with
// its defaults, before main runs (and before this package's tests).
func init() {
	strategy.Register(strategy.Type{
		Name:    "momentum",
		Summary: "buy when the close rose more than threshold percent over period bars above its trend EMA; sell when the rise turns into a fall",
		NewParams: func() strategy.Params {
			return &MomentumParams{Period: 10, Trend: 50, Threshold: 1, Interval: 15 * time.Minute}
		},
	})
}

// MomentumParams are momentum's `params:`. The yaml tags are the keys a
// config may write (any other key is an error); the doc tags are what
// `mystrategy strategies` prints beside each key and its default.
type MomentumParams struct {
	Period    int           `yaml:"period" doc:"bars over which the rise of the close is measured"`
	Trend     int           `yaml:"trend" doc:"bars of the EMA the close must be above to buy"`
	Threshold float64       `yaml:"threshold" doc:"rise of the close over period bars, in percent, that buys"`
	Interval  time.Duration `yaml:"interval" doc:"bar length"`
}

// Validate implements strategy.Params: it lists every mistake, each
// starting with its key, and `check` prints them with the config's line.
// Each test is written so that a NaN (YAML's .nan) fails it too: every
// comparison with NaN is false, so `x <= 0` would let one through.
func (p *MomentumParams) Validate() []error {
	var errs []error
	if p.Period < 1 {
		errs = append(errs, fmt.Errorf("period: must be at least 1, got %d", p.Period))
	}
	if p.Trend < 1 {
		errs = append(errs, fmt.Errorf("trend: must be at least 1, got %d", p.Trend))
	}
	if !(p.Threshold > 0) {
		errs = append(errs, fmt.Errorf("threshold: must be above 0, got %g", p.Threshold))
	}
	if p.Interval < time.Second {
		errs = append(errs, fmt.Errorf("interval: must be at least 1s, got %s", p.Interval))
	}
	return errs
}

// Build implements strategy.Params: one new strategy per instance. It
// validates again, as the catalog's types do, since a program of one's
// own (a test, a search over parameters) may build params it never
// loaded from a config.
func (p *MomentumParams) Build() (strategy.Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	return &Momentum{p: *p, roc: indicator.NewROC(p.Period), trend: indicator.NewEMA(p.Trend)}, nil
}

// Momentum buys (the instance's size, at market) when the close has risen
// more than Threshold percent over the last Period bars while above its
// Trend-bar EMA, and sells everything when the rise has turned into a
// fall. The instance's exits protect what it holds meanwhile.
type Momentum struct {
	p     MomentumParams
	roc   *indicator.ROC
	trend *indicator.EMA
}

// Needs implements strategy.Setup: bars of the instance's product, and as
// many as the slower indicator needs, which is the warm-up fetched from
// history (live) or read before --from (backtest).
func (s *Momentum) Needs(n *strategy.Needs) {
	n.Bars("", s.p.Interval, max(s.roc.Lookback(), s.trend.Lookback()))
}

// OnBar implements strategy.BarHandler: each closed bar updates the
// indicators, then decides.
func (s *Momentum) OnBar(ctx strategy.Context, b *strategy.Bar) {
	c := b.Candle()
	s.roc.Update(c)
	s.trend.Update(c)
	pos := ctx.Position()
	if !s.roc.Ready() || !s.trend.Ready() || pos.Pending {
		return
	}
	switch {
	case !pos.Open() && s.roc.Value() > s.p.Threshold && b.CloseF > s.trend.Value():
		if _, err := ctx.Buy(strategy.Order{Reason: fmt.Sprintf("up %.2f %% in %d bars", s.roc.Value(), s.p.Period)}); err != nil {
			ctx.Log().Info("buy not placed", "reason", err)
		}
	case pos.Open() && s.roc.Value() < 0:
		if err := ctx.Close("momentum lost"); err != nil {
			ctx.Log().Info("sell not placed", "reason", err)
		}
	}
}
