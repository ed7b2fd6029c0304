package strategy

import (
	"fmt"
	"time"
)

func init() {
	Register(Type{
		Name:    "ema_cross",
		Summary: "enter when a fast exponential moving average of bar closes crosses above a slow one; leave when it crosses back below",
		NewParams: func() Params {
			return &EMACrossParams{Fast: 12, Slow: 26, Interval: 15 * time.Minute}
		},
	})
}

// EMACrossParams configures ema_cross.
type EMACrossParams struct {
	Fast     int           `yaml:"fast" doc:"bars of the fast EMA"`
	Slow     int           `yaml:"slow" doc:"bars of the slow EMA"`
	Interval time.Duration `yaml:"interval" doc:"bar length"`
}

// Validate implements Params.
func (p *EMACrossParams) Validate() []error {
	errs := intervalOK(atLeast(nil, "fast", float64(p.Fast), 1), p.Interval)
	errs = slowOverFast(errs, p.Fast, p.Slow)
	return errs
}

// Build implements Params.
func (p *EMACrossParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	return preset(p.Interval, map[string]string{"fast": fmt.Sprintf("ema(%d)", p.Fast), "slow": fmt.Sprintf("ema(%d)", p.Slow)},
		"crossed_above(fast, slow)", "crossed_below(fast, slow)")
}
