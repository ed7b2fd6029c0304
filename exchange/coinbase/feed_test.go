package coinbase

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// collector gathers what a feed hands to its callbacks.
type collector struct {
	mu      sync.Mutex
	ticks   []exchange.Tick
	candles []exchange.Candle
	orders  []exchange.OrderEvent
	resyncs []string
	notify  chan struct{}
}

func newCollector() *collector { return &collector{notify: make(chan struct{}, 1024)} }

func (c *collector) poke() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *collector) config(cfg *FeedConfig) {
	cfg.OnTick = func(t exchange.Tick) { c.mu.Lock(); c.ticks = append(c.ticks, t); c.mu.Unlock(); c.poke() }
	cfg.OnCandle = func(cd exchange.Candle) { c.mu.Lock(); c.candles = append(c.candles, cd); c.mu.Unlock(); c.poke() }
	cfg.OnOrder = func(e exchange.OrderEvent) { c.mu.Lock(); c.orders = append(c.orders, e); c.mu.Unlock(); c.poke() }
	cfg.OnResync = func(r string) { c.mu.Lock(); c.resyncs = append(c.resyncs, r); c.mu.Unlock(); c.poke() }
}

// snap returns a copy of what was collected, taken under the lock.
func (c *collector) snap() collector {
	c.mu.Lock()
	defer c.mu.Unlock()
	return collector{ticks: append([]exchange.Tick(nil), c.ticks...), candles: append([]exchange.Candle(nil), c.candles...),
		orders: append([]exchange.OrderEvent(nil), c.orders...), resyncs: append([]string(nil), c.resyncs...)}
}

