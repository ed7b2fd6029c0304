package emulator

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// feedLog collects what the real coinbase.Feed reports.
type feedLog struct {
	mu      sync.Mutex
	ticks   []exchange.Tick
	orders  []exchange.OrderEvent
	resyncs []string
}

func (l *feedLog) waitFor(t *testing.T, what string, cond func(*feedLog) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		ok := cond(l)
		l.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// subscribed reports whether a connection of h takes name for productID:
// a message published from now on reaches it.
func (h *wsHub) subscribed(name, productID string) bool {
	return slices.ContainsFunc(h.list(), func(c *wsConn) bool { return c.wants(name, productID) })
}

// runFeed runs the project's real Feed against the emulator until the
// test ends.
func runFeed(t *testing.T, v *env) *feedLog {
	t.Helper()
	l := &feedLog{}
	f, err := coinbase.NewFeed(coinbase.FeedConfig{
		MarketURL: v.e.MarketDataURL(), UserURL: v.e.UserURL(), Credentials: v.creds,
		Products: []string{"BTC-USD"}, Channels: []string{coinbase.ChannelMarketTrades, coinbase.ChannelLevel2, coinbase.ChannelTicker},
		User:         true,
		OnTick:       func(tk exchange.Tick) { l.mu.Lock(); l.ticks = append(l.ticks, tk); l.mu.Unlock() },
		OnOrder:      func(ev exchange.OrderEvent) { l.mu.Lock(); l.orders = append(l.orders, ev); l.mu.Unlock() },
		OnResync:     func(r string) { l.mu.Lock(); l.resyncs = append(l.resyncs, r); l.mu.Unlock() },
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return l
}

func TestRealFeedReadsMarketDataAndOrdersFromTheEmulator(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{opts: Options{HeartbeatInterval: 50 * time.Millisecond}})
	v.market("50000", "50001", "50000.5")
	l := runFeed(t, v)
	// Wait until both connections have subscribed.
	l.waitFor(t, "two connections", func(*feedLog) bool { return v.e.Stats().WSConnections == 2 && v.e.Stats().JWTsSeen >= 6 })
	l.waitFor(t, "the market trades subscribed", func(*feedLog) bool { return v.e.ws.subscribed(coinbase.ChannelMarketTrades, "BTC-USD") })
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("50001"), Size: d("0.25"), TakerSide: exchange.Buy})
	l.waitFor(t, "the trade", func(l *feedLog) bool {
		return slices.ContainsFunc(l.ticks, func(tk exchange.Tick) bool {
			return tk.Kind == exchange.TradeTick && tk.Price.Equal(d("50001")) && tk.TakerSide == exchange.Buy && tk.Size.Equal(d("0.25"))
		})
	})
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("50000.5"), BidSize: d("1"), Ask: d("50001"), AskSize: d("2")})
	l.waitFor(t, "the new best bid", func(l *feedLog) bool {
		return slices.ContainsFunc(l.ticks, func(tk exchange.Tick) bool { return tk.Kind == exchange.QuoteTick && tk.Bid.Equal(d("50000.5")) })
	})
	o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "fed", ProductID: "BTC-USD", Type: exchange.Limit, Side: exchange.Buy,
		BaseSize: d("0.01"), LimitPrice: d("49990")})
	if err != nil {
		t.Fatal(err)
	}
	v.trade("49980")
	l.waitFor(t, "the fill on the user channel", func(l *feedLog) bool {
		return slices.ContainsFunc(l.orders, func(ev exchange.OrderEvent) bool {
			return ev.Order.ID == o.ID && ev.Order.Status == exchange.StatusFilled && ev.Fill != nil && ev.Fill.Size.Equal(d("0.01"))
		})
	})

	// A gap on the user connection asks the engine to reconcile; dropped
	// sockets are redialled and the feed goes on.
	v.e.SequenceGap()
	l.waitFor(t, "a resync after the gap", func(l *feedLog) bool { return slices.Contains(l.resyncs, "sequence_gap") })
	v.e.DropSockets()
	l.waitFor(t, "a resync after the reconnect", func(l *feedLog) bool { return slices.Contains(l.resyncs, "reconnect") })
	// Six subscriptions before, one order, six after.
	l.waitFor(t, "two connections again", func(*feedLog) bool { return v.e.Stats().WSConnections == 2 && v.e.Stats().JWTsSeen >= 13 })
	l.waitFor(t, "the market trades subscribed again", func(*feedLog) bool { return v.e.ws.subscribed(coinbase.ChannelMarketTrades, "BTC-USD") })
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("50123"), Size: d("0.5"), TakerSide: exchange.Sell})
	l.waitFor(t, "a trade after the reconnect", func(l *feedLog) bool {
		return slices.ContainsFunc(l.ticks, func(tk exchange.Tick) bool { return tk.Price.Equal(d("50123")) })
	})
}
