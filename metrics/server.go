package metrics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// DefaultListenAddress is loopback only: exposing metrics and the kill
// switch beyond the machine is a decision the user makes explicitly.
const DefaultListenAddress = "127.0.0.1:9464"

// shutdownTimeout bounds how long a stopping server waits for scrapes in
// flight.
const shutdownTimeout = 5 * time.Second

// ServerConfig says where and how the HTTP server listens and what it
// serves. Its zero value (after RegisterFlags or with ListenAddress set)
// serves /metrics, an always-live /healthz and an always-ready /readyz
// without TLS or auth.
type ServerConfig struct {
	// ListenAddress is host:port; empty means DefaultListenAddress.
	ListenAddress string
	// WebConfigFile is an exporter-toolkit web configuration (TLS, basic
	// auth with bcrypt hashes); empty means plain HTTP without auth.
	WebConfigFile string
	// Gatherer is what /metrics exposes; nil means an empty registry.
	Gatherer prometheus.Gatherer
	// Ready reports whether the daemon is ready (feed connected,
	// reconciliation done); nil means always ready. Its error text is
	// shown on /readyz, so it must not carry secrets.
	Ready func() error
	// Live reports whether the daemon is alive beyond serving HTTP (its
	// trading loops turn); nil means alive whenever the server answers.
	// An error makes /healthz answer 503 with its text, which must not
	// carry secrets, and leads a liveness probe to restart the process:
	// only what a restart mends belongs here. It runs on every probe, so
	// it must be cheap and must not block.
	Live func() error
	// Starting, when set, makes the server start in start-up: until
	// Server.Started, /healthz answers 200 "starting: " and the step it
	// returns, or 503 with its error (a start-up that no longer
	// progresses, which a restart may mend), and /readyz answers 503
	// "not ready: starting: " and the step; Live and Ready are not
	// called before. Like Live, it must be cheap, must not block, and its
	// text must not carry secrets.
	Starting func() (step string, err error)
	// Handlers are extra paths (e.g. /killswitch) served behind the same
	// TLS and authentication as /metrics.
	Handlers map[string]http.Handler
	// Logger receives the server's start and error messages; nil discards
	// them.
	Logger *slog.Logger
}

// RegisterFlags defines --web.listen-address and --web.config.file on fs,
// with the exporter conventions, writing into c.
func (c *ServerConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.ListenAddress, "web.listen-address", DefaultListenAddress, "address (host:port) to serve /metrics, /healthz, /readyz and /killswitch on")
	fs.StringVar(&c.WebConfigFile, "web.config.file", "", "path to a web configuration file for TLS and basic auth (exporter-toolkit format)")
}

// Server is a bound, not yet serving, HTTP server. Listen makes one; Serve
// runs it until its context ends.
type Server struct {
	cfg      ServerConfig
	listener net.Listener
	server   *http.Server
	log      *slog.Logger
	// gate checks basic auth as the web config says; nil without one.
	gate *authGate
	// started is whether start-up is over (Started), or there is none
	// (no ServerConfig.Starting); the probes read it on the server's
	// goroutines.
	started atomic.Bool
}

// Started ends start-up: from now on /healthz and /readyz ask Live and
// Ready. What the caller built for them before the call is visible to
// them after it.
func (s *Server) Started() { s.started.Store(true) }

// Listen checks the web configuration file and binds the listen address, so
// that a wrong file or a busy port is reported before the daemon starts
// trading. The caller must call Serve, which closes the listener.
func Listen(cfg ServerConfig) (*Server, error) {
	if cfg.ListenAddress == "" {
		cfg.ListenAddress = DefaultListenAddress
	}
	if cfg.WebConfigFile != "" {
		if err := web.Validate(cfg.WebConfigFile); err != nil {
			return nil, fmt.Errorf("web config file %s: %w", cfg.WebConfigFile, err)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l, err := net.Listen("tcp", cfg.ListenAddress)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.ListenAddress, err)
	}
	s := &Server{cfg: cfg, listener: l, log: log}
	s.started.Store(cfg.Starting == nil)
	s.server = &http.Server{
		Handler:           s.mux(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.WebConfigFile != "" {
		c, err := readWebConfig(cfg.WebConfigFile)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("web config file %s: %w", cfg.WebConfigFile, err)
		}
		s.gate = newAuthGate(cfg.WebConfigFile, s.server.Handler, c, log)
		s.server.Handler = s.gate
	}
	return s, nil
}

// Addr returns the address the server is bound to (useful with port 0).
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Serve serves until ctx ends, then shuts down, giving requests in flight
// a few seconds, and returns nil; or returns the error that stopped it.
func (s *Server) Serve(ctx context.Context) error {
	served := make(chan struct{})
	shutdown := make(chan struct{})
	go func() {
		defer close(shutdown)
		select {
		case <-ctx.Done():
		case <-served:
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := s.server.Shutdown(sctx); err != nil {
			s.log.Warn("metrics server shutdown", "err", err)
			s.server.Close()
		}
	}()
	var err error
	if s.cfg.WebConfigFile == "" {
		s.log.Info("serving HTTP without TLS or authentication", "address", s.listener.Addr().String())
		err = s.server.Serve(s.listener)
	} else {
		err = s.serveWebConfig(s.cfg.WebConfigFile)
	}
	close(served)
	if !errors.Is(err, http.ErrServerClosed) {
		s.listener.Close()
	}
	// Serve returns as soon as Shutdown starts; wait for Shutdown to end
	// so that no connection outlives this call, and for a password check
	// that Close left running.
	<-shutdown
	if s.gate != nil {
		s.gate.drain()
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve on %s: %w", s.Addr(), err)
}

func (s *Server) mux() *http.ServeMux {
	g := s.cfg.Gatherer
	if g == nil {
		g = prometheus.NewRegistry()
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       10 * time.Second,
	}))
	mux.Handle("/healthz", s.duringStartUp(probe(s.cfg.Live, "ok", "not live"), false))
	mux.Handle("/readyz", s.duringStartUp(probe(s.cfg.Ready, "ready", "not ready"), true))
	for path, h := range s.cfg.Handlers {
		mux.Handle(path, h)
	}
	return mux
}

// duringStartUp answers a probe during start-up (ServerConfig.Starting)
// and hands it to after once Started: /healthz (ready false) says the
// process is alive and starting, /readyz (ready true) that it does not
// trade yet.
func (s *Server) duringStartUp(after http.Handler, ready bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.started.Load() {
			after.ServeHTTP(w, r)
			return
		}
		step, err := s.cfg.Starting()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		switch {
		case err != nil && !ready:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not live: %v\n", err)
		case ready:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: starting: %s\n", step)
		default:
			fmt.Fprintf(w, "starting: %s\n", step)
		}
	}
}

// probe answers a health check: 200 with ok, or 503 with failed and the
// reason check gives; a nil check always passes.
func probe(check func() error, ok, failed string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if check != nil {
			if err := check(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "%s: %v\n", failed, err)
				return
			}
		}
		io.WriteString(w, ok+"\n")
	}
}
