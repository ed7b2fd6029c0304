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
	// Detail, when the data outgrew Bars' resolution, are bars at the
	// data's own resolution (DetailStep) around the product's fills, in
	// time order with gaps between the stretches; nil when Bars are at
	// that resolution.
	Detail     []Bar
	DetailStep time.Duration
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
	// Detail holds the values at the end of each bar of PriceBars.Detail.
	Detail []float64
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
// samples the indicators drawn on them at the end of each bar. Its bars
// cover the whole period and coarsen as the data grows; beside them it
// keeps fine bars (at the step the bars started at, merged to the data's
// interval at the end) around the product's fills, for the report's view
// of each trade. Until the bars first coarsen they are the fine bars
// themselves, so the fine bars are built only from then on (fineBars.mirror).
type barRecorder struct {
	step   int // index into barSteps
	stepNs int64
	bars   []bar
	end    int64 // Unix ns at which the last bar closes
	plots  []plotTrack
	fine   fineBars
}

// bar is a Bar as the recorder keeps it during a run, its start in Unix
// nanoseconds: a slice of them holds no pointer, so the collector does
// not scan the recorder's megabytes and appending them needs no write
// barrier (a time.Time holds its zone's pointer). finish makes the Bars.
type bar struct {
	start                  int64
	open, high, low, close float64
}

// newBar is the bar of step ns starting at the trade at ns.
func newBar(ns, step int64, price float64) bar {
	return bar{start: floorNs(ns, step), open: price, high: price, low: price, close: price}
}

// add merges a trade at price into the bar.
func (b *bar) add(price float64) {
	b.high = max(b.high, price)
	b.low = min(b.low, price)
	b.close = price
}

// export is the Bar of b, in UTC as time.Unix(0, start).UTC().
func (b bar) export() Bar {
	return Bar{Time: time.Unix(0, b.start).UTC(), Open: b.open, High: b.high, Low: b.low, Close: b.close}
}

// exportBars are the Bars of bs.
func exportBars(bs []bar) []Bar {
	out := make([]Bar, len(bs))
	for i, b := range bs {
		out[i] = b.export()
	}
	return out
}

// floorNs is the start of the step (ns) that Unix ns falls in. For the
// steps of barSteps and candle intervals, which divide a day, it is
// time.Unix(0, ns).Truncate(step): year 1, which Truncate counts from,
// is a whole number of days before 1970.
func floorNs(ns, step int64) int64 {
	r := ns % step
	if r < 0 {
		r += step
	}
	return ns - r
}

// plotTrack is an indicator a strategy draws and its value per bar.
type plotTrack struct {
	name string
	plot indicator.Plot
	vals []float64
}

// Bounds of the fine bars kept around fills, counted in one-second bars,
// which tick data and candle data of unknown interval are kept in. A
// candle makes four ticks at distinct seconds and trade data at most one
// bar a second, so 4 fine bars cover at least one bar of the data's own
// resolution, and the pads below cover the report's (tradePad,
// tradeSpan) whatever the interval. Candle data whose interval is known
// at the start and is a bar step is kept in bars of the interval, one per
// candle: the bounds are then a quarter of these (fineBounds).
const (
	// finePad is how many fine bars before a fill and after the last
	// fill of a flat position are kept.
	finePad = 4 * tradePad
	// fineSpan bounds one stretch of fine bars while a position is held.
	fineSpan = 4 * tradeSpan
	// maxFine bounds the fine bars kept per product (about 1.3 MB);
	// fills past it show on the overview only.
	maxFine = 1 << 15
)

// fineBounds are the bounds of fine bars of step (ns) for data of these
// candle intervals: a quarter of those above when step is every file's
// interval (one bar per candle), those above otherwise (a step finer
// than an interval, 15m bars of 30m candles, makes several per candle).
func fineBounds(step int64, intervals []time.Duration) (pad, span, most int) {
	for _, d := range intervals {
		if int64(d) != step {
			return finePad, fineSpan, maxFine
		}
	}
	if len(intervals) == 0 {
		return finePad, fineSpan, maxFine
	}
	return finePad / 4, fineSpan / 4, maxFine / 4
}

