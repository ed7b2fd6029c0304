package backtest

import (
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/indicator"
	"github.com/tradebot/tradebot/internal/fastdecimal"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// Bar is one OHLC bar of a product's trades, for the report's price chart.
type Bar struct {
	Time                   time.Time
	Open, High, Low, Close float64
}

// PriceBars are the bars of one traded product at the finest resolution
// the recorder could keep: the candle interval for candle data, one
// second for trades, coarser when the data had more than maxBars of those.
type PriceBars struct {
	Product string
	Step    time.Duration
	Bars    []Bar
	// Plots are the indicators the product's strategies draw
	// (indicator.Plotter), one value per bar: the value at the bar's
	// end, NaN while the indicator was not ready.
	Plots []PlotSeries
}

// PlotSeries is one indicator line of a price chart.
type PlotSeries struct {
	Name    string
	Overlay bool
	Values  []float64
}

// RiskChange is one change of the risk guard's trading state.
type RiskChange struct {
	Time     time.Time `json:"time"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Rule     string    `json:"rule"`
	Reason   string    `json:"reason"`
	Duration string    `json:"duration"` // until the next change or the end of the data
}

// barSteps are the resolutions a recorder may use, finest first.
var barSteps = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second, time.Minute,
	5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour}

// maxBars bounds the bars kept per product (about 2 MB): past it the
// recorder merges its bars into the next coarser step, so a run's memory
// does not grow with the length of the data.
const maxBars = 1 << 16

// barRecorder builds the bars of one product from its trade ticks, and
// samples the indicators drawn on them at the end of each bar.
type barRecorder struct {
	step   int // index into barSteps
	stepNs int64
	bars   []Bar
	end    int64 // Unix ns at which the last bar closes
	plots  []plotTrack
}

// plotTrack is an indicator a strategy draws and its value per bar.
type plotTrack struct {
	name string
	plot indicator.Plot
	vals []float64
}

// sample sets the plots' values of the last bar: called when the first
// trade of the next bar arrives, before the strategies see it, and at the
// end of the data.
func (r *barRecorder) sample() {
	n := len(r.bars)
	if n == 0 {
		return
	}
	for i := range r.plots {
		if v, ok := r.plots[i].plot.Value(); ok {
			r.plots[i].vals[n-1] = v
		}
	}
}

func newBarRecorder() *barRecorder {
	return &barRecorder{stepNs: int64(barSteps[0]), bars: make([]Bar, 0, 1024)}
}

func (r *barRecorder) trade(t time.Time, price float64) {
	ns := t.UnixNano()
	if n := len(r.bars); n > 0 && ns < r.end {
		b := &r.bars[n-1]
		b.High = max(b.High, price)
		b.Low = min(b.Low, price)
		b.Close = price
		return
	}
	if r.plots != nil {
		r.sample()
	}
	if len(r.bars) == maxBars && r.step < len(barSteps)-1 {
		r.coarsen(r.step + 1)
	}
	start := ns - ns%r.stepNs
	r.bars = append(r.bars, Bar{Time: time.Unix(0, start).UTC(), Open: price, High: price, Low: price, Close: price})
	for i := range r.plots {
		r.plots[i].vals = append(r.plots[i].vals, math.NaN())
	}
	r.end = start + r.stepNs
}

// coarsen merges the bars into barSteps[to], in place.
func (r *barRecorder) coarsen(to int) {
	r.step, r.stepNs = to, int64(barSteps[to])
	r.mergePlots(barSteps[to])
	r.bars = mergeBars(r.bars, barSteps[to])
	if n := len(r.bars); n > 0 {
		r.end = r.bars[n-1].Time.UnixNano() + r.stepNs
	}
}

// mergePlots merges the plots' values as mergeBars will merge the bars
// into step.
func (r *barRecorder) mergePlots(step time.Duration) {
	vals := make([][]float64, len(r.plots))
	for k := range r.plots {
		vals[k] = r.plots[k].vals
	}
	mergeValues(r.bars, step, vals)
	for k := range r.plots {
		r.plots[k].vals = vals[k]
	}
}

// mergeValues merges values kept per bar of bs as mergeBars merges bs
// into step, in place (vals[k] is shortened): a merged bar keeps the
// value at the end of its last bar.
func mergeValues(bs []Bar, step time.Duration, vals [][]float64) {
	if len(vals) == 0 {
		return
	}
	j := -1
	var last time.Time
	for i, b := range bs {
		if start := b.Time.Truncate(step); j < 0 || !start.Equal(last) {
			j++
			last = start
		}
		for k := range vals {
			vals[k][j] = vals[k][i]
		}
	}
	for k := range vals {
		vals[k] = vals[k][:j+1]
	}
}

// mergeBars merges time-ordered bars into bars of step, reusing bs.
func mergeBars(bs []Bar, step time.Duration) []Bar {
	out := bs[:0]
	for _, b := range bs {
		start := b.Time.Truncate(step)
		if n := len(out); n > 0 && out[n-1].Time.Equal(start) {
			o := &out[n-1]
			o.High = max(o.High, b.High)
			o.Low = min(o.Low, b.Low)
			o.Close = b.Close
			continue
		}
		b.Time = start
		out = append(out, b)
	}
	return out
}

// recorder collects during a run what the report draws besides the
// equity curve: the bars of each strategy's product and the risk guard's
// state changes. Run's goroutine owns it.
type recorder struct {
	products map[string]*barRecorder
	order    []string
	lastID   string
	last     *barRecorder
	risk     []RiskChange
	clock    func() time.Time
}

func newRecorder(products []string, now func() time.Time) *recorder {
	r := &recorder{products: map[string]*barRecorder{}, clock: now}
	for _, p := range products {
		if r.products[p] == nil {
			r.products[p] = newBarRecorder()
			r.order = append(r.order, p)
		}
	}
	return r
}

// plot adds the indicators a strategy of product draws, named
// "strategy: name" when the run has several strategies.
func (r *recorder) plot(product, strategyName string, several bool, plots []indicator.Plot) {
	br := r.products[product]
	if br == nil {
		return
	}
	for _, p := range plots {
		name := p.Name
		if several {
			name = strategyName + ": " + name
		}
		vals := make([]float64, len(br.bars), cap(br.bars))
		for i := range vals {
			vals[i] = math.NaN()
		}
		br.plots = append(br.plots, plotTrack{name: name, plot: p, vals: vals})
	}
}

// tick records a trade of a traded product.
func (r *recorder) tick(t *exchange.Tick) {
	if t.Kind != exchange.TradeTick {
		return
	}
	if t.ProductID != r.lastID {
		r.lastID, r.last = t.ProductID, r.products[t.ProductID]
	}
	if r.last != nil {
		r.last.trade(t.Time, priceFloat(t.Price))
	}
}

// riskChanged is the guard's OnStateChange listener; the guard runs on
// the backtest's clock, so the time is market time.
func (r *recorder) riskChanged(from, to risk.State, rule, reason string) {
	r.risk = append(r.risk, RiskChange{Time: r.clock().UTC(), From: from.String(), To: to.String(), Rule: rule, Reason: reason})
}

// finish returns the bars, merged up to each file's candle interval, and
// the risk changes with their durations up to end.
func (r *recorder) finish(files []FileInfo, end time.Time) ([]PriceBars, []RiskChange) {
	var interval time.Duration
	for _, f := range files {
		if d, err := time.ParseDuration(f.Interval); err == nil && d > interval {
			interval = d
		}
	}
	out := make([]PriceBars, 0, len(r.order))
	for _, p := range r.order {
		br := r.products[p]
		br.sample()
		step := barSteps[br.step]
		if interval > step {
			br.mergePlots(interval)
			br.bars, step = mergeBars(br.bars, interval), interval
		}
		pb := PriceBars{Product: p, Step: step, Bars: br.bars}
		for _, t := range br.plots {
			pb.Plots = append(pb.Plots, PlotSeries{Name: t.name, Overlay: t.plot.Overlay, Values: t.vals})
		}
		out = append(out, pb)
	}
	for i := range r.risk {
		until := end
		if i+1 < len(r.risk) {
			until = r.risk[i+1].Time
		}
		r.risk[i].Duration = fmtSpan(until.Sub(r.risk[i].Time))
	}
	return out, r.risk
}

// pow10 are the powers of ten a float conversion divides by.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// priceFloat is d.InexactFloat64 without its big-number path for the
// prices of a data file (a coefficient and a small exponent): it runs on
// every trade of a run.
func priceFloat(d decimal.Decimal) float64 {
	if c, ok := fastdecimal.CoefficientInt64(d); ok {
		switch e := d.Exponent(); {
		case e <= 0 && e >= -18:
			return float64(c) / pow10[-e]
		case e > 0 && e <= 18:
			return float64(c) * pow10[e]
		}
	}
	return d.InexactFloat64()
}

// strategyProducts are the products of cfg's strategies, in config order.
func strategyProducts(cfg *config.Config) []string {
	out := make([]string, 0, len(cfg.Strategies))
	for _, s := range cfg.Strategies {
		out = append(out, s.Product)
	}
	return out
}

// plotStrategies adds the indicators of every instance whose strategy is
// an indicator.Plotter to the recorder.
func (r *recorder) plotStrategies(cfg *config.Config, instances []*engine.Instance) {
	products := map[string]string{}
	for _, s := range cfg.Strategies {
		products[s.Name] = s.Product
	}
	for _, in := range instances {
		s := in.Strategy()
		if sg, ok := s.(*strategy.Signals); ok {
			s = sg.S
		}
		if p, ok := s.(indicator.Plotter); ok {
			r.plot(products[in.Name()], in.Name(), len(instances) > 1, p.Plots())
		}
	}
}
