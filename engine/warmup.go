package engine

import (
	"context"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// History returns the candles of product of one interval that start in
// [start, end), oldest first: Coinbase's candles endpoint in live and
// paper mode (coinbase.Client.Candles pages it 350 at a time under the
// client's rate limit).
type History func(ctx context.Context, product string, start, end time.Time, interval time.Duration) ([]exchange.Candle, error)

// HistoryIntervals are the bar intervals History can serve (Coinbase's
// candle granularities). Bars of another interval warm up on live bars.
var HistoryIntervals = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 6 * time.Hour, 24 * time.Hour}

// WarmUp feeds every instance the history its bar subscriptions need
// (their lookback of bars ending before now), before Run: a strategy
// sees those bars, but may not trade until its warm-up is over and each
// bar subscription has its lookback. A subscription whose history cannot
// be fetched (an interval Coinbase has no candles of, or an error, which
// is logged) is filled by live bars: the instance then trades later, never
// earlier. The log says when each instance is warm.
func (e *Engine) WarmUp(ctx context.Context, h History, now time.Time) {
	for _, in := range e.instances {
		var all []exchange.Candle
		for _, need := range in.needs.BarNeeds() {
			if need.Lookback == 0 {
				continue
			}
			if !slices.Contains(HistoryIntervals, need.Interval) {
				in.log.Info("no history for these bars; the strategy warms up on live bars", "strategy", in.name,
					"product", need.Product, "interval", need.Interval.String(), "lookback", need.Lookback)
				continue
			}
			end := now.Truncate(need.Interval)
			start := end.Add(-need.Interval * time.Duration(need.Bars()))
			began := time.Now()
			candles, err := h(ctx, need.Product, start, end, need.Interval)
			if err != nil {
				in.log.Error("history for the warm-up failed; the strategy warms up on live bars", "strategy", in.name,
					"product", need.Product, "interval", need.Interval.String(), "error", err)
				continue
			}
			in.log.Info("history fetched", "strategy", in.name, "product", need.Product, "interval", need.Interval.String(),
				"candles", len(candles), "want", need.Bars(), "took", time.Since(began).Round(time.Millisecond).String())
			for _, c := range candles {
				c.ProductID, c.Interval = need.Product, need.Interval
				all = append(all, c)
			}
		}
		// Bars of several subscriptions in the order they close.
		slices.SortStableFunc(all, func(a, b exchange.Candle) int { return a.End().Compare(b.End()) })
		in.beginWarmUp(ctx)
		for _, c := range all {
			in.warmCandle(c)
		}
		in.endWarmUp(now)
	}
}

// BeginWarmUp starts a backtest's warm-up: until EndWarmUp, WarmTick
// feeds the strategies ticks that build their bars while no order may be
// placed.
func (e *Engine) BeginWarmUp(ctx context.Context) {
	for _, in := range e.instances {
		in.beginWarmUp(ctx)
	}
}

// WarmTick gives one tick of the warm-up to the strategies that read its
// product (not to the exits or the guard: nothing is held yet).
func (e *Engine) WarmTick(ctx context.Context, t *exchange.Tick) {
	for _, in := range e.byProduct[t.ProductID] {
		in.dispatchTick(ctx, t)
	}
}

// EndWarmUp ends a backtest's warm-up at now.
func (e *Engine) EndWarmUp(now time.Time) {
	for _, in := range e.instances {
		in.endWarmUp(now)
	}
}

// Products returns every product some instance reads, each once, in
// instance order: what the feed must subscribe to.
func (e *Engine) Products() []string {
	var ids []string
	for _, in := range e.instances {
		for _, p := range in.needs.Products() {
			if !slices.Contains(ids, p) {
				ids = append(ids, p)
			}
		}
	}
	return ids
}

func (in *Instance) beginWarmUp(ctx context.Context) {
	in.warming, in.warm = true, false
	in.sctx.ctx = ctx
}

func (in *Instance) endWarmUp(now time.Time) {
	in.warming = false
	in.noteWarm(now)
	if !in.warm {
		short := 0
		for _, b := range in.barSubs {
			if b.seen < b.need.Lookback {
				short = max(short, b.need.Lookback-b.seen)
			}
		}
		in.log.Info("strategy warming up on live bars", "strategy", in.name, "bars_short", short)
	}
}

// warmCandle gives one history candle to the instance: a bar to a
// strategy with bar subscriptions, or its ticks along the candle (open,
// low, high, close) to a Signaler, which builds its own bars.
func (in *Instance) warmCandle(c exchange.Candle) {
	if in.hooks.bar != nil {
		for _, b := range in.barSubs {
			if b.need.Product == c.ProductID && b.need.Interval == c.Interval && b.agg.AddCandle(c) {
				in.deliverBar(b)
			}
		}
		return
	}
	if in.hooks.trade == nil || !slices.Contains(in.tradesOf, c.ProductID) {
		return
	}
	quarter := c.Interval / 4
	size := c.Volume.Div(decimalFour)
	for i, p := range [4]exchange.Tick{{Price: c.Open}, {Price: c.Low}, {Price: c.High}, {Price: c.Close}} {
		p.ProductID, p.Kind, p.Size = c.ProductID, exchange.TradeTick, size
		p.Time = c.Start.Add(time.Duration(i) * quarter)
		p.Received = p.Time
		in.hooks.trade.OnTrade(in.sctx, &p)
	}
}

var decimalFour = decimal.NewFromInt(4)
