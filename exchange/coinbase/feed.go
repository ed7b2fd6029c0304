package coinbase

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gorilla/websocket"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// WebSocket endpoints of Advanced Trade.
const (
	DefaultMarketURL = "wss://advanced-trade-ws.coinbase.com"
	DefaultUserURL   = "wss://advanced-trade-ws-user.coinbase.com"
)

// FeedConfig configures a Feed. Callbacks run on the goroutine of their
// connection (OnTick and OnCandle on the market connection's, OnOrder and
// OnResync on the user connection's) and must not block: hand the value
// to a bounded mailbox and return.
type FeedConfig struct {
	// MarketURL and UserURL default to DefaultMarketURL and DefaultUserURL.
	MarketURL, UserURL string
	// Credentials sign every subscribe message; required for the user
	// channel, optional (but recommended by Coinbase) for market data.
	Credentials *Credentials
	// Products are the market-data products.
	Products []string
	// Channels are the market-data channels: ChannelTicker,
	// ChannelMarketTrades, ChannelLevel2, ChannelCandles. Heartbeats are
	// always subscribed.
	Channels []string
	// User subscribes the user channel on its own connection, for
	// UserProducts (all products when empty).
	User         bool
	UserProducts []string

	// OnTick receives trades (market_trades, oldest first, with the
	// taker's side) and best bid/ask quotes (from ticker, and from the
	// level2 book whenever its top changes).
	OnTick func(exchange.Tick)
	// OnCandle receives the candles channel's five-minute bars. Coinbase
	// resends the bar in progress every second, so the same Start arrives
	// many times; the last one seen is current, and a bar is final once a
	// later Start arrives.
	OnCandle func(exchange.Candle)
	// OnOrder receives every order state from the user channel, with a
	// Fill when the cumulative filled size grew (see exchange.UserChannelTradeIDPrefix).
	OnOrder func(exchange.OrderEvent)
	// OnResync is called when user-channel messages may have been lost:
	// "connect" (the first subscription), "reconnect" or "sequence_gap".
	// The engine should reconcile orders and fills through REST.
	OnResync func(reason string)
	// OnConnection is told when a connection ("market" or "user") starts
	// to deliver (up: subscribed and its first message received) and when
	// it ends (down). While the user connection is down, fills cannot be
	// seen.
	OnConnection func(feed string, up bool)

	// HeartbeatTimeout is how long a connection may stay silent before it
	// is dropped and redialled (default 15s; heartbeats come every second).
	HeartbeatTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the jittered exponential
	// backoff between connection attempts (defaults 500ms and 30s). The
	// backoff starts again from ReconnectMin once a connection has
	// subscribed and received a message, however short it lived.
	ReconnectMin, ReconnectMax time.Duration
	// Dialer defaults to a dialer with a 10s handshake timeout.
	Dialer   *websocket.Dialer
	Observer Observer
	Clock    clock.Clock
	Logger   *slog.Logger
}

// Feed keeps the market-data and user WebSocket connections alive and
// turns their messages into ticks, candles and order events.
type Feed struct {
	cfg FeedConfig
	obs Observer
	log *slog.Logger
	clk clock.Clock
	// redialUser asks the user connection to drop and dial again
	// (RedialUser); buffered 1 so that requests coalesce.
	redialUser chan struct{}
}

// RedialUser drops the user connection, if one is open, and dials again
// with fresh subscriptions, reporting reason "redial": for a caller that
// found the channel silent about orders while its socket and heartbeats
// go on (a subscription the venue dropped without a word). A request
// made while no connection is open is dropped: the next one subscribes
// afresh anyway.
func (f *Feed) RedialUser() {
	select {
	case f.redialUser <- struct{}{}:
	default:
	}
}

// maxMessage bounds one WebSocket message; level2 snapshots are large
// (the Python SDK allows 10 MB).
const maxMessage = 16 << 20

