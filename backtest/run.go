package backtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/position"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// assemble builds what a run trades on, exactly as paper mode does: the
// simulated exchange with cfg.Paper's products, balances, fees and
// slippage, the risk guard of cfg.Risk, and the engine with the
// instances of cfg, all on clk. The caller routes the exchange's events.
//
// single declares that one goroutine runs everything (Run): the exchange
// and the guard then skip their locks.
//
// notPlaced, when not nil, receives the entries not placed
// (engine.Options.OnEntryNotPlaced). The engine's log is discarded: a
// backtest's reader gets the summary, and building a record for each of
// thousands of refused entries cost a tenth of a run.
func assemble(ctx context.Context, cfg *config.Config, clk clock.Clock, single bool, notPlaced func(string, error)) (*sim.Exchange, *engine.Engine, map[string]exchange.Product, error) {
	products := make([]exchange.Product, 0, len(cfg.PaperProducts()))
	byID := map[string]exchange.Product{}
	for _, p := range cfg.PaperProducts() {
		ep := p.Exchange()
		products = append(products, ep)
		byID[ep.ID] = ep
	}
	x, err := sim.New(sim.Config{Products: products, Balances: cfg.Paper.Balances,
		Fees: sim.Fees{Maker: cfg.Paper.Fees.Maker, Taker: cfg.Paper.Fees.Taker}, SlippageBps: cfg.Paper.SlippageBps,
		PartialFills: cfg.Paper.PartialFills}, clk)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("simulated exchange: %w", err)
	}
	guard, err := risk.NewGuard(cfg.Risk, clk)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("risk: %w", err)
	}
	if single {
		x.SingleGoroutine()
		guard.SingleGoroutine()
	}
	specs, err := cfg.InstanceSpecs()
	if err != nil {
		return nil, nil, nil, err
	}
	fees := x.Fees()
	eng, err := engine.New(ctx, engine.Options{Venue: x, Guard: guard, Clock: clk, Instances: specs,
		MakerFee: fees.Maker, TakerFee: fees.Taker, Log: slog.New(slog.DiscardHandler), OnEntryNotPlaced: notPlaced})
	if err != nil {
		return nil, nil, nil, err
	}
	return x, eng, byID, nil
}

// SamplePeriod is the market-time step of the equity curve: equity is
// sampled at the first tick of every minute (before it is processed), and
// once more after the last tick. Drawdown is measured on these samples.
const SamplePeriod = time.Minute

// maxUTCSec bounds the Unix seconds whose nanoseconds fit an int64
// (year 2242; UnixNano overflows in 2262).
const maxUTCSec = 1 << 33

// elapsed is t.Sub(u) for the times of two ticks, which Run adds up on
// every tick while a position is held. Between 1970 and maxUTCSec it is
// the difference of their Unix nanoseconds, Sub's answer for times
// without a monotonic clock reading (a tick's time comes from its data,
// never from time.Now): Sub checks that difference for overflow by
// adding it back to u, a call to Add on each of those ticks.
func elapsed(t, u time.Time) time.Duration {
	if ts, us := t.Unix(), u.Unix(); ts >= 0 && ts < maxUTCSec && us >= 0 && us < maxUTCSec {
		return time.Duration((ts-us)*int64(time.Second) + int64(t.Nanosecond()-u.Nanosecond()))
	}
	return t.Sub(u)
}

// periodStart is t.Truncate(SamplePeriod), which Run needs once per
// minute of data. Truncate divides a 96-bit count of nanoseconds since
// year 1; SamplePeriod divides a day, and year 1 is a whole number of days
// before 1970, so the remainder of t's Unix nanoseconds is the same, and
// cheap where those are exact. Like Truncate it drops the monotonic
// reading (Round(0)) and keeps the zone.
func periodStart(t time.Time) time.Time {
	if sec := t.Unix(); sec >= 0 && sec < maxUTCSec {
		rem := (sec%int64(SamplePeriod/time.Second))*int64(time.Second) + int64(t.Nanosecond())
		return t.Round(0).Add(-time.Duration(rem))
	}
	return t.Truncate(SamplePeriod)
}

// samplePeriods follows the sample periods of a run's ticks. bucket is
// the start of the sample period of the last tick, and next the start of
// the one after it: a tick before next needs no Truncate. The zero bucket
// makes the first tick start one. after is the start of the period after
// next: a tick in [next, after) in next's zone starts next, which is then
// its Truncate (candles start one period after the other). Kept out of
// Run's loop, whose function is too large for the compiler to keep them
// in registers, the three times were spilled and reloaded around the
// calls of every tick.
type samplePeriods struct {
	bucket, next, after time.Time
}

