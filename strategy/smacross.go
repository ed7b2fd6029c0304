package strategy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/tradebot/tradebot/bars"
)

func init() {
	Register(Type{
		Name:    "sma_cross",
		Summary: "enter when a fast simple moving average of bar closes crosses above a slow one; leave when it crosses back below",
		NewParams: func() Params {
			return &SMACrossParams{Fast: 10, Slow: 30, Interval: time.Minute, ExitOnCross: true}
		},
	})
}

// SMACrossParams configures the sma_cross strategy.
type SMACrossParams struct {
	Fast        int           `yaml:"fast" doc:"bars in the fast average"`
	Slow        int           `yaml:"slow" doc:"bars in the slow average"`
	Interval    time.Duration `yaml:"interval" doc:"bar length, e.g. 1m"`
	ExitOnCross bool          `yaml:"exit_on_cross" doc:"sell when fast crosses back below slow"`
}

// Validate implements Params.
func (p *SMACrossParams) Validate() []error {
	var errs []error
	if p.Fast < 1 {
		errs = append(errs, fmt.Errorf("fast: must be at least 1, got %d", p.Fast))
	}
	errs = slowOverFast(errs, p.Fast, p.Slow)
	if p.Interval < time.Second {
		errs = append(errs, fmt.Errorf("interval: must be at least 1s, got %s", p.Interval))
	}
	return errs
}

// Build implements Params.
func (p *SMACrossParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	return NewSignals(&SMACross{p: *p, bars: bars.New("", p.Interval, bars.Options{ClosesOnly: true}),
		fast: newWindow(p.Fast), slow: newWindow(p.Slow)}), nil
}

// SMACross is the moving-average crossover strategy.
type SMACross struct {
	p SMACrossParams
	// bars keeps closes only: the averages are of closes.
	bars       *bars.Aggregator
	fast, slow *window
	// above is the last known relation of fast to slow; 0 until both
	// averages are full, so that the first full bar is not taken as a cross.
	above int
}

// WarmUp implements WarmUpper: the slow average's bars, and one more so
// that the first bar after the warm-up can be a cross.
func (s *SMACross) WarmUp(n *Needs) { n.Bars("", s.p.Interval, s.p.Slow+1) }

// SignalsExit implements ExitSignaler: only with exit_on_cross.
func (s *SMACross) SignalsExit() bool { return s.p.ExitOnCross }

// OnTick implements Signaler.
func (s *SMACross) OnTick(t *Tick, pos PositionView) Decision {
	if !s.bars.Add(t) {
		return Decision{}
	}
	closed := s.bars.Last().CloseF
	s.fast.push(closed)
	s.slow.push(closed)
	if !s.slow.full() {
		return Decision{}
	}
	f, sl := s.fast.mean(), s.slow.mean()
	rel := -1
	if f > sl {
		rel = 1
	}
	prev := s.above
	s.above = rel
	if prev == 0 || prev == rel || pos.Pending {
		return Decision{}
	}
	if rel > 0 && !pos.Open() {
		return Decision{Signal: Enter, Reason: s.crossReason(f, " crossed above sma", sl)}
	}
	if rel < 0 && pos.Open() && s.p.ExitOnCross {
		return Decision{Signal: Exit, Reason: s.crossReason(f, " crossed below sma", sl)}
	}
	return Decision{}
}

// crossReason is fmt.Sprintf("sma%d %.2f"+verb+"%d %.2f", Fast, fast,
// Slow, slow) built in one allocation: %.2f is strconv's 'f' format with
// two decimals. A strategy that the guard keeps refusing asks again on
// every cross, each time with a new reason.
func (s *SMACross) crossReason(fast float64, verb string, slow float64) string {
	b := make([]byte, 0, 64)
	b = append(b, "sma"...)
	b = strconv.AppendInt(b, int64(s.p.Fast), 10)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, fast, 'f', 2, 64)
	b = append(b, verb...)
	b = strconv.AppendInt(b, int64(s.p.Slow), 10)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, slow, 'f', 2, 64)
	return string(b)
}

type smaState struct {
	Closes []float64 `json:"closes"`
	Above  int       `json:"above"`
}

// MarshalState implements Stateful: the closes of the slow window.
func (s *SMACross) MarshalState() ([]byte, error) {
	return json.Marshal(smaState{Closes: s.slow.values(), Above: s.above})
}

// UnmarshalState implements Stateful.
func (s *SMACross) UnmarshalState(b []byte) error {
	var st smaState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("sma_cross state: %w", err)
	}
	s.fast, s.slow = newWindow(s.p.Fast), newWindow(s.p.Slow)
	for _, c := range st.Closes {
		s.fast.push(c)
		s.slow.push(c)
	}
	s.above = st.Above
	return nil
}