// NewFeed checks cfg and returns a feed; Run starts it.
func NewFeed(cfg FeedConfig) (*Feed, error) {
	if cfg.MarketURL == "" {
		cfg.MarketURL = DefaultMarketURL
	}
	if cfg.UserURL == "" {
		cfg.UserURL = DefaultUserURL
	}
	for _, ch := range cfg.Channels {
		switch ch {
		case ChannelTicker, ChannelMarketTrades, ChannelLevel2, ChannelCandles:
		default:
			// ticker_batch carries no best bid/ask, so it would make
			// quotes without prices; status carries nothing tradebot uses.
			return nil, fmt.Errorf("coinbase feed: channel %q is not one of ticker, market_trades, level2, candles", ch)
		}
	}
	if len(cfg.Channels) > 0 && len(cfg.Products) == 0 {
		return nil, errors.New("coinbase feed: market channels need at least one product")
	}
	if cfg.User && cfg.Credentials == nil {
		return nil, errors.New("coinbase feed: the user channel needs credentials")
	}
	if len(cfg.Channels) == 0 && !cfg.User {
		return nil, errors.New("coinbase feed: no channel to subscribe")
	}
	if cfg.HeartbeatTimeout <= 0 {
		cfg.HeartbeatTimeout = 15 * time.Second
	}
	if cfg.ReconnectMin <= 0 {
		cfg.ReconnectMin = 500 * time.Millisecond
	}
	if cfg.ReconnectMax < cfg.ReconnectMin {
		cfg.ReconnectMax = max(30*time.Second, cfg.ReconnectMin)
	}
	if cfg.Dialer == nil {
		cfg.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: websocket.DefaultDialer.Proxy}
	}
	f := &Feed{cfg: cfg, obs: cfg.Observer, log: cfg.Logger, clk: cfg.Clock, redialUser: make(chan struct{}, 1)}
	if f.obs == nil {
		f.obs = NopObserver{}
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.clk == nil {
		f.clk = clock.Wall{}
	}
	return f, nil
}

// Run keeps the connections until ctx ends, then closes them and returns
// nil. Every goroutine it starts has ended when it returns.
func (f *Feed) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if len(f.cfg.Channels) > 0 {
		m := newMarketSession(f)
		wg.Go(func() { f.keep(ctx, "market", f.cfg.MarketURL, m) })
	}
	if f.cfg.User {
		u := newUserSession(f)
		wg.Go(func() { f.keep(ctx, "user", f.cfg.UserURL, u) })
	}
	wg.Wait()
	return nil
}

// session is what one kind of connection does with its socket.
type session interface {
	// subscriptions lists the channels to subscribe on a new connection,
	// after heartbeats.
	subscriptions() []subscription
	// connected is called after subscribing; reconnect is false the first
	// time.
	connected(reconnect bool)
	// handle processes one message; a non-nil action asks the connection
	// to resubscribe a channel or to reconnect.
	handle(msg []byte, c *conn) error
}

type subscription struct {
	channel  string
	products []string
}

// errReconnect asks keep to drop the connection and dial again; its
// reason is reported to the observer.
type errReconnect struct{ reason string }

func (e errReconnect) Error() string { return "reconnect: " + e.reason }

// errorReason is the reconnect reason for a server's error message:
// "auth_failure" when it refused the subscription's JWT (a revoked or
// unknown key, a skewed clock), "server_error" otherwise.
func errorReason(message string) string {
	if strings.Contains(strings.ToLower(message), "authentication") {
		return "auth_failure"
	}
	return "server_error"
}

