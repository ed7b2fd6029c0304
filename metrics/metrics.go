package metrics

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tradebot/tradebot/clock"
)

// namespace prefixes every metric name.
const namespace = "tradebot"

// Label set limits: how many distinct free-form values a label may take
// before further ones are counted as Other.
const (
	maxReasons   = 64
	maxRules     = 64
	maxEndpoints = 64
	maxFeeds     = 16
	maxCodes     = 64
)

// InstanceID names one strategy instance trading one product, the pair
// that labels position, order and exit metrics.
type InstanceID struct {
	Strategy string
	Product  string
}

// Options says which label values exist from the start, so that their
// series show zeros on dashboards before anything happens, and where time
// comes from.
type Options struct {
	// Clock tells the time for tradebot_feed_last_tick_age_seconds; nil
	// means the wall clock. Backtests pass their simulated clock.
	Clock clock.Clock
	// WallClock tells the time for tradebot_loop_last_turn_age_seconds;
	// nil means the wall clock. Never a replay's clock: a loop's stall is
	// measured in real time. Tests pass a simulated one.
	WallClock clock.Clock
	// Version and Revision label tradebot_build_info; an empty Revision is
	// taken from the binary's VCS stamp when there is one.
	Version  string
	Revision string
	// Instances are the configured (strategy, product) pairs. Each gets
	// its position series, and the counters of its entry and of its exits
	// by the rules in Exits, at zero.
	Instances []InstanceID
	// Exits are the exit reasons each instance can count: the exit rules
	// its config has (stop_loss, take_profit, trailing_stop, break_even,
	// time_stop) and those its strategy closes under (signal, strategy);
	// an instance missing here gets stop_loss. Every instance also gets
	// kill_switch, fallback and unknown, which no config rules out.
	Exits map[InstanceID][]string
	// RESTEndpoints are the venue's REST endpoints the daemon may call;
	// their request, error and retry series exist from the start.
	RESTEndpoints []string
	// RejectReasons are the venue's order failure reasons; their
	// tradebot_order_rejections_total series exist from the start.
	RejectReasons []string
	// Currencies are the account's currencies (balances).
	Currencies []string
	// Feeds name the market-data and user channels (e.g. ticker, user).
	Feeds []string
	// RiskRules name the guard's rules; each gets a series per verdict.
	RiskRules []string
	// RiskVerdicts are the guard's verdicts; nil means allow and reject,
	// the risk package's.
	RiskVerdicts []string
}

// Metrics records everything tradebot exposes. Make it with New; its
// methods are safe for concurrent use and never block on I/O.
type Metrics struct {
	clock clock.Clock
	// wall is Options.WallClock, for the loops' ages.
	wall clock.Clock

	positionSize      *prometheus.GaugeVec
	positionNotional  *prometheus.GaugeVec
	positionAvgEntry  *prometheus.GaugeVec
	unrealizedPnL     *prometheus.GaugeVec
	realizedPnL       *prometheus.GaugeVec
	feesPaid          *prometheus.CounterVec
	equity            prometheus.Gauge
	equityPeak        prometheus.Gauge
	balance           *prometheus.GaugeVec
	balanceHold       *prometheus.GaugeVec
	orders            *prometheus.CounterVec
	ordersOpen        *prometheus.GaugeVec
	fills             *prometheus.CounterVec
	rejections        *prometheus.CounterVec
	exits             *prometheus.CounterVec
	stopPrice         *prometheus.GaugeVec
	stopDistance      *prometheus.GaugeVec
	unprotected       prometheus.Gauge
	riskDecisions     *prometheus.CounterVec
	tradingState      *prometheus.GaugeVec
	killSwitch        prometheus.Gauge
	dailyLoss         prometheus.Gauge
	dailyLossLimit    prometheus.Gauge
	feedLag           *prometheus.HistogramVec
	feedReconnects    *prometheus.CounterVec
	feedGaps          *prometheus.CounterVec
	feedConflated     *prometheus.CounterVec
	feedMalformed     *prometheus.CounterVec
	feedTicks         *prometheus.CounterVec
	restDuration      *prometheus.HistogramVec
	restErrors        *prometheus.CounterVec
	restRetries       *prometheus.CounterVec
	rateLimitWait     prometheus.Counter
	tickToOrder       prometheus.Histogram
	tickAge           *ageCollector
	loopAge           *ageCollector
	buildInfo         *prometheus.GaugeVec
	health            health
	reasons, rules    *tokenSet
	verdicts          *tokenSet
	endpoints, codes  *tokenSet
	feeds, currencies *tokenSet

	// mu serialises the creation of handles; readers load the maps through
	// the atomic pointers without locking (copy on write), because the
	// tick path looks a product up on every tick.
	mu        sync.Mutex
	instances atomic.Pointer[map[InstanceID]*Instance]
	products  atomic.Pointer[map[string]*Product]
}