// wait polls until cond holds under the collector's lock.
func (c *collector) wait(t *testing.T, what string, cond func(c *collector) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		ok := cond(c)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// startFeed runs a feed until the test ends.
func startFeed(t *testing.T, cfg FeedConfig) {
	t.Helper()
	if cfg.ReconnectMin == 0 {
		cfg.ReconnectMin, cfg.ReconnectMax = 5*time.Millisecond, 20*time.Millisecond
	}
	f, err := NewFeed(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
}

func TestFeedSubscribesHeartbeatsAndOneChannelPerMessageWithFreshJWTs(t *testing.T) {
	_, creds := newTestKey(t)
	srv := newWSServer(t, creds)
	col := newCollector()
	cfg := FeedConfig{MarketURL: srv.url(), Credentials: creds, Products: []string{"BTC-USD", "ETH-USD"},
		Channels: []string{ChannelTicker, ChannelMarketTrades, ChannelLevel2}}
	col.config(&cfg)
	startFeed(t, cfg)
	c := srv.accept(t)
	var got []string
	jwts := map[string]bool{}
	for range 4 {
		r := c.expectSub(t)
		got = append(got, fmt.Sprintf("%s %s %v", r.Type, r.Channel, r.ProductIDs))
		if r.JWT == "" || jwts[r.JWT] {
			t.Fatalf("subscribe %s without a fresh JWT", r.Channel)
		}
		jwts[r.JWT] = true
	}
	want := "[subscribe heartbeats [] subscribe ticker [BTC-USD ETH-USD] subscribe market_trades [BTC-USD ETH-USD] subscribe level2 [BTC-USD ETH-USD]]"
	if fmt.Sprint(got) != want {
		t.Fatalf("subscriptions\n got %v\nwant %s", got, want)
	}
}

func TestFeedTurnsTradesAndTickersIntoTicks(t *testing.T) {
	srv := newWSServer(t, nil)
	col := newCollector()
	cfg := FeedConfig{MarketURL: srv.url(), Products: []string{"ETH-USD", "BTC-USD"}, Channels: []string{ChannelMarketTrades, ChannelTicker}}
	col.config(&cfg)
	startFeed(t, cfg)
	c := srv.accept(t)
	c.send(t, sample(t, "ws_market_trades.json"))
	c.send(t, sample(t, "ws_ticker.json"))
	col.wait(t, "two ticks", func(c *collector) bool { return len(c.ticks) == 2 })
	tr, q := col.snap().ticks[0], col.snap().ticks[1]
	if tr.Kind != exchange.TradeTick || tr.ProductID != "ETH-USD" || !tr.Price.Equal(dec("1260.01")) || !tr.Size.Equal(dec("0.3")) ||
		tr.TakerSide != exchange.Sell || !tr.Time.Equal(ts("2019-08-14T20:42:27.265Z")) || tr.Received.IsZero() {
		t.Fatalf("trade tick %+v: side BUY is the maker, so the taker sold", tr)
	}
	if q.Kind != exchange.QuoteTick || q.ProductID != "BTC-USD" || !q.Bid.Equal(dec("21931.98")) || !q.Ask.Equal(dec("21933.98")) ||
		!q.BidSize.Equal(dec("8000.21")) || !q.AskSize.Equal(dec("8038.07770938")) || !q.Time.Equal(ts("2023-02-09T20:30:37.167359596Z")) {
		t.Fatalf("quote tick %+v", q)
	}
}

func TestFeedEmitsBatchedTradesOldestFirst(t *testing.T) {
	srv := newWSServer(t, nil)
	col := newCollector()
	cfg := FeedConfig{MarketURL: srv.url(), Products: []string{"BTC-USD"}, Channels: []string{ChannelMarketTrades}}
	col.config(&cfg)
	startFeed(t, cfg)
	c := srv.accept(t)
	c.send(t, []byte(`{"channel":"market_trades","timestamp":"2024-01-01T00:00:03Z","sequence_num":0,"events":[{"type":"update","trades":[
		{"trade_id":"3","product_id":"BTC-USD","price":"3","size":"1","side":"SELL","time":"2024-01-01T00:00:03Z"},
		{"trade_id":"2","product_id":"BTC-USD","price":"2","size":"1","side":"SELL","time":"2024-01-01T00:00:02Z"},
		{"trade_id":"1","product_id":"BTC-USD","price":"1","size":"1","side":"BUY","time":"2024-01-01T00:00:01Z"}]}]}`))
	col.wait(t, "three ticks", func(c *collector) bool { return len(c.ticks) == 3 })
	for i, want := range []string{"1", "2", "3"} {
		if col.snap().ticks[i].Price.String() != want {
			t.Fatalf("tick %d price %s, want %s", i, col.snap().ticks[i].Price, want)
		}
	}
	if col.snap().ticks[1].TakerSide != exchange.Buy {
		t.Fatal("maker SELL means a taker BUY")
	}
}

func TestFeedBuildsTheBookAndResubscribesLevel2OnASequenceGap(t *testing.T) {
	srv := newWSServer(t, nil)
	col := newCollector()
	obs := &recordingObserver{}
	cfg := FeedConfig{MarketURL: srv.url(), Products: []string{"BTC-USD"}, Channels: []string{ChannelLevel2}, Observer: obs}
	col.config(&cfg)
	startFeed(t, cfg)
	c := srv.accept(t)
	c.expectSub(t) // heartbeats
	c.expectSub(t) // level2
	c.send(t, []byte(`{"channel":"l2_data","timestamp":"2024-01-01T00:00:00Z","events":[{"type":"snapshot","product_id":"BTC-USD","updates":[
		{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"100.00","new_quantity":"1.5"},
		{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"99.50","new_quantity":"2"},
		{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"101.00","new_quantity":"3"},
		{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"102","new_quantity":"4"}]}]}`))
	col.wait(t, "a quote from the snapshot", func(c *collector) bool { return len(c.ticks) == 1 })
	if q := col.snap().ticks[0]; !q.Bid.Equal(dec("100")) || !q.BidSize.Equal(dec("1.5")) || !q.Ask.Equal(dec("101")) || !q.AskSize.Equal(dec("3")) {
		t.Fatalf("quote %+v", q)
	}
	// The best bid leaves ("0" removes the level), and the next one shows.
	c.send(t, []byte(`{"channel":"l2_data","timestamp":"2024-01-01T00:00:01Z","events":[{"type":"update","product_id":"BTC-USD","updates":[
		{"side":"bid","event_time":"2024-01-01T00:00:01Z","price_level":"100.00","new_quantity":"0"}]}]}`))
	col.wait(t, "a quote after the update", func(c *collector) bool { return len(c.ticks) == 2 })
	if q := col.snap().ticks[1]; !q.Bid.Equal(dec("99.5")) || !q.BidSize.Equal(dec("2")) {
		t.Fatalf("quote %+v", q)
	}
	// Lose three messages: the feed must ask for a fresh snapshot.
	c.skipSeq(3)
	c.send(t, []byte(`{"channel":"l2_data","timestamp":"2024-01-01T00:00:05Z","events":[{"type":"update","product_id":"BTC-USD","updates":[
		{"side":"offer","event_time":"2024-01-01T00:00:05Z","price_level":"100.50","new_quantity":"1"}]}]}`))
	if r := c.expectSub(t); r.Type != "unsubscribe" || r.Channel != ChannelLevel2 {
		t.Fatalf("after a gap got %+v, want unsubscribe level2", r)
	}
	if r := c.expectSub(t); r.Type != "subscribe" || r.Channel != ChannelLevel2 {
		t.Fatalf("after a gap got %+v, want subscribe level2", r)
	}
	if obs.snapshot().gaps != 3 {
		t.Fatalf("gaps %d, want 3", obs.snapshot().gaps)
	}
	// Until the new snapshot the book is stale and quiet.
	c.send(t, []byte(`{"channel":"l2_data","timestamp":"2024-01-01T00:00:06Z","events":[{"type":"update","product_id":"BTC-USD","updates":[
		{"side":"offer","event_time":"2024-01-01T00:00:06Z","price_level":"100.40","new_quantity":"1"}]}]}`))
	c.send(t, sample(t, "ws_level2_snapshot.json"))
	c.send(t, []byte(`{"channel":"l2_data","timestamp":"2024-01-01T00:00:07Z","events":[{"type":"update","product_id":"BTC-USD","updates":[
		{"side":"offer","event_time":"2024-01-01T00:00:07Z","price_level":"21922","new_quantity":"0.5"}]}]}`))
	col.wait(t, "a quote from the fresh snapshot", func(c *collector) bool { return len(c.ticks) == 3 })
	if q := col.snap().ticks[2]; !q.Bid.Equal(dec("21921.73")) || !q.Ask.Equal(dec("21922")) {
		t.Fatalf("quote after resync %+v", q)
	}
}

func TestFeedSkipsAndCountsMalformedMessages(t *testing.T) {
	srv := newWSServer(t, nil)
	col := newCollector()
	obs := &recordingObserver{}
	cfg := FeedConfig{MarketURL: srv.url(), Products: []string{"ETH-USD"}, Channels: []string{ChannelMarketTrades, ChannelCandles}, Observer: obs}
	col.config(&cfg)
	startFeed(t, cfg)
	c := srv.accept(t)
	c.sendRaw(t, []byte(`{"channel":"market_trades","sequence_num":0,"events":[{"trades":[{"price":"abc","side":"BUY"}]}]}`))
	c.sendRaw(t, []byte(`not json at all`))
	c.sendRaw(t, []byte(`{"channel":"market_trades","sequence_num":1,"events":[{"trades":[{"price":"1","size":"1","side":"SIDEWAYS"}]}]}`))
	c.sendRaw(t, []byte(`{"channel":"candles","sequence_num":2,"events":{"candles":5}}`))
	c.seq = 3
	c.send(t, sample(t, "ws_candles.json"))
	c.send(t, sample(t, "ws_market_trades.json"))
	col.wait(t, "the good messages after the bad ones", func(c *collector) bool { return len(c.ticks) == 1 && len(c.candles) == 1 })
	if got := obs.snapshot().malformed; fmt.Sprint(got) != "[market:market_trades market:other market:market_trades market:candles]" {
		t.Fatalf("malformed %v", got)
	}
	cd := col.snap().candles[0]
	if cd.ProductID != "ETH-USD" || cd.Start.Unix() != 1688998200 || cd.Interval != 5*time.Minute || !cd.Close.Equal(dec("1866.81")) {
		t.Fatalf("candle %+v", cd)
	}
	if len(obs.snapshot().reconnects) != 0 {
		t.Fatal("a malformed message must not drop the connection")
	}
}

func TestFeedWatchdogReconnectsASilentConnection(t *testing.T) {
	srv := newWSServer(t, nil)
	obs := &recordingObserver{}
	cfg := FeedConfig{MarketURL: srv.url(), Products: []string{"BTC-USD"}, Channels: []string{ChannelTicker},
		HeartbeatTimeout: 100 * time.Millisecond, Observer: obs}
	startFeed(t, cfg)
	first := srv.accept(t)
	first.expectSub(t)
	second := srv.accept(t)
	if r := second.expectSub(t); r.Channel != ChannelHeartbeats {
		t.Fatalf("first subscription on reconnect %+v", r)
	}
	if r := obs.snapshot().reconnects; len(r) == 0 || r[0] != "market:watchdog" {
		t.Fatalf("reconnects %v", r)
	}
}

func TestFeedReconnectsAfterTheServerDropsTheConnection(t *testing.T) {
	srv := newWSServer(t, nil)
	obs := &recordingObserver{}
	startFeed(t, FeedConfig{MarketURL: srv.url(), Products: []string{"BTC-USD"}, Channels: []string{ChannelTicker}, Observer: obs})
	first := srv.accept(t)
	first.expectSub(t)
	first.ws.Close()
	srv.accept(t).expectSub(t)
	if r := obs.snapshot().reconnects; len(r) == 0 || r[0] != "market:read" {
		t.Fatalf("reconnects %v", r)
	}
}

func TestFeedUserChannelDerivesFillsAndAsksForResync(t *testing.T) {
	_, creds := newTestKey(t)
	srv := newWSServer(t, creds)
	col := newCollector()
	cfg := FeedConfig{UserURL: srv.url(), Credentials: creds, User: true}
	col.config(&cfg)
	startFeed(t, cfg)
	c := srv.accept(t)
	c.expectSub(t)
	if r := c.expectSub(t); r.Channel != ChannelUser || r.JWT == "" || r.ProductIDs != nil {
		t.Fatalf("user subscription %+v", r)
	}
	// The snapshot's order is filled already: no fill, since that predates us.
	c.send(t, sample(t, "ws_user.json"))
	order := func(status, cum, value, fees, leaves string) []byte {
		return fmt.Appendf(nil, `{"channel":"user","timestamp":"2024-06-21T18:30:00Z","events":[{"type":"update","orders":[
			{"order_id":"o-2","client_order_id":"c-2","product_id":"BTC-USD","order_side":"SELL","order_type":"LIMIT","status":"%s",
			 "cumulative_quantity":"%s","filled_value":"%s","total_fees":"%s","leaves_quantity":"%s","avg_price":"0",
			 "limit_price":"60000","stop_price":"","post_only":"true","time_in_force":"GOOD_UNTIL_CANCELLED",
			 "creation_time":"2024-06-21T18:29:13Z","end_time":"0001-01-01T00:00:00Z"}]}]}`, status, cum, value, fees, leaves)
	}
	c.send(t, order("OPEN", "0", "0", "0", "0.3"))
	c.send(t, order("OPEN", "0.1", "6000", "24", "0.2"))
	c.send(t, order("FILLED", "0.3", "18003", "72.012", "0"))
	col.wait(t, "four order events", func(c *collector) bool { return len(c.orders) == 4 })
	if col.snap().orders[0].Fill != nil || col.snap().orders[0].Order.Status != exchange.StatusFilled {
		t.Fatalf("snapshot event %+v", col.snap().orders[0])
	}
	if col.snap().orders[1].Fill != nil || col.snap().orders[1].Order.Status != exchange.StatusOpen || !col.snap().orders[1].Order.BaseSize.Equal(dec("0.3")) || !col.snap().orders[1].Order.PostOnly {
		t.Fatalf("new order event %+v", col.snap().orders[1])
	}
	f1, f2 := col.snap().orders[2].Fill, col.snap().orders[3].Fill
	if f1 == nil || !f1.Size.Equal(dec("0.1")) || !f1.Price.Equal(dec("60000")) || !f1.Fee.Equal(dec("24")) || f1.Side != exchange.Sell || f1.ClientOrderID != "c-2" {
		t.Fatalf("first fill %+v", f1)
	}
	if f2 == nil || !f2.Size.Equal(dec("0.2")) || !f2.Price.Equal(dec("60015")) || !f2.Fee.Equal(dec("48.012")) || !exchange.IsSyntheticTradeID(f2.TradeID) || f1.TradeID == f2.TradeID {
		t.Fatalf("second fill %+v", f2)
	}
	// A lost message on the user connection asks the engine to reconcile.
	c.skipSeq(2)
	c.send(t, sample(t, "ws_heartbeats.json"))
	col.wait(t, "a resync", func(c *collector) bool { return len(c.resyncs) == 2 })
	if col.snap().resyncs[0] != "connect" || col.snap().resyncs[1] != "sequence_gap" {
		t.Fatalf("resyncs %v", col.snap().resyncs)
	}
	// So does a reconnection.
	c.ws.Close()
	srv.accept(t)
	col.wait(t, "a resync after reconnecting", func(c *collector) bool { return len(c.resyncs) == 3 })
	if col.snap().resyncs[2] != "reconnect" {
		t.Fatalf("resyncs %v", col.snap().resyncs)
	}
}

// A refused subscription JWT is reported as auth_failure, which the
// daemon takes for a refused key (it halts entries).
func TestFeedReconnectsOnAServerErrorMessageAndNamesAnAuthFailure(t *testing.T) {
	_, creds := newTestKey(t)
	srv := newWSServer(t, nil)
	obs := &recordingObserver{}
	startFeed(t, FeedConfig{UserURL: srv.url(), Credentials: creds, User: true, Observer: obs})
	c := srv.accept(t)
	c.sendRaw(t, sample(t, "ws_error_auth.json"))
	srv.accept(t)
	if r := obs.snapshot().reconnects; len(r) == 0 || r[0] != "user:auth_failure" {
		t.Fatalf("reconnects %v", r)
	}
}

func TestNewFeedRefusesUnusableConfigurations(t *testing.T) {
	tests := map[string]FeedConfig{
		"no channel":               {},
		"unknown channel":          {Products: []string{"BTC-USD"}, Channels: []string{"level3"}},
		"market without products":  {Channels: []string{ChannelTicker}},
		"user without credentials": {User: true},
	}
	for name, cfg := range tests {
		if _, err := NewFeed(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFeedSkipsOutOfOrderMessagesAndReconnectsWhenTheCounterSticks(t *testing.T) {
	srv := newWSServer(t, nil)
	col := newCollector()
	obs := &recordingObserver{}
	cfg := FeedConfig{MarketURL: srv.url(), Products: []string{"ETH-USD"}, Channels: []string{ChannelMarketTrades}, Observer: obs}
	col.config(&cfg)
	startFeed(t, cfg)
	c := srv.accept(t)
	trade := func(seq int, price string) []byte {
		return fmt.Appendf(nil, `{"channel":"market_trades","timestamp":"2024-01-01T00:00:00Z","sequence_num":%d,"events":[{"type":"update","trades":[{"trade_id":"1","product_id":"ETH-USD","price":"%s","size":"1","side":"BUY","time":"2024-01-01T00:00:00Z"}]}]}`, seq, price)
	}
	c.sendRaw(t, trade(5, "1"))
	c.sendRaw(t, trade(4, "2")) // older: skipped
	c.sendRaw(t, trade(6, "3"))
	col.wait(t, "two trades", func(c *collector) bool { return len(c.ticks) == 2 })
	if col.snap().ticks[1].Price.String() != "3" {
		t.Fatalf("the out-of-order message was not skipped: %+v", col.snap().ticks)
	}
	for range maxStaleRun {
		c.sendRaw(t, trade(6, "9"))
	}
	srv.accept(t)
	if r := obs.snapshot().reconnects; len(r) == 0 || r[0] != "market:sequence_stuck" {
		t.Fatalf("reconnects %v", r)
	}
}

func TestFeedReportsUSDCProductsUnderTheConfiguredID(t *testing.T) {
	got := usdcAliases([]string{"BTC-USDC", "ETH-USDC", "ETH-USD", "USDT-USDC"})
	if fmt.Sprint(got) != "map[BTC-USD:BTC-USDC]" {
		t.Fatalf("aliases %v", got)
	}
	srv := newWSServer(t, nil)
	col := newCollector()
	cfg := FeedConfig{MarketURL: srv.url(), Products: []string{"BTC-USDC"}, Channels: []string{ChannelTicker}}
	col.config(&cfg)
	startFeed(t, cfg)
	srv.accept(t).send(t, sample(t, "ws_ticker.json"))
	col.wait(t, "a tick", func(c *collector) bool { return len(c.ticks) == 1 })
	if col.snap().ticks[0].ProductID != "BTC-USDC" {
		t.Fatalf("tick for %s, want BTC-USDC", col.snap().ticks[0].ProductID)
	}
}

func TestOrderTrackerFillsEachQuantityOnce(t *testing.T) {
	tr := newOrderTracker()
	o := func(status, cum, value string) UserOrder {
		return UserOrder{OrderID: "o", OrderSide: "BUY", Status: status, CumulativeQuantity: MustDec(cum), FilledValue: MustDec(value)}
	}
	steps := []struct {
		name     string
		order    UserOrder
		snapshot bool
		wantFill string
	}{
		{"snapshot of a partly filled order", o("OPEN", "1", "100"), true, ""},
		{"more fills", o("OPEN", "3", "310"), false, "2 @ 105"},
		{"an older state arriving late", o("OPEN", "2", "205"), false, ""},
		{"the same state again", o("OPEN", "3", "310"), false, ""},
		{"filled", o("FILLED", "4", "420"), false, "1 @ 110"},
		{"a repeated final state", o("FILLED", "4", "420"), false, ""},
	}
	for _, s := range steps {
		ev := tr.apply(s.order, s.snapshot, time.Time{})
		got := ""
		if ev.Fill != nil {
			got = ev.Fill.Size.String() + " @ " + ev.Fill.Price.String()
		}
		if got != s.wantFill {
			t.Fatalf("%s: fill %q, want %q", s.name, got, s.wantFill)
		}
	}
	for i := range maxDoneOrders + 10 {
		tr.apply(UserOrder{OrderID: fmt.Sprint("x", i), Status: "CANCELLED"}, false, time.Time{})
	}
	if len(tr.done) != maxDoneOrders || len(tr.orders) != 0 {
		t.Fatalf("done %d, open %d: memory must stay bounded", len(tr.done), len(tr.orders))
	}
}

// TestUserChannelKeepsQueuedStates decodes updates through QUEUED and
// EDIT_QUEUED: they are orders that live on (not ended, no fill), and the
// fill after them is derived from the cumulative quantity as usual.
func TestUserChannelKeepsQueuedStates(t *testing.T) {
	var m Message[UserEvent]
	if err := json.Unmarshal([]byte(queuedUserSeed), &m); err != nil {
		t.Fatal(err)
	}
	tr := newOrderTracker()
	var got []exchange.OrderEvent
	for _, ev := range m.Events {
		for _, o := range ev.Orders {
			got = append(got, tr.apply(o, false, m.Timestamp.Time))
		}
	}
	want := []exchange.OrderStatus{exchange.StatusQueued, exchange.StatusEditQueued, exchange.StatusOpen}
	for i, e := range got {
		if e.Order.Status != want[i] || e.Order.Status.Terminal() {
			t.Fatalf("update %d: status %s, want %s", i, e.Order.Status, want[i])
		}
		if (e.Fill != nil) != (i == 2) {
			t.Fatalf("update %d: fill %+v", i, e.Fill)
		}
	}
	if f := got[2].Fill; !f.Size.Equal(dec("0.004")) || !f.Price.Equal(dec("50000")) {
		t.Fatalf("fill after the queued states = %+v", f)
	}
}
