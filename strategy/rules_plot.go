package strategy

import "github.com/tradebot/tradebot/indicator"

// Plots draws the indicators a rule computes on its own product's bars:
// the backtest report overlays those whose values are prices and shows
// the others below the price.
func (r *Rules) Plots() []indicator.Plot {
	var out []indicator.Plot
	for _, sub := range r.subs {
		if sub.product != "" {
			continue
		}
		for _, ri := range sub.inds {
			m := callRE().FindStringSubmatch(r.p.Indicators[ri.main.name].Of)
			overlay := m != nil && indicator.Overlays(m[1])
			if ri.multi == nil {
				out = append(out, indicator.Plot{Name: ri.main.name, Source: ri.ind, Overlay: overlay})
				continue
			}
			for i, s := range ri.outs {
				out = append(out, indicator.Plot{Name: s.name, Source: ri.ind, Output: i, Overlay: overlay})
			}
		}
	}
	return out
}