// lagBuckets span a same-machine replay (well under a millisecond) to a
// feed stuck behind a slow network (seconds).
var lagBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// restBuckets span a fast Coinbase answer (~20 ms) to the client's timeout.
var restBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// tickToOrderBuckets run from 1 µs to 1 s in 1-2.5-5 steps: the engine's
// own latency is microseconds; anything near a second is a stall.
var tickToOrderBuckets = []float64{
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
	1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1,
}

// New defines every tradebot metric on reg and pre-creates the series for
// the label values in opts. It fails if reg already holds a metric of the
// same name (two Metrics on one registry).
func New(reg prometheus.Registerer, opts Options) (*Metrics, error) {
	clk := opts.Clock
	if clk == nil {
		clk = clock.Wall{}
	}
	wall := opts.WallClock
	if wall == nil {
		wall = clock.Wall{}
	}
	m := &Metrics{
		clock:      clk,
		wall:       wall,
		reasons:    newTokenSet(maxReasons),
		rules:      newTokenSet(maxRules),
		verdicts:   newTokenSet(maxRules),
		endpoints:  newTokenSet(maxEndpoints),
		codes:      newTokenSet(maxCodes),
		feeds:      newTokenSet(maxFeeds),
		currencies: newTokenSet(maxReasons),
	}
	m.instances.Store(&map[InstanceID]*Instance{})
	m.products.Store(&map[string]*Product{})

	sp := []string{"strategy", "product"}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	scalar := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help})
	}

	m.positionSize = gauge("position_size", "Position size in base currency; 0 when flat.", sp...)
	m.positionNotional = gauge("position_notional", "Position value in quote currency at the last mark price.", sp...)
	m.positionAvgEntry = gauge("position_average_entry", "Average entry price of the open position in quote currency; 0 when flat.", sp...)
	m.unrealizedPnL = gauge("unrealized_pnl", "Unrealized profit or loss of the open position at the last mark, in quote currency.", sp...)
	m.realizedPnL = gauge("realized_pnl", "Cumulative realized profit or loss in quote currency, net of fees.", sp...)
	m.feesPaid = counter("fees_paid_total", "Fees paid on fills, in quote currency.", sp...)
	m.equity = scalar("equity", "Account equity (balances at mark) in quote currency.")
	m.equityPeak = scalar("equity_peak", "Highest account equity seen, in quote currency; drawdown is measured from it.")
	m.balance = gauge("balance", "Funds per currency: available plus held.", "currency")
	m.balanceHold = gauge("balance_hold", "Funds per currency reserved by open orders.", "currency")
	m.orders = counter("orders_total", "Orders by the state they reached: submitted when placed, then the terminal state (filled, cancelled, rejected, failed, expired).", "strategy", "product", "side", "type", "status")
	m.ordersOpen = gauge("orders_open", "Orders submitted and not yet in a terminal state.", sp...)
	m.fills = counter("fills_total", "Fills (executions, partial or whole) by side and liquidity (maker or taker).", "strategy", "product", "side", "liquidity")
	m.rejections = counter("order_rejections_total", "Orders refused by the venue or by validation, by failure reason (Coinbase's NewOrderFailureReason).", "reason")
	m.exits = counter("exits_total", "Position exits by the rule that closed them.", "strategy", "product", "reason")
	m.stopPrice = gauge("stop_price", "Protective stop price of the open position in quote currency; 0 when flat or without a stop.", sp...)
	m.stopDistance = gauge("stop_distance_ratio", "Distance from the last price down to the stop as a fraction of the last price, (last - stop) / last; 0 when flat or without a stop.", sp...)
	m.unprotected = scalar("positions_unprotected", "Open positions that have neither a resting nor a watched stop; must stay 0.")
	m.riskDecisions = counter("risk_decisions_total", "Risk guard decisions by rule and verdict.", "rule", "verdict")
	m.tradingState = gauge("trading_state", "1 for the current trading state (ACTIVE, REDUCING, HALTED), 0 for the others.", "state")
	m.killSwitch = scalar("kill_switch_engaged", "1 while the kill switch stops new entries, else 0.")
	m.dailyLoss = scalar("daily_loss", "Loss since the start of the trading day in quote currency (positive is a loss).")
	m.dailyLossLimit = scalar("daily_loss_limit", "Daily loss at which the risk guard halts entries, in quote currency.")
	m.feedLag = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "feed_lag_seconds", Buckets: lagBuckets,
		Help: "Delay from the venue's event time to its receipt by tradebot.",
	}, []string{"product"})
	m.feedReconnects = counter("feed_reconnects_total", "WebSocket reconnections per feed.", "feed")
	m.feedGaps = counter("feed_sequence_gaps_total", "Sequence number gaps (lost messages) per feed.", "feed")
	m.feedConflated = counter("feed_conflated_ticks_total", "Ticks a slow strategy skipped because a newer tick for the same product replaced them in its mailbox.", "strategy")
	m.feedMalformed = counter("feed_malformed_messages_total", "Feed messages that could not be decoded and were dropped.", "feed")
	m.feedTicks = counter("feed_ticks_total", "Ticks received per product.", "product")
	m.restDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "rest_request_duration_seconds", Buckets: restBuckets,
		Help: "Duration of REST requests to the venue by endpoint and HTTP status code (or timeout, canceled, network).",
	}, []string{"endpoint", "code"})
	m.restErrors = counter("rest_errors_total", "REST requests that failed: HTTP status 4xx/5xx or no answer (timeout, canceled, network).", "endpoint", "code")
	m.restRetries = counter("rest_retries_total", "REST requests retried by the client, by why: 429, 5xx or transport.", "endpoint", "reason")
	m.rateLimitWait = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "rest_rate_limit_wait_seconds_total",
		Help: "Time REST requests spent waiting for the client-side rate limiter.",
	})
	m.tickToOrder = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "tick_to_order_seconds", Buckets: tickToOrderBuckets,
		Help: "Time from receiving the tick that triggered an order to handing the order to the venue client.",
	})
	m.tickAge = &ageCollector{clock: clk, last: m.tickTimes, desc: prometheus.NewDesc(namespace+"_feed_last_tick_age_seconds",
		"Seconds since the last tick for the product was received (since start when none yet); grows while the feed is silent.",
		[]string{"product"}, nil)}
	m.loopAge = &ageCollector{clock: wall, last: m.turnTimes, desc: prometheus.NewDesc(namespace+"_loop_last_turn_age_seconds",
		"Seconds since the strategy instance's loop last took an event (about once a second while it runs; since start before its first); grows while the loop is stuck.",
		[]string{"strategy"}, nil)}
	m.buildInfo = gauge("build_info", "Always 1; labels say which build is running.", "version", "goversion", "revision")

	for _, c := range []prometheus.Collector{
		m.positionSize, m.positionNotional, m.positionAvgEntry, m.unrealizedPnL, m.realizedPnL,
		m.feesPaid, m.equity, m.equityPeak, m.balance, m.balanceHold, m.orders, m.ordersOpen,
		m.fills, m.rejections, m.exits, m.stopPrice, m.stopDistance, m.unprotected,
		m.riskDecisions, m.tradingState, m.killSwitch, m.dailyLoss, m.dailyLossLimit,
		m.feedLag, m.feedReconnects, m.feedGaps, m.feedConflated, m.feedMalformed, m.feedTicks,
		m.restDuration, m.restErrors, m.restRetries, m.rateLimitWait, m.tickToOrder, m.tickAge, m.loopAge, m.buildInfo,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}

	var err error
	if m.health, err = newHealth(reg, opts.Feeds); err != nil {
		return nil, fmt.Errorf("metrics: register: %w", err)
	}
	m.buildInfo.WithLabelValues(orDefault(opts.Version, "unknown"), runtime.Version(), revision(opts.Revision)).Set(1)
	m.declare(opts)
	return m, nil
}