// fineBars is the fine bar being built, a ring of the last pad closed
// ones (the stretch before the next fill), and the bars kept around
// fills, with the plots' values at the end of each.
//
// While mirror is set (from the start until the bars first coarsen) the
// fine bars would be the recorder's bars, bar for bar and value for
// value, at the same step: the recorder then builds none of them (a
// tenth of a run's recording when the bars never coarsen, as for a month
// of candles, whose fine bars the report does not draw) and notes only
// which bar each fill came in (marks). Before the first coarsening merges
// the bars, or at the end should the fine bars be drawn, unmirror replays
// those bars, their plots' values and the fills through the fine bars'
// own logic, so that what is kept is what building them all along keeps.
type fineBars struct {
	mirror  bool
	marks   []fillMark
	cur     bar
	curEnd  int64 // Unix ns at which cur closes; 0 before the first trade
	ring    []bar // last closed bars, oldest at ringAt when full
	ringV   [][]float64
	ringAt  int
	kept    []bar
	keptV   [][]float64
	stepNs  int64 // the fine bars' step
	pad     int   // finePad, or its quarter (fineBounds)
	span    int
	most    int
	on      bool // closed bars are being kept
	held    bool // the product's position is open
	left    int  // bars still kept after the last fill of a flat position
	stretch int  // bars kept since on was set
	scratch []float64
}