// start is for a tick at or after next: it returns the start of the
// tick's period and whether that is a new period, after bucket's.
func (p *samplePeriods) start(t time.Time) (time.Time, bool) {
	b := p.next
	if !t.Before(p.after) || t.Location() != p.next.Location() {
		b = periodStart(t)
	}
	if !b.After(p.bucket) {
		return time.Time{}, false
	}
	p.bucket, p.next = b, b.Add(SamplePeriod)
	p.after = p.next.Add(SamplePeriod)
	return b, true
}

// Point is one sample of the equity curve.
type Point struct {
	Time time.Time
	// Equity is the starting capital plus realized and unrealized PnL, in
	// the quote currency, marked at Price.
	Equity float64
	// Price is the last trade price of the first strategy's product.
	Price float64
	// Drawdown is the deepest fall of equity below its previous peak
	// (zero or negative) among the samples the point stands for.
	Drawdown float64
}

// Result is everything a run produced; the reports are made from it.
type Result struct {
	// Config names the strategies run, for the reports.
	Strategies []string
	Data       *Data
	RoundTrips []position.RoundTrip
	// Equity is the equity curve for the chart: its first sample, then
	// at most a few thousand points, each the last of a span of samples
	// (SamplePeriod apart) with the deepest drawdown in the span; none
	// when the run was for reports without report.html. The drawdown and
	// daily returns of the summary are of every sample.
	Equity []Point
	// MaxDrawdown and MaxDrawdownPct are the largest fall of equity from
	// a previous peak, in the quote currency and as a fraction of it.
	MaxDrawdown, MaxDrawdownPct float64
	// DailyReturns are the returns between the last equity samples of
	// consecutive UTC days; the first day's from its first sample.
	DailyReturns []float64
	// Capital is the starting quote balance the equity starts from.
	Capital decimal.Decimal
	// Final is the equity after the last tick.
	Final decimal.Decimal
	// OpenPositions are the products still held when the data ended,
	// valued at the last price in Final (not closed, not in RoundTrips).
	OpenPositions []string
	// Exposed is the market time during which some base was held.
	Exposed time.Duration
	Start   time.Time
	End     time.Time
	Ticks   int
	// NotPlaced counts, by strategy and cause, the entries decided but
	// not placed (a size above the free balance, the risk guard...).
	NotPlaced []NotPlaced
	// Config names the config file, for the report's title; the caller
	// sets it.
	Config string
	// Bars are the price bars of each strategy's product, for the chart;
	// none when the run was for reports without report.html.
	Bars []PriceBars
	// RiskChanges are the risk guard's state changes, in time order.
	RiskChanges []RiskChange

	rec *recorder // builds Bars and RiskChanges during the run
	// prices are the first and last trade prices of each strategy's
	// product, in config order, for the summary's markets: a run without
	// charts has no Bars.
	prices []productPrices
}

// productPrices are a product's first and last trade prices in a run; 0
// when it had no trade.
type productPrices struct {
	product     string
	first, last float64
}

// RunOptions are the choices of a Run beyond its config and data.
type RunOptions struct {
	// Progress, when not nil, receives the progress of the run.
	Progress Progress
	// Reports are the reports the result will be written to; the zero
	// value, like ReportsFull, records the price bars report.html draws
	// (Result.Bars), which the other levels leave out: they cost a
	// tenth of a run.
	Reports Reports
}

// Progress receives the number of ticks done and the total during a run.
type Progress func(done, total int)

// progressEvery is how many ticks pass between Progress calls.
const progressEvery = 1 << 16

// holding tracks one product's cash flow and base from the fills, so that
// equity is two multiplications per sample instead of a balance query.
type holding struct {
	quote string
	cash  decimal.Decimal // quote received minus paid, fees included
	base  decimal.Decimal
	// product is the strategies' product, named in the summary's
	// markets.
	product string
	// last is the price of the product's last trade, zero before one.
	last decimal.Decimal
	// first is the price of the product's first trade after the
	// warm-up, for the market's change over the run; traded says there
	// was one.
	first  decimal.Decimal
	traded bool
	// cashF and baseF mirror cash and base for the equity curve, which
	// is a report in float64: they change only on fills, while samples
	// come every minute.
	cashF, baseF float64
}

