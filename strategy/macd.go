package strategy

import (
	"fmt"
	"time"
)

func init() {
	Register(Type{
		Name:    "macd",
		Summary: "enter when the MACD line crosses above its signal line; leave when it crosses back below",
		NewParams: func() Params {
			return &MACDParams{Fast: 12, Slow: 26, Signal: 9, Interval: time.Hour}
		},
	})
}

// MACDParams configures macd.
type MACDParams struct {
	Fast     int           `yaml:"fast" doc:"bars of the fast EMA"`
	Slow     int           `yaml:"slow" doc:"bars of the slow EMA"`
	Signal   int           `yaml:"signal" doc:"bars of the signal EMA of the MACD line"`
	Interval time.Duration `yaml:"interval" doc:"bar length"`
}

// Validate implements Params.
func (p *MACDParams) Validate() []error {
	errs := atLeast(nil, "fast", float64(p.Fast), 1)
	errs = atLeast(errs, "signal", float64(p.Signal), 1)
	errs = slowOverFast(errs, p.Fast, p.Slow)
	return intervalOK(errs, p.Interval)
}

// Build implements Params.
func (p *MACDParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	return preset(p.Interval, map[string]string{"m": fmt.Sprintf("macd(%d, %d, %d)", p.Fast, p.Slow, p.Signal)},
		"crossed_above(m_macd, m_signal)", "crossed_below(m_macd, m_signal)")
}
