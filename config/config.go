// Package config is the daemon's YAML configuration: its shape, its
// defaults (all in Default), strict decoding that reports unknown keys
// with their line, ${ENV} expansion for secrets and paths, and validation
// that lists every problem at once.
package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// Modes the daemon runs in.
const (
	ModePaper = "paper"
	ModeLive  = "live"
)

// Config is the whole daemon configuration.
type Config struct {
	// Mode is paper (simulated fills) or live (orders go to Coinbase).
	Mode string `yaml:"mode"`
	Log  Log    `yaml:"log"`
	Web  Web    `yaml:"web"`
	// StateDir holds the journal and the trading_state file (a halt that
	// a full disk keeps out of the journal survives there). Empty runs
	// without them, which only paper mode allows: a live daemon must
	// remember its orders and its halts across restarts.
	StateDir string `yaml:"state_dir"`
	// ShutdownTimeout bounds how long a stop (SIGTERM) spends resolving
	// orders whose outcome is unknown and protecting what they filled
	// before the process exits.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	Paper           Paper         `yaml:"paper"`
	Coinbase        Coinbase      `yaml:"coinbase"`
	Risk            risk.Config   `yaml:"risk"`
	KillSwitch      KillSwitch    `yaml:"kill_switch"`
	Notify          Notify        `yaml:"notify"`
	Strategies      []Strategy    `yaml:"strategies"`

	// LoopStallAfter is how long a strategy instance's loop may go
	// without taking an event (it takes its idle timer every second)
	// before /healthz answers 503 and a liveness probe (or systemd's
	// watchdog, which the daemon stops feeding) restarts the daemon: a
	// stuck loop watches no stop.
	LoopStallAfter time.Duration `yaml:"loop_stall_after"`

	// file and lines are where Load read the config from and the line of
	// each field there, for warnings to point at it as problems do.
	file  string
	lines map[string]int
}

// Log configures logging.
type Log struct {
	// Format is auto (text on a terminal, JSON otherwise), text or json.
	Format string `yaml:"format"`
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
}

// Web configures the HTTP server for /metrics, /healthz, /readyz and the
// kill switch. The command-line flags --web.listen-address and
// --web.config.file override it.
type Web struct {
	ListenAddress string `yaml:"listen_address"`
	// ConfigFile is an exporter-toolkit web config (TLS, basic auth).
	ConfigFile string `yaml:"config_file"`
}

// Paper configures paper trading: where market data comes from and the
// simulated exchange's account.
type Paper struct {
	// Feed is replay (a recording) or coinbase (the live public feed).
	Feed string `yaml:"feed"`
	// Recording is "bundled" (the recording embedded in the binary) or a
	// path to a recording file.
	Recording string `yaml:"recording"`
	// Speed is the replay speed as a multiple of real time; 0 replays as
	// fast as the strategies keep up.
	Speed float64 `yaml:"speed"`
	// ExitAtEnd stops the daemon when the recording ends; otherwise it
	// keeps serving metrics until it is stopped.
	ExitAtEnd bool `yaml:"exit_at_end"`
	// Lockstep delivers each tick only once the strategies have handled
	// the previous one and everything it caused: no tick is conflated, and
	// a replay makes exactly the trades a backtest of the same recording
	// makes. It gives up the protection against a slow strategy, so it is
	// meant for replays, not for a live feed.
	Lockstep bool `yaml:"lockstep"`
	// PartialFills makes the simulated exchange fill an order only as
	// much as the market showed at its price (the size of a trade, or at
	// the best bid or ask), in as many parts as it takes, as a thin
	// market would; otherwise an order the price reaches fills whole.
	PartialFills bool                       `yaml:"partial_fills"`
	Balances     map[string]decimal.Decimal `yaml:"balances"`
	Fees         Fees                       `yaml:"fees"`
	SlippageBps  decimal.Decimal            `yaml:"slippage_bps"`
	Products     []Product                  `yaml:"products"`
}

// Fees are maker and taker rates (0.004 is 0.40 %).
type Fees struct {
	Maker decimal.Decimal `yaml:"maker"`
	Taker decimal.Decimal `yaml:"taker"`
}