// Run replays d through the strategies of cfg: one simulated exchange
// with cfg.Paper's balances, fees and slippage, the risk guard of
// cfg.Risk, and the engine, all on one goroutine and a clock.Sim moved to
// each tick's time. A streamed d is read as the run goes, parsed on
// another goroutine.
func Run(ctx context.Context, cfg *config.Config, d *Data, o RunOptions) (*Result, error) {
	return runWith(ctx, cfg, d, o.Progress, o.Reports == "" || o.Reports == ReportsFull)
}

// runWith is Run; charts false leaves out what only the reports show
// (Result.Bars, the price bars at the data's resolution, which cost a
// quarter of a run), for the runs of a sweep, which keep their Summary's
// headline figures.
func runWith(ctx context.Context, cfg *config.Config, d *Data, progress Progress, charts bool) (*Result, error) {
	if d.Products != nil {
		if err := checkProducts(cfg, d.Products); err != nil {
			return nil, err
		}
	}
	f, err := d.feed(configIDs(cfg))
	if err != nil {
		return nil, err
	}
	res, err := run(ctx, cfg, d, f, progress, charts)
	files, products := f.close()
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, noTicks(d.paths, d.opts)
	}
	if err := checkProducts(cfg, products); err != nil {
		return nil, err
	}
	if d.paths != nil {
		res.Data = &Data{Files: files, Path: d.Path, Products: products}
	}
	res.Bars, res.RiskChanges = res.rec.finish(res.Data.Files, res.End)
	return res, nil
}

// configIDs are the product ids of cfg's simulated exchange, the strings
// its books, the engine's instances and their exits hold. The engine,
// the exchange, the exits and the guard compare the product of every tick
// with theirs; the data's id is an equal string elsewhere in memory (from
// --product or the file), compared byte by byte, some 4 % of a month's
// run. A tick that carries the config's own string is equal at the first
// instruction (Go compares the pointers before the bytes).
func configIDs(cfg *config.Config) []string {
	var ids []string
	for _, p := range cfg.PaperProducts() {
		ids = append(ids, p.ID)
	}
	return ids
}

// checkProducts refuses a config whose strategies trade a product the
// data does not hold.
func checkProducts(cfg *config.Config, products []string) error {
	for _, s := range cfg.Strategies {
		if !slices.Contains(products, s.Product) {
			return fmt.Errorf("strategy %s trades %s, but the data holds only %s (a candle file without product ids takes --product)",
				s.Name, s.Product, strings.Join(products, ", "))
		}
	}
	return nil
}

// recorderStep is firstStep; a test sets it to one-second bars to compare.
var recorderStep = firstStep

