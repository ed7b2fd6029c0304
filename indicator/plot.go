package indicator

// Plot is one line a strategy asks a report to draw: output Output of
// Source, over the price (Overlay: moving averages, bands, stops) or in a
// pane below it (oscillators).
type Plot struct {
	Name    string
	Source  Indicator
	Output  int // index into Outputs() of a MultiOutput; 0 otherwise
	Overlay bool
}

// Value returns the plotted value and whether Source is ready.
func (p Plot) Value() (float64, bool) {
	if !p.Source.Ready() {
		return 0, false
	}
	if mo, ok := p.Source.(MultiOutput); ok {
		return mo.Output(p.Output), true
	}
	return p.Source.Value(), true
}

// Plotter is implemented by a strategy whose indicators reports should
// draw on its product's price chart, as the backtest's report.html does.
// Plots is called once, after the strategy is built; the report reads each
// Plot's value as the bars go.
type Plotter interface {
	Plots() []Plot
}

// Overlays reports whether the indicator called name is drawn over the
// price (its values are prices) rather than in a pane of its own: its
// Spec's Overlay; false for a name no indicator has.
func Overlays(name string) bool {
	return registry[name].spec.Overlay
}