// Product describes a product for the simulated exchange. Live mode takes
// products from Coinbase instead.
type Product struct {
	ID             string          `yaml:"id"`
	BaseIncrement  decimal.Decimal `yaml:"base_increment"`
	QuoteIncrement decimal.Decimal `yaml:"quote_increment"`
	PriceIncrement decimal.Decimal `yaml:"price_increment"`
	BaseMinSize    decimal.Decimal `yaml:"base_min_size"`
	BaseMaxSize    decimal.Decimal `yaml:"base_max_size"`
	QuoteMinSize   decimal.Decimal `yaml:"quote_min_size"`
	QuoteMaxSize   decimal.Decimal `yaml:"quote_max_size"`
}

// Exchange returns the product as the exchange package's type; base and
// quote currencies come from the id ("BTC-USD").
func (p Product) Exchange() exchange.Product {
	base, quote := splitProductID(p.ID)
	return exchange.Product{
		ID: p.ID, BaseCurrency: base, QuoteCurrency: quote,
		BaseIncrement: p.BaseIncrement, QuoteIncrement: p.QuoteIncrement, PriceIncrement: p.PriceIncrement,
		BaseMinSize: p.BaseMinSize, BaseMaxSize: p.BaseMaxSize, QuoteMinSize: p.QuoteMinSize, QuoteMaxSize: p.QuoteMaxSize,
	}
}

// Coinbase configures the Coinbase Advanced Trade connection. Every URL
// can point elsewhere, so that the daemon runs against the emulator.
type Coinbase struct {
	RESTURL       string `yaml:"rest_url"`
	MarketDataURL string `yaml:"market_data_url"`
	UserURL       string `yaml:"user_url"`
	// KeyFile is the CDP key file as Coinbase downloads it
	// ({"name": ..., "privateKey": ...}). Alternatively KeyName and
	// PrivateKey, usually from ${ENV}.
	KeyFile    string `yaml:"key_file"`
	KeyName    string `yaml:"key_name"`
	PrivateKey Secret `yaml:"private_key"`
	// AllowTransferPermission accepts a key that can transfer funds. The
	// Coinbase key guide says a trading bot's key should only view and
	// trade; leave this false.
	AllowTransferPermission bool `yaml:"allow_transfer_permission"`
	// AllowInsecureKeyFile accepts a key file that its group or other
	// users can read; without it live mode refuses such a file.
	AllowInsecureKeyFile bool `yaml:"allow_insecure_key_file"`
}

// KillSwitch configures the means that halt trading besides the HTTP
// endpoint, which is always on the web server.
type KillSwitch struct {
	// File halts trading while this file exists.
	File string `yaml:"file"`
	// Signal is the signal that halts trading (SIGUSR1 by default; "none"
	// disables it).
	Signal string `yaml:"signal"`
	// Socket is a Unix socket (mode 0600) that serves /killswitch without
	// the web server's password checks, for an operator on the machine
	// while the web server is flooded; empty serves none.
	Socket string `yaml:"socket"`
	// HostNames are host names (no port) besides IP addresses and
	// localhost that a POST to /killswitch may address the daemon by: the
	// name a reverse proxy in front passes in the Host header.
	HostNames []string `yaml:"host_names"`
}

// Notify configures webhook notifications.
type Notify struct {
	// WebhookURL receives a POST per event. It often carries a token (a
	// Telegram bot's is in its path), so it is treated as a secret.
	WebhookURL Secret `yaml:"webhook_url"`
	// Format is the body's shape: json (the event, every field), telegram
	// (Bot API sendMessage), slack ({"text"}) or discord ({"content"}).
	Format string `yaml:"format"`
	// ChatID is the Telegram chat the bot writes to; format telegram only.
	ChatID string `yaml:"chat_id"`
	// Events are the kinds to send: fill, exit, trading_state,
	// kill_switch, error. Empty sends all.
	Events []string `yaml:"events"`
}

// Strategy is one strategy instance.
type Strategy struct {
	// Name identifies the instance in logs, metrics and client order ids.
	Name    string       `yaml:"name"`
	Type    string       `yaml:"type"`
	Product string       `yaml:"product"`
	Size    Size         `yaml:"size"`
	Params  yaml.Node    `yaml:"params"`
	Exits   exits.Config `yaml:"exits"`

	parsed strategy.Params
}

// Size is how much one entry buys: a quote amount or a base amount.
type Size struct {
	Quote decimal.Decimal `yaml:"quote"`
	Base  decimal.Decimal `yaml:"base"`
}

