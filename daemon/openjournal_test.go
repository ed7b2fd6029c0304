package daemon

import "github.com/tradebot/tradebot/journal"

// openJournal opens a journal as the daemon does in live mode.
func openJournal(path string) (*journalAdapter, error) {
	return openJournalWith(path, journal.Options{})
}

// openPaperJournal opens a journal as the daemon does in paper mode, with
// intents committed like every other write (journal.Options.RelaxedIntents):
// the reason is the one that makes asyncJournal safe.
func openPaperJournal(path string) (*journalAdapter, error) {
	return openJournalWith(path, journal.Options{RelaxedIntents: true})
}
