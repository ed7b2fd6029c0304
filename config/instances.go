package config

import (
	"fmt"

	"github.com/tradebot/tradebot/engine"
)

// InstanceSpecs builds the engine's instance specs from the config's
// strategies, each with a freshly built strategy, in config order. The
// daemon and the backtest both call it, so a backtest runs exactly what
// the daemon would.
func (c *Config) InstanceSpecs() ([]engine.InstanceSpec, error) {
	specs := make([]engine.InstanceSpec, 0, len(c.Strategies))
	for i := range c.Strategies {
		s := &c.Strategies[i]
		st, err := s.StrategyParams().Build()
		if err != nil {
			return nil, fmt.Errorf("strategy %s: %w", s.Name, err)
		}
		specs = append(specs, engine.InstanceSpec{Name: s.Name, ProductID: s.Product, Strategy: st,
			QuoteSize: s.Size.Quote, BaseSize: s.Size.Base, Exits: s.Exits})
	}
	return specs, nil
}