// StrategyParams returns the instance's decoded, validated parameters.
func (s *Strategy) StrategyParams() strategy.Params { return s.parsed }

// Secret is a string that never prints: fmt, YAML and JSON see
// "[redacted]" (docs/INVARIANTS.md invariant 7). Use Reveal where the value is
// needed.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText implements encoding.TextMarshaler (JSON, slog).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Default returns the configuration every file is decoded over: the
// defaults of every field, in one place.
func Default() *Config {
	return &Config{
		Mode: ModePaper,
		Log:  Log{Format: "auto", Level: "info"},
		Web:  Web{ListenAddress: "127.0.0.1:9464"},
		Paper: Paper{
			Feed:      "replay",
			Recording: "bundled",
			Speed:     60,
			Balances:  map[string]decimal.Decimal{"USD": decimal.NewFromInt(10000), "USDT": decimal.NewFromInt(10000)},
			Fees:      Fees{Maker: decimal.RequireFromString("0.004"), Taker: decimal.RequireFromString("0.006")},
		},
		Coinbase: Coinbase{
			RESTURL:       "https://api.coinbase.com/api/v3/brokerage",
			MarketDataURL: "wss://advanced-trade-ws.coinbase.com",
			UserURL:       "wss://advanced-trade-ws-user.coinbase.com",
		},
		Risk:            risk.DefaultConfig(),
		KillSwitch:      KillSwitch{Signal: "SIGUSR1"},
		ShutdownTimeout: 10 * time.Second,
		LoopStallAfter:  defaultLoopStallAfter,
	}
}

// Bounds of loop_stall_after. The default is well above the longest
// bounded pause of a loop: one order through the executor with every
// Coinbase request timing out (10 s a request; the executor's three
// retries each asking Coinbase about the order, with the client's own
// retries) takes about three minutes, and an exit that cancels before it
// sells adds the cancel's. Below a few minutes a slow Coinbase restarts the
// daemon, which mends nothing; the floor is for tests and paper trading.
const (
	defaultLoopStallAfter = 5 * time.Minute
	minLoopStallAfter     = 5 * time.Second
	maxLoopStallAfter     = time.Hour
)

// DefaultProducts are the products the simulated exchange lists when the
// config names none: Coinbase's BTC-USD increments, also used for the
// bundled BTC-USDT recording.
func DefaultProducts() []Product {
	d := decimal.RequireFromString
	mk := func(id string) Product {
		return Product{ID: id, BaseIncrement: d("0.00000001"), QuoteIncrement: d("0.01"), PriceIncrement: d("0.01"),
			BaseMinSize: d("0.00001"), BaseMaxSize: d("3400"), QuoteMinSize: d("1"), QuoteMaxSize: d("150000000")}
	}
	return []Product{mk("BTC-USD"), mk("BTC-USDT")}
}

