package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

func events[E any](t *testing.T, m wsMsg) []E {
	t.Helper()
	out := make([]E, len(m.Events))
	for i, raw := range m.Events {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatalf("%s event %s: %v", m.Channel, raw, err)
		}
	}
	return out
}

func TestMarketDataChannelsSnapshotThenUpdateWithOneSequence(t *testing.T) {
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	w := v.dial(v.e.MarketDataURL())
	var seqs []int64
	read := func() wsMsg {
		m := w.next()
		seqs = append(seqs, m.SequenceNum)
		return m
	}
	w.subscribe("level2", "", "BTC-USD")
	if m := read(); m.Channel != "subscriptions" {
		t.Fatalf("first message %s, want the subscriptions ack", m.raw)
	}
	snap := read()
	l2 := events[coinbase.L2Event](t, snap)
	if snap.Channel != "l2_data" || l2[0].Type != "snapshot" || len(l2[0].Updates) != 2 {
		t.Fatalf("level2 snapshot %s", snap.raw)
	}
	tok, err := v.creds.WSToken(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.subscribe("market_trades", tok, "BTC-USD")
	ack := read()
	subs := events[coinbase.SubscriptionsEvent](t, ack)
	if len(subs[0].Subscriptions["level2"]) != 1 || len(subs[0].Subscriptions["market_trades"]) != 1 {
		t.Fatalf("ack %s does not list both subscriptions", ack.raw)
	}
	if m := read(); m.Channel != "market_trades" || events[coinbase.MarketTradesEvent](t, m)[0].Type != "snapshot" {
		t.Fatalf("market_trades snapshot %s", m.raw)
	}
	w.subscribe("ticker", "", "BTC-USD")
	read()
	if m := read(); m.Channel != "ticker" || !events[coinbase.TickerEvent](t, m)[0].Tickers[0].Price.Equal(d("50000.5")) {
		t.Fatalf("ticker snapshot %s", m.raw)
	}

	// A buyer lifts the ask: the trade's side on market_trades is the
	// maker's, SELL.
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("50001"), Size: d("0.3"), TakerSide: exchange.Buy})
	tr := read()
	trades := events[coinbase.MarketTradesEvent](t, tr)
	if tr.Channel != "market_trades" || trades[0].Type != "update" || trades[0].Trades[0].Side != "SELL" || !trades[0].Trades[0].Size.Equal(d("0.3")) {
		t.Fatalf("trade update %s, want side SELL (the maker)", tr.raw)
	}
	if m := read(); m.Channel != "ticker" || !events[coinbase.TickerEvent](t, m)[0].Tickers[0].BestAsk.Equal(d("50001")) {
		t.Fatalf("ticker update %s", m.raw)
	}
	// The bid rises: the new level appears, the ask stays.
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("50000.5"), BidSize: d("0.7"), Ask: d("50001"), AskSize: d("2")})
	up := read()
	ups := events[coinbase.L2Event](t, up)
	if up.Channel != "l2_data" || ups[0].Type != "update" || len(ups[0].Updates) != 1 ||
		ups[0].Updates[0].Side != "bid" || !ups[0].Updates[0].PriceLevel.Equal(d("50000.5")) || !ups[0].Updates[0].NewQuantity.Equal(d("0.7")) {
		t.Fatalf("level2 update %s", up.raw)
	}
	// The ask drops onto the old bid: the crossed bids go, with size 0.
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("49999"), BidSize: d("1"), Ask: d("50000"), AskSize: d("1")})
	book := coinbase.NewBook("BTC-USD")
	for _, u := range events[coinbase.L2Event](t, read())[0].Updates {
		if err := book.Apply(u.Side == "bid", u.PriceLevel.Decimal, u.NewQuantity.Decimal); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range seqs {
		if s != int64(i) {
			t.Fatalf("sequence numbers %v, want 0, 1, 2, ... across channels", seqs)
		}
	}
}

func TestHeartbeatsKeepTheSocketAndCount(t *testing.T) {
	v := startEnv(t, config{opts: Options{HeartbeatInterval: 20 * time.Millisecond, IdleTimeout: 150 * time.Millisecond}})
	w := v.dial(v.e.MarketDataURL())
	w.subscribe("heartbeats", "")
	w.until("subscriptions")
	var last coinbase.StrInt = -1
	for range 12 { // 240ms, beyond the idle timeout
		m := w.until("heartbeats")
		hb := events[coinbase.HeartbeatEvent](t, m)[0]
		if hb.HeartbeatCounter != last+1 || hb.CurrentTime == "" {
			t.Fatalf("heartbeat %s after counter %d", m.raw, last)
		}
		last = hb.HeartbeatCounter
	}
}