// keep dials, subscribes and reads until ctx ends, reconnecting with
// jittered exponential backoff (each wait drawn within ±50 % of a delay
// that doubles up to ReconnectMax). A connection that subscribed and
// received data resets the backoff: drops every 20 s must not grow the
// wait to the cap (issue 15, finding 3), while a server that accepts and
// then says nothing, or refuses to dial, still backs off.
func (f *Feed) keep(ctx context.Context, name, url string, s session) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.Multiplier, b.RandomizationFactor = f.cfg.ReconnectMin, f.cfg.ReconnectMax, 2, 0.5
	b.MaxElapsedTime = 0
	b.Reset()
	connected := false
	for ctx.Err() == nil {
		reason, established, delivered := f.connect(ctx, name, url, s, connected)
		connected = connected || established
		if delivered {
			b.Reset()
			f.connection(name, false)
		}
		if ctx.Err() != nil {
			return
		}
		f.obs.Reconnect(name, reason)
		d := min(b.NextBackOff(), f.cfg.ReconnectMax)
		f.obs.ReconnectDelay(name, d)
		f.log.Warn("coinbase feed reconnecting", "feed", name, "reason", reason, "delay", d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// connection tells OnConnection that feed's connection is up or down.
func (f *Feed) connection(name string, up bool) {
	if f.cfg.OnConnection != nil {
		f.cfg.OnConnection(name, up)
	}
}

// conn is one WebSocket connection with its per-connection sequence
// state. Only the goroutine running connect touches it.
type conn struct {
	ws      *websocket.Conn
	f       *Feed
	name    string
	lastSeq int64 // -1 before the first message
	// staleRun counts consecutive messages whose sequence number did not
	// advance; see sequence.
	staleRun int
	// delivered is set by the first message read after subscribing.
	delivered bool
	// redialed is set when the socket was closed on a redial request
	// (watchRedial), so that read reports why.
	redialed atomic.Bool
}

// watchRedial closes the connection when a redial is asked for on ch,
// until the returned function is called; that function returns once
// the watcher has ended. A request left from before this connection is
// dropped first: it was meant for one that is gone.
func (c *conn) watchRedial(ch chan struct{}) (stop func()) {
	select {
	case <-ch:
	default:
	}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		select {
		case <-ch:
			c.redialed.Store(true)
			c.ws.Close()
		case <-done:
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}

// maxStaleRun is how many messages in a row may fail to advance the
// sequence number before the connection is dropped. Coinbase documents
// numbers that increase by one per message on a connection, and an older
// number as out of order; a counter that stops advancing means the
// server does not number the way this client assumes, and rather than
// silently dropping everything the feed reconnects, visibly, with reason
// "sequence_stuck".
const maxStaleRun = 3

// connect runs one connection and returns why it ended, whether it got
// as far as subscribing (a later connection is then a reconnection), and
// whether it delivered: subscribed and received a message (it was then
// reported up to OnConnection, and the caller reports it down).
func (f *Feed) connect(ctx context.Context, name, url string, s session, reconnect bool) (reason string, established, delivered bool) {
	ws, resp, err := f.cfg.Dialer.DialContext(ctx, url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		f.log.Warn("coinbase feed dial failed", "feed", name, "err", err)
		return "dial", false, false
	}
	defer ws.Close()
	// Closing the socket is how a blocked read learns that ctx ended.
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	ws.SetReadLimit(maxMessage)
	c := &conn{ws: ws, f: f, name: name, lastSeq: -1}
	if name == "user" {
		defer c.watchRedial(f.redialUser)()
	}
	if err := c.subscribe("subscribe", subscription{channel: ChannelHeartbeats}); err != nil {
		return "write", false, false
	}
	for _, sub := range s.subscriptions() {
		if err := c.subscribe("subscribe", sub); err != nil {
			return "write", false, false
		}
	}
	s.connected(reconnect)
	reason = c.read(ctx, s)
	return reason, true, c.delivered
}

// read handles messages until the connection fails, goes silent or a
// message asks to reconnect, and returns why.
func (c *conn) read(ctx context.Context, s session) string {
	f, ws, name := c.f, c.ws, c.name
	for {
		if err := ws.SetReadDeadline(time.Now().Add(f.cfg.HeartbeatTimeout)); err != nil {
			return "read"
		}
		_, msg, err := ws.ReadMessage()
		if err != nil && c.redialed.Load() {
			f.log.Warn("coinbase feed redialling on request", "feed", name)
			return "redial"
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				f.log.Warn("coinbase feed silent, reconnecting", "feed", name, "timeout", f.cfg.HeartbeatTimeout)
				return "watchdog"
			}
			if ctx.Err() == nil {
				f.log.Warn("coinbase feed read failed", "feed", name, "err", err)
			}
			return "read"
		}
		if !c.delivered {
			c.delivered = true
			f.obs.ReconnectDelay(name, 0)
			f.connection(name, true)
		}
		err = s.handle(msg, c)
		if c.staleRun >= maxStaleRun {
			return "sequence_stuck"
		}
		if err != nil {
			var re errReconnect
			if errors.As(err, &re) {
				return re.reason
			}
			return "handle"
		}
	}
}

// subscribe sends one (un)subscribe message for one channel, with a
// fresh JWT when the feed has credentials.
func (c *conn) subscribe(typ string, sub subscription) error {
	req := SubscribeRequest{Type: typ, Channel: sub.channel, ProductIDs: slices.Clone(sub.products)}
	if creds := c.f.cfg.Credentials; creds != nil {
		tok, err := creds.WSToken(c.f.clk.Now())
		if err != nil {
			return err
		}
		req.JWT = tok
	}
	if err := c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if err := c.ws.WriteJSON(req); err != nil {
		c.f.log.Warn("coinbase feed subscribe failed", "feed", c.name, "channel", sub.channel, "err", err)
		return err
	}
	return nil
}

// sequence checks a message's sequence number against the connection's
// counter. It returns gap > 0 when messages were lost, and stale when the
// message is older than one already seen and should be skipped.
func (c *conn) sequence(seq int64) (gap int64, stale bool) {
	last := c.lastSeq
	if last >= 0 && seq <= last {
		c.staleRun++
		c.f.log.Warn("coinbase feed message out of order, skipped", "feed", c.name, "after", last, "got", seq)
		return 0, true
	}
	c.staleRun = 0
	c.lastSeq = seq
	if last >= 0 && seq > last+1 {
		gap = seq - last - 1
		c.f.obs.SequenceGap(c.name, gap)
		c.f.log.Warn("coinbase feed sequence gap", "feed", c.name, "after", last, "got", seq, "missed", gap)
	}
	return gap, false
}

// channelLabel maps a channel name to the closed set used in metrics.
func channelLabel(ch string) string {
	switch ch {
	case ChannelHeartbeats, ChannelTicker, ChannelTickerBatch, ChannelL2Data, ChannelMarketTrades,
		ChannelCandles, ChannelStatus, ChannelUser, ChannelSubscriptions:
		return ch
	}
	return "other"
}