// instanceName is compiled at first use, as are the loader's patterns: a
// command that loads no config (tradebot version, the kill switch's
// client) does not compile them at start-up, where every package's
// initialisation runs whatever the command.
var instanceName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`) })

// Validate lists every invalid value; each error's text starts with the
// field's yaml path.
func (c *Config) Validate() []error {
	var errs []error
	add := func(field, format string, args ...any) {
		for i, a := range args {
			if s, ok := a.(string); ok {
				args[i] = echo.Cut(s) // values echoed back
			}
		}
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch c.Mode {
	case ModePaper, ModeLive:
	default:
		add("mode", "must be paper or live, got %q", c.Mode)
	}
	switch c.Log.Format {
	case "auto", "text", "json":
	default:
		add("log.format", "must be auto, text or json, got %q", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.ShutdownTimeout < time.Second || c.ShutdownTimeout > 5*time.Minute {
		add("shutdown_timeout", "must be between 1s and 5m, got %s", c.ShutdownTimeout)
	}
	if c.LoopStallAfter < minLoopStallAfter || c.LoopStallAfter > maxLoopStallAfter {
		add("loop_stall_after", "must be between 5s and 1h, got %s", c.LoopStallAfter)
	}
	if c.Mode == ModeLive && c.StateDir == "" {
		add("state_dir", "live mode needs a state directory for its journal")
	}
	if c.Mode == ModePaper {
		switch c.Paper.Feed {
		case "replay":
			if c.Paper.Recording == "" {
				add("paper.recording", "must be \"bundled\" or a recording file")
			}
		case "coinbase":
			if c.Paper.Lockstep {
				// Waiting for the strategies before each tick would stall
				// the WebSocket reader and lose Coinbase's messages.
				add("paper.lockstep", "is for replays only; it cannot hold back Coinbase's live feed (set it false, or paper.feed: replay)")
			}
		default:
			add("paper.feed", "must be replay or coinbase, got %q", c.Paper.Feed)
		}
		if c.Paper.Speed < 0 {
			add("paper.speed", "must be 0 (as fast as possible) or positive, got %g", c.Paper.Speed)
		}
		for _, f := range []struct {
			name string
			v    decimal.Decimal
		}{{"paper.fees.maker", c.Paper.Fees.Maker}, {"paper.fees.taker", c.Paper.Fees.Taker}} {
			if f.v.IsNegative() || f.v.GreaterThanOrEqual(decimal.NewFromInt(1)) {
				add(f.name, "must be a rate in [0, 1), got %s", f.v)
			}
		}
		if c.Paper.SlippageBps.IsNegative() {
			add("paper.slippage_bps", "must not be negative")
		}
		for i, p := range c.Paper.Products {
			path := fmt.Sprintf("paper.products[%d]", i)
			if a, b := splitProductID(p.ID); a == "" || b == "" {
				add(path+".id", "must look like BASE-QUOTE, got %q", p.ID)
			}
			if !p.BaseIncrement.IsPositive() {
				add(path+".base_increment", "must be positive")
			}
			if !p.QuoteIncrement.IsPositive() {
				add(path+".quote_increment", "must be positive")
			}
		}
	}
	if c.Mode == ModeLive || c.Paper.Feed == "coinbase" {
		for _, u := range []struct{ field, v string }{
			{"coinbase.rest_url", c.Coinbase.RESTURL},
			{"coinbase.market_data_url", c.Coinbase.MarketDataURL},
			{"coinbase.user_url", c.Coinbase.UserURL},
		} {
			if pu, err := url.Parse(u.v); err != nil || pu.Host == "" {
				add(u.field, "must be an absolute URL, got %q", u.v)
			}
		}
	}
	// A live config without a key is not refused here: the daemon also
	// takes the key from the environment or a systemd credential, which
	// the config does not see (daemon.LoadCredentials says what is
	// missing when none is set).
	errs = append(errs, c.Notify.validate()...)
	switch c.KillSwitch.Signal {
	case "", "none", "SIGUSR1", "SIGUSR2":
	default:
		add("kill_switch.signal", "must be SIGUSR1, SIGUSR2 or none, got %q", c.KillSwitch.Signal)
	}
	for i, n := range c.KillSwitch.HostNames {
		if !validHostName(n) {
			add(fmt.Sprintf("kill_switch.host_names[%d]", i), "%q is not a host name such as bot.example.com (no scheme, port or path)", n)
		}
	}
	for _, e := range c.Risk.Validate() {
		errs = append(errs, fmt.Errorf("risk.%w", e))
	}
	if len(c.Strategies) == 0 {
		add("strategies", "at least one strategy instance is needed")
	}
	seen := map[string]bool{}
	for i, s := range c.Strategies {
		path := fmt.Sprintf("strategies[%d]", i)
		if !instanceName().MatchString(s.Name) {
			add(path+".name", "must be 1-32 characters of a-z, 0-9, _ and -, starting with a letter or digit; got %q", s.Name)
		} else if seen[s.Name] {
			add(path+".name", "%q is used by another instance", s.Name)
		}
		seen[s.Name] = true
		if a, b := splitProductID(s.Product); a == "" || b == "" {
			add(path+".product", "must look like BASE-QUOTE, got %q", s.Product)
		} else if c.Mode == ModePaper && !c.hasPaperProduct(s.Product) {
			add(path+".product", "%q is not among paper.products", s.Product)
		}
		if s.Size.Quote.IsPositive() == s.Size.Base.IsPositive() {
			add(path+".size", "give exactly one of quote and base, positive")
		}
		ex := s.Exits
		if stop := s.InventoryStop(); stop.IsPositive() {
			// The strategy's own stop protects its inventory (the engine
			// makes it the stop_loss); exits acting on the average entry
			// would sell its lots under it.
			// Each refused exit is its own problem: check lists them all.
			if ex.StopLoss != nil {
				add(path+".exits.stop_loss", "type %s sets the inventory's stop (%s) from its params; remove exits.stop_loss", s.Type, stop)
			}
			if len(ex.TakeProfit) > 0 {
				add(path+".exits.take_profit", inventoryExitRefused, s.Type, "take_profit")
			}
			if ex.TrailingStop != nil {
				add(path+".exits.trailing_stop", inventoryExitRefused, s.Type, "trailing_stop")
			}
			if ex.BreakEven != nil {
				add(path+".exits.break_even", inventoryExitRefused, s.Type, "break_even")
			}
			ex.StopLoss = &exits.StopLoss{Price: stop}
		}
		for _, e := range ex.Validate() {
			errs = append(errs, fmt.Errorf("%s.exits.%w", path, e))
		}
	}
	errs = append(errs, c.checkCooldownReasons()...)
	return errs
}

// checkCooldownReasons refuses a stop_loss_cooldown.exit_reasons entry
// that no round trip can end under: neither an exit rule's reason nor one
// a strategy declares (strategy.Needs.Closes). A typo there (stop_los)
// turns the cooldown off without a word.
func (c *Config) checkCooldownReasons() []error {
	cd := c.Risk.StopLossCooldown
	if cd.StopLosses <= 0 {
		return nil
	}
	known := slices.Clone(exits.Reasons)
	for i := range c.Strategies {
		n := c.Strategies[i].needs()
		if n == nil {
			// Its params are in error, a problem of their own: the
			// reasons it declares are not known, and a reason of its
			// would be refused for that alone.
			return nil
		}
		for _, r := range n.CloseReasons() {
			if !slices.Contains(known, r) {
				known = append(known, r)
			}
		}
	}
	var errs []error
	for i, r := range cd.ExitReasons {
		if !slices.Contains(known, r) {
			errs = append(errs, fmt.Errorf("risk.stop_loss_cooldown.exit_reasons[%d]: %q is neither an exit rule's reason nor one a strategy declares, so no round trip would count (known: %s)",
				i, echo.Cut(r), strings.Join(known, ", ")))
		}
	}
	return errs
}

// inventoryExitRefused is the problem of an exit that acts on the whole
// inventory of a strategy that sells its lots itself.
const inventoryExitRefused = "type %s sells its lots itself: %s acts on the average entry of the whole inventory and would sell them under it; " +
	"only placement, time_stop and the stop settings apply"

// InventoryStop is the stop an inventory strategy (a grid) declares with
// strategy.Needs.Inventory, zero for any other or for params in error.
// Such a strategy sells its lots itself.
func (s *Strategy) InventoryStop() decimal.Decimal {
	if n := s.needs(); n != nil {
		return n.InventoryStop()
	}
	return decimal.Zero
}

// CloseReasons are the reasons the instance's strategy declares it may end
// a round trip under (strategy.Needs.Closes), none for params in error.
func (s *Strategy) CloseReasons() []string {
	if n := s.needs(); n != nil {
		return n.CloseReasons()
	}
	return nil
}

// needs is what the instance's strategy declares, nil for params in
// error.
func (s *Strategy) needs() *strategy.Needs {
	if s.parsed == nil || len(s.parsed.Validate()) > 0 {
		return nil
	}
	st, err := s.parsed.Build()
	if err != nil {
		return nil
	}
	return strategy.NeedsOf(strategy.Adapt(st), s.Product)
}

func (c *Config) hasPaperProduct(id string) bool {
	for _, p := range c.PaperProducts() {
		if p.ID == id {
			return true
		}
	}
	return false
}

// PaperProducts returns paper.products, or DefaultProducts when none are
// configured.
func (c *Config) PaperProducts() []Product {
	if len(c.Paper.Products) > 0 {
		return c.Paper.Products
	}
	return DefaultProducts()
}

func splitProductID(id string) (base, quote string) {
	for i := 0; i < len(id); i++ {
		if id[i] == '-' {
			return id[:i], id[i+1:]
		}
	}
	return "", ""
}

func lookupStrategy(name string) (strategy.Type, error) { return strategy.Lookup(name) }

// validHostName reports whether n is a DNS host name: dot-separated labels
// of letters, digits and hyphens, none starting or ending with a hyphen.
func validHostName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(n, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