func TestSocketsCloseWhenSilentOrUnsubscribed(t *testing.T) {
	tests := []struct {
		name      string
		subscribe func(w *ws)
	}{
		{"no subscribe within the timeout", func(*ws) {}},
		{"idle ticker without heartbeats", func(w *ws) { w.subscribe("ticker", "", "BTC-USDT"); w.next() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := startEnv(t, config{opts: Options{SubscribeTimeout: 150 * time.Millisecond, IdleTimeout: 150 * time.Millisecond}})
			w := v.dial(v.e.MarketDataURL())
			tc.subscribe(w)
			w.c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _, err := w.c.ReadMessage()
			var ne net.Error
			if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
				t.Fatalf("the socket stayed open: %v", err)
			}
		})
	}
}

func TestSubscriptionErrors(t *testing.T) {
	v := startEnv(t, config{})
	good, err := v.creds.WSToken(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	forREST, err := v.creds.RESTToken("GET 127.0.0.1/api/v3/brokerage/accounts", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url, channel, jwt string
		products                []string
		want                    string
	}{
		{"user without a JWT", v.e.UserURL(), "user", "", nil, "authentication failure"},
		{"user with a garbage JWT", v.e.MarketDataURL(), "user", "not.a.jwt", nil, "authentication failure"},
		{"a REST token (with uri) on a socket", v.e.UserURL(), "user", forREST, nil, "authentication failure"},
		{"public channel with a bad JWT", v.e.MarketDataURL(), "ticker", "x.y.z", []string{"BTC-USD"}, "authentication failure"},
		{"market channel on the user endpoint", v.e.UserURL(), "ticker", good, []string{"BTC-USD"}, "Failure to subscribe: channel \"ticker\" is not served here"},
		{"unknown product", v.e.MarketDataURL(), "ticker", "", []string{"DOGE-USD"}, "Failure to subscribe: product \"DOGE-USD\" is not listed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := v.dial(tc.url)
			w.subscribe(tc.channel, tc.jwt, tc.products...)
			m := w.next()
			if m.Type != "error" || m.Message != tc.want {
				t.Fatalf("answer %s, want error %q", m.raw, tc.want)
			}
		})
	}
}

func TestUserChannelSnapshotInBatchesThenWholeOrderUpdates(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	for i := range 120 {
		if _, err := v.e.Sim().PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: fmt.Sprintf("open-%d", i), ProductID: "BTC-USD",
			Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.001"), LimitPrice: d("40000")}); err != nil {
			t.Fatal(err)
		}
	}
	w := v.dial(v.e.UserURL())
	tok, err := v.creds.WSToken(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.subscribe("user", tok)
	w.until("subscriptions")
	var sizes []int
	for {
		ev := events[coinbase.UserEvent](t, w.until("user"))[0]
		if ev.Type != "snapshot" {
			t.Fatalf("event type %s during the snapshot", ev.Type)
		}
		sizes = append(sizes, len(ev.Orders))
		if len(ev.Orders) < 50 {
			break
		}
	}
	if fmt.Sprint(sizes) != "[50 50 20]" {
		t.Fatalf("snapshot batches %v, want [50 50 20]", sizes)
	}
	o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "watched", ProductID: "BTC-USD", Type: exchange.Limit, Side: exchange.Buy,
		BaseSize: d("0.01"), LimitPrice: d("49950")})
	if err != nil {
		t.Fatal(err)
	}
	up := events[coinbase.UserEvent](t, w.until("user"))[0].Orders[0]
	if up.OrderID != o.ID || up.Status != "PENDING" {
		t.Fatalf("first update of a new order %+v, want PENDING as Coinbase sends", up)
	}
	up = events[coinbase.UserEvent](t, w.until("user"))[0].Orders[0]
	if up.OrderID != o.ID || up.Status != "OPEN" || !up.LeavesQuantity.Equal(d("0.01")) || !up.CumulativeQuantity.IsZero() {
		t.Fatalf("open update %+v", up)
	}
	v.trade("49900")
	up = events[coinbase.UserEvent](t, w.until("user"))[0].Orders[0]
	if up.Status != "FILLED" || !up.CumulativeQuantity.Equal(d("0.01")) || !up.AvgPrice.Equal(d("49950")) ||
		!up.LeavesQuantity.IsZero() || !up.TotalFees.Equal(d("1.998")) || up.NumberOfFills != 1 {
		t.Fatalf("fill update %+v", up)
	}
}