// run is Run's loop over the batches of f; a nil Result without error
// means the data had no tick.
func run(ctx context.Context, cfg *config.Config, d *Data, f feeder, progress Progress, charts bool) (*Result, error) {
	batch, err := f.next()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	clk := clock.NewStep(batch[0].Time)
	notPlaced := &notPlacedCount{clk: clk}
	x, eng, byID, err := assemble(ctx, cfg, clk, true, notPlaced.add)
	if err != nil {
		return nil, err
	}
	res := &Result{Data: d, Start: batch[0].Time}
	eq := curve{noPoints: !charts}
	var charted []string
	if charts {
		charted = strategyProducts(cfg)
	}
	intervals := f.candleIntervals()
	res.rec = newRecorder(charted, clk.Now, recorderStep(intervals), intervals)
	eng.Guard().OnStateChange(res.rec.riskChanged)
	res.rec.plotStrategies(cfg, eng.Instances())
	holdings := map[string]*holding{}
	var order []*holding // config order, so equity sums the same way every run
	quotes := map[string]bool{}
	for _, s := range cfg.Strategies {
		res.Strategies = append(res.Strategies, s.Name)
		if holdings[s.Product] != nil {
			continue
		}
		p, ok := byID[s.Product]
		if !ok {
			return nil, fmt.Errorf("strategy %s: product %s is not in paper.products", s.Name, s.Product)
		}
		h := &holding{product: s.Product, quote: p.QuoteCurrency}
		holdings[s.Product] = h
		order = append(order, h)
		if !quotes[p.QuoteCurrency] {
			quotes[p.QuoteCurrency] = true
			res.Capital = res.Capital.Add(cfg.Paper.Balances[p.QuoteCurrency])
		}
	}
	var chartProduct string
	if len(cfg.Strategies) > 0 {
		chartProduct = cfg.Strategies[0].Product
	}
	// held is whether some base is held; it changes only on fills.
	var held bool
	x.SetHandler(func(ev exchange.OrderEvent) {
		if f := ev.Fill; f != nil {
			if h := holdings[f.ProductID]; h != nil {
				v := f.Value()
				if f.Side == exchange.Buy {
					h.cash = h.cash.Sub(v).Sub(f.Fee)
					h.base = h.base.Add(f.Size)
				} else {
					h.cash = h.cash.Add(v).Sub(f.Fee)
					h.base = h.base.Sub(f.Size)
				}
				h.cashF, h.baseF = h.cash.InexactFloat64(), h.base.InexactFloat64()
				res.rec.fill(f.ProductID, h.base.IsPositive())
				held = false
				for _, h := range order {
					held = held || h.base.IsPositive()
				}
			}
		}
		eng.HandleEvent(ev)
	})
	equity := func() decimal.Decimal {
		e := res.Capital
		for _, h := range order {
			e = e.Add(h.cash)
			if !h.base.IsZero() {
				e = e.Add(h.base.Mul(h.last))
			}
		}
		return e
	}
	capitalF := res.Capital.InexactFloat64()
	chart := holdings[chartProduct]
	sample := func(t time.Time) {
		e := capitalF
		for _, h := range order {
			e += h.cashF
			if h.baseF != 0 {
				e += h.baseF * h.last.InexactFloat64()
			}
		}
		var price float64
		if chart != nil {
			price = chart.last.InexactFloat64()
		}
		eq.add(Point{Time: t, Equity: e, Price: price})
	}

	var periods samplePeriods
	prev := res.Start
	// last caches the holding of the last trade's product.
	var lastID string
	var last *holding
	// warming is set while the ticks before d's From feed the
	// strategies' warm-up (LoadOptions.WarmUp): they build bars, nothing
	// trades, and the run's results start after them.
	warming := !d.warmUntil.IsZero()
	if warming {
		eng.BeginWarmUp(ctx)
	}
	ticks, untilProgress := 0, 0
	for {
		for i := range batch {
			t := &batch[i]
			if warming {
				if t.Time.Before(d.warmUntil) {
					clk.Set(t.Time)
					eng.WarmTick(ctx, t)
					continue
				}
				warming = false
				eng.EndWarmUp(d.warmUntil)
				res.Start, prev = t.Time, t.Time
			}
			if untilProgress == 0 {
				untilProgress = progressEvery
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if progress != nil {
					if done, total := f.progress(); total > 0 {
						progress(int(done), int(total))
					}
				}
			}
			untilProgress--
			if !t.Time.Before(periods.next) {
				if b, ok := periods.start(t.Time); ok && ticks > 0 {
					sample(b)
				}
			}
			if held {
				res.Exposed += elapsed(t.Time, prev)
			}
			prev = t.Time
			clk.Set(t.Time)
			x.OnTick(t)
			if charts {
				res.rec.tick(t)
			}
			if t.Kind == exchange.TradeTick {
				if t.ProductID != lastID {
					lastID, last = t.ProductID, holdings[t.ProductID]
				}
				if last != nil {
					last.last = t.Price
					if !last.traded {
						last.first, last.traded = t.Price, true
					}
				}
			}
			eng.Step(ctx, t)
			ticks++
		}
		batch, err = f.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	res.End, res.Ticks = prev, ticks
	sample(res.End)
	res.Equity = eq.points()
	res.MaxDrawdown, res.MaxDrawdownPct = eq.maxDrawdown()
	res.DailyReturns = eq.dailyReturns()
	if progress != nil {
		if _, total := f.progress(); total > 0 {
			progress(int(total), int(total))
		}
	}
	res.prices = make([]productPrices, 0, len(order))
	for _, h := range order {
		m := productPrices{product: h.product}
		if h.traded {
			m.first, m.last = priceFloat(h.first), priceFloat(h.last)
		}
		res.prices = append(res.prices, m)
	}
	res.RoundTrips = eng.RoundTrips()
	res.NotPlaced = notPlaced.counts
	res.Final = equity()
	for _, p := range cfg.Strategies {
		if h := holdings[p.Product]; h != nil && h.base.IsPositive() && !slices.Contains(res.OpenPositions, p.Product) {
			res.OpenPositions = append(res.OpenPositions, p.Product)
		}
	}
	return res, nil
}

// WarmUpPeriod is how much data before --from the strategies of cfg need
// to be warm at --from (LoadOptions.WarmUp): the longest lookback of
// bars any of them declares.
func WarmUpPeriod(cfg *config.Config) (time.Duration, error) {
	specs, err := cfg.InstanceSpecs()
	if err != nil {
		return 0, err
	}
	var d time.Duration
	for _, s := range specs {
		d = max(d, strategy.NeedsOf(strategy.Adapt(s.Strategy), s.ProductID).Lookback())
	}
	return d, nil
}