// declare pre-creates the series for the label values known at start.
func (m *Metrics) declare(opts Options) {
	for _, s := range states {
		m.tradingState.WithLabelValues(s)
	}
	for _, id := range opts.Instances {
		m.Instance(id.Strategy, id.Product).declareSeries(opts.Exits[id])
		m.Product(id.Product)
	}
	for _, r := range opts.RejectReasons {
		m.rejections.WithLabelValues(m.reasons.admit(r))
	}
	// A REST call's series by the outcomes worth an alert: its duration
	// when it succeeds, its errors on a rate limit, a server error and no
	// answer, its retries by each reason the client retries for. Other
	// codes appear at their first occurrence.
	for _, e := range opts.RESTEndpoints {
		e = m.endpoints.admit(e)
		m.restDuration.WithLabelValues(e, "200")
		for _, code := range []string{"429", "500", "timeout", "network"} {
			m.restErrors.WithLabelValues(e, m.codes.admit(code))
		}
		for _, reason := range []string{"429", "5xx", "transport"} {
			m.restRetries.WithLabelValues(e, m.reasons.admit(reason))
		}
	}
	for _, c := range opts.Currencies {
		c = m.currencies.admit(c)
		m.balance.WithLabelValues(c)
		m.balanceHold.WithLabelValues(c)
	}
	for _, f := range opts.Feeds {
		f = m.feeds.admit(f)
		m.feedReconnects.WithLabelValues(f)
		m.feedGaps.WithLabelValues(f)
		m.feedMalformed.WithLabelValues(f)
	}
	verdicts := opts.RiskVerdicts
	if verdicts == nil {
		verdicts = []string{"allow", "reject"}
	}
	for _, r := range opts.RiskRules {
		for _, v := range verdicts {
			m.riskDecisions.WithLabelValues(m.rules.admit(r), m.verdicts.admit(v))
		}
	}
}

// NewRegistry returns a registry holding the Go runtime and process
// collectors (goroutines, memory, open files, start time), to which New
// adds tradebot's own metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// revision returns r, or the VCS revision stamped into the binary, or
// "unknown".
func revision(r string) string {
	if r != "" {
		return r
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return "unknown"
}