func TestSequenceGapAndDroppedSockets(t *testing.T) {
	v := startEnv(t, config{opts: Options{HeartbeatInterval: 10 * time.Millisecond}})
	w := v.dial(v.e.MarketDataURL())
	w.subscribe("heartbeats", "")
	if first := w.next(); first.SequenceNum != 0 {
		t.Fatalf("first sequence number %d, want 0", first.SequenceNum)
	}
	v.e.SequenceGap()
	// Messages already written before the gap was asked for arrive first;
	// within the next ones exactly one number is skipped.
	prev, gaps := int64(0), 0
	for range 30 {
		m := w.next()
		switch m.SequenceNum - prev {
		case 1:
		case 2:
			gaps++
		default:
			t.Fatalf("sequence %d after %d", m.SequenceNum, prev)
		}
		prev = m.SequenceNum
	}
	if gaps != 1 {
		t.Fatalf("%d gaps, want exactly 1", gaps)
	}
	v.e.DropSockets()
	w.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := w.c.ReadMessage(); err != nil {
			break
		}
	}
	again := v.dial(v.e.MarketDataURL())
	again.subscribe("heartbeats", "")
	if m := again.next(); m.SequenceNum != 0 {
		t.Fatalf("a new connection starts at %d, want 0", m.SequenceNum)
	}
}

func TestDropSocketsEvery(t *testing.T) {
	v := startEnv(t, config{opts: Options{HeartbeatInterval: 10 * time.Millisecond}})
	v.e.DropSocketsEvery(100 * time.Millisecond)
	for range 2 {
		w := v.dial(v.e.MarketDataURL())
		w.subscribe("heartbeats", "")
		w.c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			if _, _, err := w.c.ReadMessage(); err != nil {
				break
			}
		}
	}
	v.e.DropSocketsEvery(0)
}

func TestUnsubscribeStopsTheChannel(t *testing.T) {
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	w := v.dial(v.e.MarketDataURL())
	w.subscribe("ticker", "", "BTC-USD", "BTC-USDT")
	w.until("subscriptions")
	w.until("ticker") // BTC-USD's snapshot; BTC-USDT has no trade yet
	if err := w.c.WriteJSON(coinbase.SubscribeRequest{Type: "unsubscribe", Channel: "ticker", ProductIDs: []string{"BTC-USD"}}); err != nil {
		t.Fatal(err)
	}
	ack := events[coinbase.SubscriptionsEvent](t, w.next())[0]
	if fmt.Sprint(ack.Subscriptions) != "map[ticker:[BTC-USDT]]" {
		t.Fatalf("after unsubscribing BTC-USD: %v", ack.Subscriptions)
	}
	v.trade("50002")
	if err := w.c.WriteJSON(coinbase.SubscribeRequest{Type: "unsubscribe", Channel: "ticker"}); err != nil {
		t.Fatal(err)
	}
	// Had BTC-USD still been subscribed, its ticker would come before
	// this ack: the trade was handled before the message was sent.
	m := w.next()
	if m.Channel != "subscriptions" || fmt.Sprint(events[coinbase.SubscriptionsEvent](t, m)[0].Subscriptions) != "map[]" {
		t.Fatalf("got %s, want the ack of an empty subscription set", m.raw)
	}
}

func TestSocketOutageClosesAndRefusesConnectionsUntilItEnds(t *testing.T) {
	v := startEnv(t, config{opts: Options{HeartbeatInterval: 10 * time.Millisecond}})
	w := v.dial(v.e.MarketDataURL())
	w.subscribe("heartbeats", "")
	w.next()
	v.e.SocketOutage(300 * time.Millisecond)
	w.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := w.c.ReadMessage(); err != nil {
			break
		}
	}
	for _, url := range []string{v.e.MarketDataURL(), v.e.UserURL()} {
		c, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if err == nil {
			c.Close()
			t.Fatalf("%s: connected during the outage", url)
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s: during the outage got %v, %v; want 503", url, resp, err)
		}
		resp.Body.Close()
	}
	time.Sleep(350 * time.Millisecond)
	again := v.dial(v.e.MarketDataURL())
	again.subscribe("heartbeats", "")
	if m := again.next(); m.SequenceNum != 0 {
		t.Fatalf("after the outage a new connection starts at %d, want 0", m.SequenceNum)
	}
}
