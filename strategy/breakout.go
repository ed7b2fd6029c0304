package strategy

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tradebot/tradebot/bars"
	"github.com/tradebot/tradebot/exchange"
)

func init() {
	Register(Type{
		Name:    "breakout",
		Summary: "enter when a trade prints above the highest high of the last N bars; leave when one prints below the lowest low of the last M bars",
		NewParams: func() Params {
			return &BreakoutParams{EntryBars: 20, ExitBars: 10, Interval: time.Minute}
		},
	})
}

// BreakoutParams configures the breakout (Donchian channel) strategy.
type BreakoutParams struct {
	EntryBars int           `yaml:"entry_bars" doc:"bars whose highest high a trade must beat to enter"`
	ExitBars  int           `yaml:"exit_bars" doc:"bars whose lowest low a trade must break to leave; 0 leaves exits to the exits block"`
	Interval  time.Duration `yaml:"interval" doc:"bar length"`
}

// Validate implements Params.
func (p *BreakoutParams) Validate() []error {
	var errs []error
	if p.EntryBars < 1 {
		errs = append(errs, fmt.Errorf("entry_bars: must be at least 1, got %d", p.EntryBars))
	}
	if p.ExitBars < 0 {
		errs = append(errs, fmt.Errorf("exit_bars: must be 0 or more, got %d", p.ExitBars))
	}
	if p.Interval < time.Second {
		errs = append(errs, fmt.Errorf("interval: must be at least 1s, got %s", p.Interval))
	}
	return errs
}

// Build implements Params.
func (p *BreakoutParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	b := &Breakout{p: *p, bars: bars.New("", p.Interval, bars.Options{}), highs: newWindow(p.EntryBars)}
	if p.ExitBars > 0 {
		b.lows = newWindow(p.ExitBars)
	}
	return NewSignals(b), nil
}

// Breakout enters on a new high of the channel and leaves on a new low.
type Breakout struct {
	p     BreakoutParams
	bars  *bars.Aggregator
	highs *window
	lows  *window
	// upper and lower are the channel of completed bars, valid once full.
	upper, lower float64
	ready        bool
}

// WarmUp implements WarmUpper: the channel's bars.
func (s *Breakout) WarmUp(n *Needs) { n.Bars("", s.p.Interval, max(s.p.EntryBars, s.p.ExitBars)) }

// SignalsExit implements ExitSignaler: only with exit_bars.
func (s *Breakout) SignalsExit() bool { return s.p.ExitBars > 0 }

// OnTick implements Signaler.
func (s *Breakout) OnTick(t *Tick, pos PositionView) Decision {
	if s.bars.Add(t) {
		bar := s.bars.Last()
		s.highs.push(bar.HighF)
		if s.lows != nil {
			s.lows.push(bar.LowF)
			s.lower = s.lows.min()
		}
		s.upper = s.highs.max()
		s.ready = s.highs.full() && (s.lows == nil || s.lows.full())
	}
	if !s.ready || t.Kind != exchange.TradeTick || pos.Pending {
		return Decision{}
	}
	price := t.Price.InexactFloat64()
	switch {
	case !pos.Open() && price > s.upper:
		return Decision{Signal: Enter, Reason: fmt.Sprintf("trade %s above the %d-bar high %.2f", t.Price, s.p.EntryBars, s.upper)}
	case pos.Open() && s.lows != nil && price < s.lower:
		return Decision{Signal: Exit, Reason: fmt.Sprintf("trade %s below the %d-bar low %.2f", t.Price, s.p.ExitBars, s.lower)}
	}
	return Decision{}
}

type breakoutState struct {
	Highs []float64 `json:"highs"`
	Lows  []float64 `json:"lows,omitempty"`
}

// MarshalState implements Stateful.
func (s *Breakout) MarshalState() ([]byte, error) {
	st := breakoutState{Highs: s.highs.values()}
	if s.lows != nil {
		st.Lows = s.lows.values()
	}
	return json.Marshal(st)
}

// UnmarshalState implements Stateful.
func (s *Breakout) UnmarshalState(b []byte) error {
	var st breakoutState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("breakout state: %w", err)
	}
	s.highs = newWindow(s.p.EntryBars)
	for _, v := range st.Highs {
		s.highs.push(v)
	}
	s.upper = s.highs.max()
	if s.lows != nil {
		s.lows = newWindow(s.p.ExitBars)
		for _, v := range st.Lows {
			s.lows.push(v)
		}
		if s.lows.n > 0 {
			s.lower = s.lows.min()
		}
	}
	s.ready = s.highs.full() && (s.lows == nil || s.lows.full())
	return nil
}
