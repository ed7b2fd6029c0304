package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/daemon"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/metrics"
)

// loadConfig reads the config file, or the embedded example when path is
// empty.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Load("config.example.yaml (embedded)", tradebot.ExampleConfig, os.LookupEnv)
	}
	return config.LoadFile(path)
}

// runDaemon is `run`: the daemon of the program prog, until SIGINT,
// SIGTERM or SIGHUP (stopSignals).
func runDaemon(prog string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded config.example.yaml)")
	logFormat := fs.String("log.format", "", "log format: auto, text or json (overrides the config)")
	var web metrics.ServerConfig
	web.RegisterFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch *logFormat {
	case "", "auto", "text", "json":
	default:
		return usageErrorf("--log.format %q: want auto, text or json", echo.Cut(*logFormat))
	}
	listenSet, webSet := false, false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "web.listen-address":
			listenSet = true
		case "web.config.file":
			webSet = true
		}
	})
	// Checked as web.listen_address and web.config_file are, before the
	// daemon starts: a typo is a usage error naming the flag, not a
	// failure to listen once the journal and the kill switch are set up.
	if listenSet {
		if err := config.CheckListenAddress(web.ListenAddress); err != nil {
			return usageErrorf("--web.listen-address %v", err)
		}
	}
	if webSet && web.WebConfigFile != "" {
		if err := config.CheckWebConfigFile(web.WebConfigFile); err != nil {
			return usageErrorf("--web.config.file %s: %v", echo.Cut(web.WebConfigFile), err)
		}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *logFormat != "" {
		cfg.Log.Format = *logFormat
	}
	log := daemon.NewLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	opts := daemon.Options{Config: cfg, Log: log, Version: Version, Program: prog}
	if listenSet {
		opts.ListenAddress = web.ListenAddress
	}
	if webSet {
		opts.WebConfigFile = web.WebConfigFile
	}
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
	defer stop()
	return daemon.Run(ctx, opts)
}

// stopSignals are the signals on which `run` stops cleanly: SIGINT,
// SIGTERM and SIGHUP, which a terminal sends when it closes (an ssh
// session dropped under `tradebot run`). SIGHUP's default action ended
// the process on the spot, without parking the stops the bot watches, so
// a position was left naked. A SIGHUP the daemon was started ignoring
// (nohup) stays ignored: asking for it would undo the ignore.
func stopSignals() []os.Signal {
	sigs := []os.Signal{syscall.SIGINT, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	return sigs
}

// check is `check`: it validates a config and, in live mode, checks the
// key against Coinbase without trading.
func check(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", stderr)
	cfgPath := fs.String("config", "", "config file to check (default: the embedded example)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "config OK: mode %s, %d strategy instance(s)\n", cfg.Mode, len(cfg.Strategies))
	if cfg.Mode != config.ModeLive {
		// The simulated exchange's products; without a market price a
		// base size is held to its own bounds only (live mode values it
		// at the best bid, CheckLive).
		products := map[string]exchange.Product{}
		for _, p := range cfg.PaperProducts() {
			products[p.ID] = p.Exchange()
		}
		for _, w := range cfg.SizeWarnings(products, nil) {
			fmt.Fprintf(stdout, "warning: %s\n", w)
		}
		return nil
	}
	// Live mode: the key is checked against Coinbase as `run` would check
	// it (permissions, portfolio, products, clock), but nothing is traded.
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, checkTimeout)
	defer cancelTimeout()
	_, err = daemon.CheckLive(ctx, cfg, daemon.NewLogger(stderr, cfg.Log.Format, cfg.Log.Level), stdout)
	return err
}

// checkTimeout bounds `tradebot check` in live mode: a few REST calls.
const checkTimeout = 30 * time.Second
