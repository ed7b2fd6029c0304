package strategy

import (
	"github.com/tradebot/tradebot/indicator"
)

// Needs implements Setup: the rule's bars and those of indicators on
// another interval or product, each with its indicators' lookback (the
// rule's own bars also with the previous values its expressions read),
// and as history the bars its indicators need to settle
// (indicator.Settle): an EMA(200) is ready after 200 bars but forgets its
// seed only after 891, so that a warm-up of 200 would read other values
// than a run over all the history.
func (r *Rules) Needs(n *Needs) {
	for i, s := range r.subs {
		lb, settle := 0, 0
		for _, ri := range s.inds {
			lb = max(lb, ri.ind.Lookback())
			settle = max(settle, indicator.Settle(ri.ind, s.interval))
		}
		if i == 0 {
			depth := 0
			for _, x := range r.refs {
				depth = max(depth, x.k)
			}
			lb += depth
			settle += depth
		}
		n.Bars(s.product, s.interval, lb+1)
		n.History(s.product, s.interval, settle+1)
		if r.closesOnly(s, i == 0) {
			n.CloseOnly(s.product, s.interval)
		}
	}
	if r.exit != nil {
		n.Closes(ruleReason)
	}
}

// ruleReason is the reason a rules strategy closes a position under when
// its exit expression is true.
const ruleReason = "rule"

// closesOnly reports whether the rules read only the opens and closes of
// sub's bars: its indicators read only the close and, for the rule's own
// bars (main), no expression reads a high, low or volume.
func (r *Rules) closesOnly(sub *ruleBars, main bool) bool {
	for _, ri := range sub.inds {
		if !indicator.ReadsOnlyClose(ri.ind) {
			return false
		}
	}
	if !main {
		return true
	}
	high, low, volume := r.bar[1], r.bar[2], r.bar[4]
	for _, p := range []*program{r.entry, r.exit} {
		if p == nil {
			continue
		}
		for _, v := range p.vars {
			if v.s == high || v.s == low || v.s == volume {
				return false
			}
		}
	}
	return true
}

// OnBar implements BarHandler: a bar updates the indicators of its
// subscription; a bar of the rule's own interval then runs the rules.
func (r *Rules) OnBar(ctx Context, b *Bar) {
	own := ctx.Product().ID
	for i, s := range r.subs {
		p := s.product
		if p == "" {
			p = own
		}
		if s.interval == b.Interval && p == b.Product {
			if !r.update(s, i == 0, b) || !ctx.Warm() {
				return
			}
			r.act(ctx)
			return
		}
	}
}

// update feeds a bar of sub to its indicators and, for the rule's own
// bars (main), to the bar's series. It reports whether the rules are
// then to run: a bar of the rule's own, with every value they read.
func (r *Rules) update(sub *ruleBars, main bool, b *Bar) bool {
	c := b.Candle()
	for _, ri := range sub.inds {
		ri.ind.Update(c)
		ri.main.set(ri.ind.Value())
		for i, s := range ri.outs {
			s.set(ri.multi.Output(i))
		}
	}
	if !main {
		return false
	}
	for i, v := range [5]float64{c.Open, c.High, c.Low, c.Close, c.Volume} {
		r.bar[i].set(v)
	}
	return r.ready()
}

// act runs the entry rule while flat and the exit rule while in a
// position, never both: the other's answer could not be acted on.
func (r *Rules) act(ctx Context) {
	pos := ctx.Position()
	if pos.Pending {
		return
	}
	if !pos.Open() {
		if r.run(r.entry) {
			_, _ = ctx.Buy(Order{Type: Market, Reason: r.reason})
		}
		return
	}
	if r.exit != nil && r.run(r.exit) {
		_ = ctx.Close(ruleReason)
	}
}

// ready reports whether every indicator and previous value has a value.
func (r *Rules) ready() bool {
	for _, ri := range r.inds {
		if !ri.ind.Ready() {
			return false
		}
	}
	for _, x := range r.refs {
		if !x.s.ready() {
			return false
		}
	}
	return true
}

// run evaluates a program on the current values.
func (r *Rules) run(p *program) bool {
	if p.fast != nil {
		return p.fast()
	}
	return r.runVM(p)
}

// runVM evaluates a program on the current values with expr's VM. The
// expressions are type-checked to be true or false, and read only
// numbers: they cannot fail, and a failure would be a bug, taken as
// false.
func (r *Rules) runVM(p *program) bool {
	for _, v := range p.vars {
		if v.k == 0 {
			r.env[v.key] = v.s.cur
		} else {
			r.env[v.key] = v.s.prev(v.k)
		}
	}
	out, err := r.machine.Run(p.p, r.env)
	if err != nil {
		return false
	}
	v, _ := out.(bool)
	return v
}
