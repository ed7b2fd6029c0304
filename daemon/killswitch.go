package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
)

// killSwitch wires the guard's three kill-switch means (HTTP, file,
// signal) to the daemon; flatten closes every position through the engine.
type killSwitch struct {
	guard   *risk.Guard
	engine  *engine.Engine
	log     *slog.Logger
	metrics *metrics.Metrics
	ctx     context.Context
	// persist saves the trading state to the journal; nil without one.
	persist func() error
	// hostNames are kill_switch.host_names.
	hostNames []string
}

func (k *killSwitch) flatten(reason string) error {
	k.log.Warn("kill switch: flattening every position at market", "reason", reason)
	k.engine.Flatten(k.ctx, "kill_switch")
	return nil
}

func (k *killSwitch) handler() http.Handler {
	return k.guard.KillSwitchHandler(risk.KillSwitchControl{Flatten: k.flatten, Persist: k.persist, HostNames: k.hostNames})
}

// arm starts the file and signal means and returns once they are in
// place, with a function that waits until ctx has ended and they have
// stopped. The daemon should call it before it reports ready: until the
// signal is registered, SIGUSR1's default action ends the process.
//
// It first reports the state the guard started in: a halt restored from
// the journal changes no state, so the state-change listener never sets
// kill_switch_engaged for it, and a restarted HALTED daemon would
// otherwise show 0 there.
//
// A socket it cannot serve is an error, and nothing is started then: the
// daemon does not trade without a kill switch its operator configured.
func (k *killSwitch) arm(ctx context.Context, cfg config.KillSwitch) (wait func(), err error) {
	var waits []<-chan struct{}
	if cfg.Socket != "" {
		done, err := k.serveSocket(ctx, cfg.Socket)
		if err != nil {
			return nil, err
		}
		waits = append(waits, done)
	}
	k.report()
	if cfg.File != "" {
		waits = append(waits, k.guard.WatchFlagFile(ctx, cfg.File, 0))
	}
	if sig, err := parseSignal(cfg.Signal); err != nil {
		k.log.Error("kill switch signal", "error", err)
	} else if sig != nil {
		// Registered before HaltOnSignal returns.
		waits = append(waits, k.guard.HaltOnSignal(ctx, sig))
	}
	return func() {
		for _, w := range waits {
			<-w
		}
		<-ctx.Done()
	}, nil
}

// report sets the trading-state and kill-switch metrics from the guard.
func (k *killSwitch) report() {
	info := k.guard.StateInfo()
	k.metrics.TradingState(info.State.String())
	k.metrics.SetKillSwitch(info.State == risk.Halted && info.Rule == risk.RuleKillSwitch)
}

func parseSignal(name string) (os.Signal, error) {
	switch name {
	case "", "none":
		return nil, nil
	case "SIGUSR1":
		return syscall.SIGUSR1, nil
	case "SIGUSR2":
		return syscall.SIGUSR2, nil
	}
	return nil, fmt.Errorf("kill_switch.signal %q: use SIGUSR1, SIGUSR2 or none", name)
}

// serveSocket serves /killswitch on a Unix socket at path, readable and
// writable by the daemon's user only (0600): the file mode is the
// authentication, so no password is checked and a flood of the web
// server's passwords does not reach it. A socket left by a daemon that
// crashed is replaced; one that a running process answers on is not: taking
// it over would leave that daemon (another tradebot given the same path)
// without its kill switch, and send its operator's halt here. The socket
// is removed when ctx ends; the returned channel is closed then.
func (k *killSwitch) serveSocket(ctx context.Context, path string) (<-chan struct{}, error) {
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("kill_switch.socket %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("kill_switch.socket %s is in use by a running process (another tradebot?); give each daemon a socket of its own", path)
		}
		os.Remove(path)
	}
	l, sock, err := listenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("kill_switch.socket %s: %w", path, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/killswitch", k.handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		served := make(chan struct{})
		go func() {
			defer close(served)
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				k.log.Error("kill switch socket", "error", err)
			}
		}()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		<-served
		// The listener unlinks only the name it was bound to; remove the
		// socket at path unless something else has been put there since.
		if st, err := os.Lstat(path); err == nil && os.SameFile(st, sock) {
			os.Remove(path)
		}
	}()
	return done, nil
}

// maxSocketPath is the longest path a Unix socket can be bound to on
// Linux: sun_path's 108 bytes, the last one a NUL.
const maxSocketPath = 107

// listenPrivate listens on a Unix socket at path with mode 0600 from the
// moment it appears there. A socket bound at path directly exists with
// the umask's mode until it is changed, and another user's connection
// made in between waits in the backlog and is served later: a resume
// queued at start-up would pass the check that the mode is. So the socket
// is bound in a new directory beside path that only the daemon's user can
// enter, set to 0600 there, and renamed into place. It returns the
// socket file as it stands at path.
func listenPrivate(path string) (net.Listener, os.FileInfo, error) {
	// A rename takes any length, but a client connects by the path.
	if len(path) > maxSocketPath {
		return nil, nil, fmt.Errorf("the path is too long for a Unix socket (%d bytes; at most %d)", len(path), maxSocketPath)
	}
	// MkdirTemp's random part is at most ten digits.
	if over := len(filepath.Join(filepath.Dir(path), ".ks0123456789", "s")) - maxSocketPath; over > 0 {
		return nil, nil, fmt.Errorf("the path is too long for a Unix socket: at most %d bytes in this directory, where the socket is made before it is moved into place", len(path)-over)
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".ks")
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(dir)
	bound := filepath.Join(dir, "s")
	l, err := net.Listen("unix", bound)
	if err != nil {
		return nil, nil, err
	}
	ul := l.(*net.UnixListener)
	// Closing it would unlink bound, which is gone by then.
	ul.SetUnlinkOnClose(false)
	if err := os.Chmod(bound, 0o600); err != nil {
		l.Close()
		os.Remove(bound)
		return nil, nil, err
	}
	if err := os.Rename(bound, path); err != nil {
		l.Close()
		os.Remove(bound)
		return nil, nil, err
	}
	st, err := os.Lstat(path)
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	return l, st, nil
}