// fillMark is a fill noted while the fine bars mirror the bars: bar is
// the index of the bar being built then (-1 before the first), held the
// position's state after the fill.
type fillMark struct {
	bar  int
	held bool
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

// newBarRecorder returns a recorder whose bars, and fine bars, start at
// barSteps[step], for data of these candle intervals.
func newBarRecorder(step int, intervals []time.Duration) *barRecorder {
	// All maxBars at once: growing to them would copy the bars (and the
	// plots') several times over in a month of data.
	r := &barRecorder{step: step, stepNs: int64(barSteps[step]), bars: make([]bar, 0, maxBars)}
	r.fine.stepNs, r.fine.mirror = r.stepNs, true
	r.fine.pad, r.fine.span, r.fine.most = fineBounds(r.stepNs, intervals)
	return r
}

// firstStep is the index of the bar step a recorder starts at for data of
// these candle intervals (0 for tick data): the coarsest step that
// divides every interval, so that one-minute candles are not first cut
// into one-second bars (four per candle) and merged back at the end; 0,
// one second, when a file is tick data. The bars come out the same:
// finish merges them to the interval, and a merged bar keeps the plots'
// values at the end of its last bar, when a bar of the interval is
// sampled.
func firstStep(intervals []time.Duration) int {
	if len(intervals) == 0 {
		return 0
	}
	step := len(barSteps) - 1
	for _, d := range intervals {
		if d <= 0 {
			return 0
		}
		for step > 0 && (barSteps[step] > d || d%barSteps[step] != 0) {
			step--
		}
	}
	return step
}

func (r *barRecorder) trade(t time.Time, price float64) {
	ns := t.UnixNano()
	if !r.fine.mirror {
		r.fineTrade(ns, price)
	}
	if n := len(r.bars); n > 0 && ns < r.end {
		r.bars[n-1].add(price)
		return
	}
	if r.plots != nil {
		r.sample()
	}
	// Merging into the next step may not shorten the bars (one-minute
	// candles make no two one-second bars in one 5s bar), so coarsen until
	// it does: a bar appended past maxBars would never be merged.
	for len(r.bars) >= maxBars && r.step < len(barSteps)-1 {
		if r.fine.mirror {
			// The trade starts a bar: every bar so far is closed, and
			// its plots' values sampled (sample above), as fineTrade
			// would have closed the last one.
			r.unmirror(false)
			r.fineTrade(ns, price)
		}
		r.coarsen(r.step + 1)
	}
	b := newBar(ns, r.stepNs, price)
	r.bars = append(r.bars, b)
	for i := range r.plots {
		r.plots[i].vals = append(r.plots[i].vals, math.NaN())
	}
	r.end = b.start + r.stepNs
}

// fineTrade adds a trade at Unix ns to the fine bars.
func (r *barRecorder) fineTrade(ns int64, price float64) {
	f := &r.fine
	if ns < f.curEnd {
		f.cur.add(price)
		return
	}
	if f.curEnd != 0 {
		r.closeFine()
	}
	step := f.stepNs
	f.cur = newBar(ns, step, price)
	f.curEnd = f.cur.start + step
}

// closeFine closes the fine bar being built: it samples the plots, goes
// into the ring, and is kept while fills ask for it.
func (r *barRecorder) closeFine() {
	f := &r.fine
	f.init(len(r.plots))
	v := f.scratch
	for i := range r.plots {
		v[i] = math.NaN()
		if x, ok := r.plots[i].plot.Value(); ok {
			v[i] = x
		}
	}
	r.closeFineWith(v)
}

// closeFineWith closes the fine bar being built with the plots' values v.
func (r *barRecorder) closeFineWith(v []float64) {
	f := &r.fine
	if len(f.ring) < f.pad {
		f.ring = append(f.ring, f.cur)
		for i := range f.ringV {
			f.ringV[i] = append(f.ringV[i], v[i])
		}
	} else {
		f.ring[f.ringAt] = f.cur
		for i := range f.ringV {
			f.ringV[i][f.ringAt] = v[i]
		}
		f.ringAt = (f.ringAt + 1) % f.pad
	}
	if !f.on {
		return
	}
	r.keepFine(f.cur, v)
	f.stretch++
	if !f.held {
		f.left--
	}
	if f.left <= 0 || f.stretch >= f.span {
		f.on = false
	}
}

// keepFine adds a closed fine bar to those kept, up to maxFine.
func (r *barRecorder) keepFine(b bar, v []float64) {
	f := &r.fine
	if len(f.kept) >= f.most || (len(f.kept) > 0 && b.start <= f.kept[len(f.kept)-1].start) {
		return
	}
	f.kept = append(f.kept, b)
	for i := range f.keptV {
		f.keptV[i] = append(f.keptV[i], v[i])
	}
}

// fill marks a fill of the product: the fine bars of the ring (the
// stretch before it) are kept, and those after it while the position is
// held (held) and finePad more once it is flat.
func (r *barRecorder) fill(held bool) {
	f := &r.fine
	if f.mirror {
		// Several fills in one bar do what its last would alone (each
		// sets held and left, only the first keeps the ring), so a bar
		// needs one mark at most.
		at := len(r.bars) - 1
		if n := len(f.marks); n > 0 && f.marks[n-1].bar == at {
			f.marks[n-1].held = held
			return
		}
		f.marks = append(f.marks, fillMark{bar: at, held: held})
		return
	}
	f.held, f.left = held, f.pad
	if f.on {
		return
	}
	f.on, f.stretch = true, 0
	f.init(len(r.plots))
	v := f.scratch
	for k := range f.ring {
		i := k
		if len(f.ring) == f.pad {
			i = (f.ringAt + k) % f.pad
		}
		for j := range f.ringV {
			v[j] = f.ringV[j][i]
		}
		r.keepFine(f.ring[i], v)
	}
}

// unmirror builds the fine bars the recorder's bars stood for (see
// fineBars): each bar closes with its plots' values in turn, after the
// fills that came while it was being built, as closeFine and fill did
// then. With open the last bar is still being built and becomes the
// fine bar being built; the fine bars are built with the bars from then
// on.
func (r *barRecorder) unmirror(open bool) {
	f := &r.fine
	f.mirror = false
	f.init(len(r.plots))
	marks := f.marks
	f.marks = nil
	f.curEnd = 0 // no bar being built: the next trade starts one
	for k, b := range r.bars {
		for len(marks) > 0 && marks[0].bar <= k {
			r.fill(marks[0].held)
			marks = marks[1:]
		}
		f.cur = b
		if open && k == len(r.bars)-1 {
			f.curEnd = b.start + f.stepNs
			break
		}
		for i := range r.plots {
			f.scratch[i] = r.plots[i].vals[k]
		}
		r.closeFineWith(f.scratch)
	}
	for _, m := range marks { // fills before any bar, when there is none
		r.fill(m.held)
	}
}

// init makes the plots' value slices of the fine bars, for plots plots
// (all added before the first trade).
func (f *fineBars) init(plots int) {
	if f.ringV == nil {
		f.ringV = make([][]float64, plots)
		f.keptV = make([][]float64, plots)
		f.scratch = make([]float64, plots)
	}
}

// coarsen merges the bars into barSteps[to], in place.
func (r *barRecorder) coarsen(to int) {
	r.step, r.stepNs = to, int64(barSteps[to])
	r.mergePlots(r.stepNs)
	r.bars = mergeRaw(r.bars, r.stepNs)
	if n := len(r.bars); n > 0 {
		r.end = r.bars[n-1].start + r.stepNs
	}
}

// mergePlots merges the plots' values as mergeRaw will merge the bars
// into step (ns).
func (r *barRecorder) mergePlots(step int64) {
	vals := make([][]float64, len(r.plots))
	for k := range r.plots {
		vals[k] = r.plots[k].vals
	}
	mergeRawValues(r.bars, step, vals)
	for k := range r.plots {
		r.plots[k].vals = vals[k]
	}
}

// mergeRawValues merges values kept per bar of bs as mergeRaw merges bs
// into step (ns), in place (vals[k] is shortened): a merged bar keeps
// the value at the end of its last bar.
func mergeRawValues(bs []bar, step int64, vals [][]float64) {
	if len(vals) == 0 {
		return
	}
	j := -1
	var last int64
	for i, b := range bs {
		if start := floorNs(b.start, step); j < 0 || start != last {
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

// mergeRaw merges time-ordered bars into bars of step (ns), reusing bs.
func mergeRaw(bs []bar, step int64) []bar {
	out := bs[:0]
	for _, b := range bs {
		start := floorNs(b.start, step)
		if n := len(out); n > 0 && out[n-1].start == start {
			o := &out[n-1]
			o.high = max(o.high, b.high)
			o.low = min(o.low, b.low)
			o.close = b.close
			continue
		}
		b.start = start
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

// newRecorder returns the recorder of products' bars, starting at
// barSteps[step], for data of these candle intervals.
func newRecorder(products []string, now func() time.Time, step int, intervals []time.Duration) *recorder {
	r := &recorder{products: map[string]*barRecorder{}, clock: now}
	for _, p := range products {
		if r.products[p] == nil {
			r.products[p] = newBarRecorder(step, intervals)
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

// fill tells the product's bars of a fill, and whether the product's
// position is open after it.
func (r *recorder) fill(product string, held bool) {
	if br := r.products[product]; br != nil {
		br.fill(held)
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
	for _, d := range fileIntervals(files) {
		interval = max(interval, d)
	}
	out := make([]PriceBars, 0, len(r.order))
	for _, p := range r.order {
		br := r.products[p]
		br.sample()
		step := barSteps[br.step]
		fineStep := max(interval, barSteps[0])
		if br.fine.mirror && step > fineStep {
			// Bars still at their first step but coarser than the
			// data's: the fine bars are drawn (below), so build them.
			br.unmirror(true)
		}
		if interval > step {
			br.mergePlots(int64(interval))
			br.bars, step = mergeRaw(br.bars, int64(interval)), interval
		}
		pb := PriceBars{Product: p, Step: step, Bars: exportBars(br.bars)}
		var detail [][]float64
		if step > fineStep {
			f := &br.fine
			if f.curEnd != 0 {
				f.on = f.on || f.held
				br.closeFine()
			}
			detail = f.keptV
			if fineStep > barSteps[0] {
				mergeRawValues(f.kept, int64(fineStep), detail)
				f.kept = mergeRaw(f.kept, int64(fineStep))
			}
			pb.Detail, pb.DetailStep = exportBars(f.kept), fineStep
		}
		for k, t := range br.plots {
			ps := PlotSeries{Name: t.name, Overlay: t.plot.Overlay, Values: t.vals}
			if k < len(detail) {
				ps.Detail = detail[k]
			}
			pb.Plots = append(pb.Plots, ps)
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
