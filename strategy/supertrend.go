package strategy

import (
	"time"
)

func init() {
	Register(Type{
		Name:    "supertrend",
		Summary: "enter when SuperTrend turns up (the close breaks above its band); leave when it turns down",
		NewParams: func() Params {
			return &SuperTrendParams{Period: 10, Multiplier: 3, Interval: time.Hour}
		},
	})
}

// SuperTrendParams configures supertrend.
type SuperTrendParams struct {
	Period     int           `yaml:"period" doc:"bars of the ATR"`
	Multiplier float64       `yaml:"multiplier" doc:"band distance from the bar's middle in ATRs"`
	Interval   time.Duration `yaml:"interval" doc:"bar length"`
}

// Validate implements Params.
func (p *SuperTrendParams) Validate() []error {
	errs := atLeast(nil, "period", float64(p.Period), 1)
	errs = atLeast(errs, "multiplier", p.Multiplier, 0.1)
	return intervalOK(errs, p.Interval)
}

// Build implements Params.
func (p *SuperTrendParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	return preset(p.Interval, map[string]string{"st": "supertrend(" + num(float64(p.Period)) + ", " + num(p.Multiplier) + ")"},
		"crossed_above(st_direction, 0)", "crossed_below(st_direction, 0)")
}
