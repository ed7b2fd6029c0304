package strategy

import (
	"time"
)

func init() {
	Register(Type{
		Name:    "bollinger_reversion",
		Summary: "buy a close below the lower Bollinger band; sell a close above the middle band",
		NewParams: func() Params {
			return &BollingerParams{Period: 20, K: 2, Interval: 15 * time.Minute}
		},
	})
}

// BollingerParams configures bollinger_reversion.
type BollingerParams struct {
	Period   int           `yaml:"period" doc:"bars of the SMA and the standard deviation"`
	K        float64       `yaml:"k" doc:"band width in standard deviations"`
	Interval time.Duration `yaml:"interval" doc:"bar length"`
}

// Validate implements Params.
func (p *BollingerParams) Validate() []error {
	errs := atLeast(nil, "period", float64(p.Period), 2)
	errs = atLeast(errs, "k", p.K, 0.1)
	return intervalOK(errs, p.Interval)
}

// Build implements Params.
func (p *BollingerParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	return preset(p.Interval, map[string]string{"bb": "bbands(" + num(float64(p.Period)) + ", " + num(p.K) + ")"},
		"close < bb_lower", "close > bb_middle")
}
