package daemon

import (
	"log/slog"
	"sync"

	"github.com/tradebot/tradebot/risk"
)

// riskSaver writes the risk guard's counters to the journal after the
// guard counts fills, and once more when the daemon stops, so that the
// day's PnL, the drawdown's peak and the positions the loss limits judge
// survive a stop or a kill: before, they were written only when the
// trading state changed (or the kill switch or the journal's probe
// wrote), and a restart forgot the day's losses since. A fill only wakes
// the saver's goroutine, which writes the counters once for however many
// fills came meanwhile: the order path (a paper fill is applied on the
// engine's goroutine) does not write the counters itself, though in live
// mode its own journal writes can wait behind the saver's for the
// journal's write lock. A restart books exactly the journaled fills the
// saved counters do not include: those numbered above the last fill the
// counters name (journalAdapter.restoreRisk), so it does not matter how
// long after the fills a save comes.
type riskSaver struct {
	jrnl  *journalAdapter
	guard *risk.Guard
	log   *slog.Logger
	wake  chan struct{}
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// startRiskSaver starts the saver of g's counters into j.
func startRiskSaver(j *journalAdapter, g *risk.Guard, log *slog.Logger) *riskSaver {
	s := &riskSaver{jrnl: j, guard: g, log: log, wake: make(chan struct{}, 1), quit: make(chan struct{}),
		done: make(chan struct{})}
	go s.run()
	return s
}

// counted is the engine's OnFillCounted: the counters changed.
func (s *riskSaver) counted() {
	select {
	case s.wake <- struct{}{}:
	default: // a save is due already and will take this fill too
	}
}

func (s *riskSaver) run() {
	defer close(s.done)
	for {
		select {
		case <-s.quit:
			return
		case <-s.wake:
			s.save()
		}
	}
}

func (s *riskSaver) save() {
	if err := s.jrnl.saveRisk(s.guard); err != nil {
		s.log.Error("journal: saving the risk counters failed; a restart would forget the day's PnL since the last save",
			"error", err)
	}
}

// stop ends the saver and writes what changed since its last save: the
// fills the shutdown's settling booked. A second call does nothing.
func (s *riskSaver) stop() {
	s.once.Do(func() {
		close(s.quit)
		<-s.done
		select {
		case <-s.wake:
			s.save()
		default:
		}
	})
}
