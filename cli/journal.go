package cli

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/journal"
)

// journalFile is the journal's name inside state_dir; daemon.Run opens
// the same file.
const journalFile = "journal.db"

// journalFlags are the flags `positions` and `trades` share: where the
// journal is and how to print it.
type journalFlags struct {
	config, path, format string
}

func (f *journalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "config file whose state_dir holds the journal")
	fs.StringVar(&f.path, "journal", "", "journal file (instead of --config)")
	fs.StringVar(&f.format, "format", "table", "output format: table, csv or json")
}

// open opens the journal read-only, so that these commands can run beside
// a running daemon without taking its lock or writing a byte.
func (f *journalFlags) open(prog string) (*journal.Journal, journal.Format, error) {
	format, err := journal.ParseFormat(f.format)
	if err != nil {
		return nil, "", usageErrorf("--format: %v", err)
	}
	path := f.path
	switch {
	case path != "" && f.config != "":
		return nil, "", usageErrorf("give --config or --journal, not both")
	case path == "":
		// Without either flag the embedded example is the config, as for
		// `run`; it has no state_dir, which the error below says.
		cfg, err := loadConfig(f.config)
		if err != nil {
			return nil, "", err
		}
		if cfg.StateDir == "" {
			name := f.config
			if name == "" {
				name = "the embedded example config"
			}
			return nil, "", usageErrorf("%s has no state_dir, so there is no journal; give --journal FILE", name)
		}
		path = filepath.Join(cfg.StateDir, journalFile)
	}
	j, err := journal.OpenReadOnlyWith(path, journal.Options{Program: prog})
	if err != nil {
		return nil, "", err
	}
	return j, format, nil
}

// positions prints the open positions the journal holds.
func positions(prog string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("positions", stderr)
	var f journalFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("positions: unexpected argument %q", fs.Arg(0))
	}
	j, format, err := f.open(prog)
	if err != nil {
		return err
	}
	defer j.Close()
	rows, err := j.Positions()
	if err != nil {
		return err
	}
	if err := journal.WriteTable(stdout, journal.PositionsTable(rows), format); err != nil {
		return err
	}
	// As trades ends with its count: a table of headers alone reads as
	// a command that printed nothing, not as a bot holding nothing.
	if format == journal.FormatTable {
		fmt.Fprintf(stdout, "%d open position(s)\n", len(rows))
	}
	return nil
}

// trades prints the closed round trips, oldest first, and in the table
// format a total of their realized PnL.
func trades(prog string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trades", stderr)
	var f journalFlags
	f.register(fs)
	instance := fs.String("instance", "", "only this strategy instance")
	product := fs.String("product", "", "only this product")
	limit := fs.Int("limit", 0, "only the newest N round trips (0: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("trades: unexpected argument %q", fs.Arg(0))
	}
	j, format, err := f.open(prog)
	if err != nil {
		return err
	}
	defer j.Close()
	rows, err := j.RoundTrips(journal.RoundTripFilter{Instance: *instance, ProductID: *product, Limit: *limit})
	if err != nil {
		return err
	}
	t := journal.RoundTripsTable(rows)
	if err := journal.WriteTable(stdout, t, format); err != nil {
		return err
	}
	// CSV and JSON stay pure data for scripts; the summary is for people.
	if format == journal.FormatTable {
		total, err := t.Total("realized_pnl")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d round trip(s), realized PnL %s\n", len(rows), total.String())
	}
	return nil
}

// journalCmd runs `tradebot journal SUBCOMMAND`: today only salvage.
func journalCmd(prog string, args []string, stdout, stderr io.Writer) error {
	usage := "usage: " + prog + " journal salvage DAMAGED NEW\n\n" +
		"salvage copies what is readable from a damaged journal into a new file (docs/JOURNAL.md)."
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			fmt.Fprintln(stdout, usage)
			return nil
		}
	}
	if len(args) == 0 || args[0] != "salvage" {
		fmt.Fprintln(stderr, usage)
		if len(args) == 0 {
			return usageErrorf("journal needs a subcommand: %s journal salvage DAMAGED NEW", prog)
		}
		return usageErrorf("journal %q: the journal subcommand is salvage (%s journal salvage DAMAGED NEW)", echo.Cut(args[0]), prog)
	}
	fs := newFlagSet("journal salvage", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+prog+" journal salvage DAMAGED NEW\n\n"+
			"Copies every readable row of the damaged journal into a new journal file NEW\n"+
			"(which must not exist). The damaged file is only read. See docs/JOURNAL.md.")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usageErrorf("journal salvage: want DAMAGED and NEW, got %d argument(s)", fs.NArg())
	}
	damaged, target := fs.Arg(0), fs.Arg(1)
	rep, err := journal.Salvage(damaged, target)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "salvaged %s into %s (schema version %d)\n", damaged, target, rep.Version)
	for _, t := range rep.Tables {
		fmt.Fprintf(stdout, "  %-16s copied %d, lost %d\n", t.Table, t.Copied, t.Lost)
	}
	if n := rep.Lost(); n > 0 {
		fmt.Fprintf(stdout, "%d row(s) lost: check positions and open orders against the exchange before trading (docs/JOURNAL.md)\n", n)
	}
	return nil
}
