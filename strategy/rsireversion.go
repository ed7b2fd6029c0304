package strategy

import (
	"fmt"
	"time"
)

func init() {
	Register(Type{
		Name:    "rsi_reversion",
		Summary: "buy when the RSI climbs back above its oversold level; sell when it reaches its overbought level",
		NewParams: func() Params {
			return &RSIReversionParams{Period: 14, Oversold: 30, Overbought: 70, Interval: 15 * time.Minute}
		},
	})
}

// RSIReversionParams configures rsi_reversion.
type RSIReversionParams struct {
	Period     int           `yaml:"period" doc:"bars of the RSI"`
	Oversold   float64       `yaml:"oversold" doc:"RSI level whose cross back up buys"`
	Overbought float64       `yaml:"overbought" doc:"RSI level whose cross up sells"`
	Interval   time.Duration `yaml:"interval" doc:"bar length"`
}

// Validate implements Params.
func (p *RSIReversionParams) Validate() []error {
	errs := intervalOK(atLeast(nil, "period", float64(p.Period), 2), p.Interval)
	if p.Oversold <= 0 || p.Oversold >= p.Overbought || p.Overbought >= 100 {
		errs = append(errs, fmt.Errorf("oversold: must be above 0 and below overbought (%s), itself below 100; got %s",
			num(p.Overbought), num(p.Oversold)))
	}
	return errs
}

// Build implements Params.
func (p *RSIReversionParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	return preset(p.Interval, map[string]string{"rsi": fmt.Sprintf("rsi(%d)", p.Period)},
		"crossed_above(rsi, "+num(p.Oversold)+")", "crossed_above(rsi, "+num(p.Overbought)+")")
}
