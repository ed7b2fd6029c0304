package daemon

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/tradebot/tradebot/risk"
)

// stateFileName is the trading-state file's name in state_dir, beside the
// journal.
const stateFileName = "trading_state"

// openStateFile opens state_dir's trading-state file (risk.StateFile),
// starts the guard in the stricter of the journal's state and the file's,
// and records the state there at once: that first record sizes the file
// while the disk has room, so that a halt recorded later, when a full
// disk stops the journal, takes no new space. followTradingState records
// every change after. A file that cannot be kept or read halts trading
// (rule journal): it may hold a halt, and without it a halt would not
// survive a restart.
func (d *daemon) openStateFile() {
	path := filepath.Join(d.cfg.StateDir, stateFileName)
	sf, err := risk.OpenStateFile(path)
	if err != nil {
		d.log.Error("the trading state cannot be kept beside the journal; entries halted", "error", err)
		d.guard.HaltFor(risk.RuleJournal, fmt.Sprintf("%v: a halt would not survive a restart; check the disk "+
			"holding state_dir, then resume trading", err))
		return
	}
	d.stateFile = sf
	// Closed with the journal, after the engine (closeJournal).
	d.journalCloses = append(d.journalCloses, func() { _ = sf.Close() })
	info, ok, err := sf.Read()
	switch {
	case err != nil:
		d.log.Error("the trading-state file does not read; entries halted", "error", err)
		d.guard.HaltFor(risk.RuleJournal, fmt.Sprintf("%v: it may have held a halt; check the trading state, "+
			"then resume trading (which rewrites the file)", err))
	case ok && d.guard.RestoreState(info):
		d.log.Warn("trading state restored from the trading-state file (the journal could not store it)",
			"state", info.State.String(), "rule", info.Rule, "reason", info.Reason, "file", path)
	}
	_ = d.recordState()
}

// recordState writes the guard's current state to the trading-state file,
// if there is one. It reads the state under the file's lock, so that of
// two changes recorded at once the later state is the one that stays.
func (d *daemon) recordState() error {
	if d.stateFile == nil {
		return nil
	}
	d.stateFileMu.Lock()
	defer d.stateFileMu.Unlock()
	err := d.stateFile.Record(d.guard.StateInfo())
	if err != nil {
		d.log.Error("saving the trading state to its file failed: a halt the journal cannot store would not "+
			"survive a restart; check the disk holding state_dir", "error", err)
	}
	return err
}

// persistState saves the trading state for the kill switch's answer: it
// fails when a restart would not come back in the state now in force. A
// restart starts in the stricter of the journal's and the file's states,
// so a halt needs either, while a resume needs both (a halt left in
// either would come back).
func (d *daemon) persistState() error {
	fileErr := d.recordState()
	jrnlErr := d.jrnl.saveRisk(d.guard)
	if fileErr == nil && jrnlErr == nil || d.guard.State() == risk.Halted && (fileErr == nil || jrnlErr == nil) {
		return nil
	}
	return errors.Join(jrnlErr, fileErr)
}
