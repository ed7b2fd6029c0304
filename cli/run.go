package cli

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/daemon"
	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/metrics"
)

// loadConfig reads the config file, or the embedded example when path is
// empty.
func loadConfig(path string) (*config.Config, error) {
	name, raw, err := configBytes(path)
	if err != nil {
		return nil, err
	}
	return config.Load(name, raw, os.LookupEnv)
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
