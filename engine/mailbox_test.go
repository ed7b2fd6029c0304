package engine

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

func trade(product string, price int64, at time.Time) exchange.Tick {
	return exchange.Tick{ProductID: product, Kind: exchange.TradeTick, Time: at, Received: at,
		Price: decimal.NewFromInt(price), Size: decimal.NewFromInt(1)}
}

func TestMailboxKeepsLatestTickPerProductAndKind(t *testing.T) {
	m := NewMailbox()
	t0 := time.Unix(1700000000, 0)
	m.PutTick(trade("BTC-USD", 100, t0))
	m.PutTick(trade("BTC-USD", 101, t0.Add(time.Second)))
	m.PutTick(trade("ETH-USD", 10, t0.Add(2*time.Second)))
	m.PutTick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: t0.Add(500 * time.Millisecond)})

	_, ticks := m.take(nil, nil)
	if len(ticks) != 3 {
		t.Fatalf("took %d ticks, want 3 (one per product and kind)", len(ticks))
	}
	if !ticks[1].Price.Equal(decimal.NewFromInt(101)) || ticks[1].ProductID != "BTC-USD" {
		t.Errorf("BTC-USD trade = %s, want the latest (101) in time order", ticks[1].Price)
	}
	if ticks[0].Kind != exchange.QuoteTick || ticks[2].ProductID != "ETH-USD" {
		t.Errorf("ticks not in time order: %+v", ticks)
	}
	if got := m.Conflated(); got != 1 {
		t.Errorf("conflated = %d, want 1", got)
	}
}

func TestMailboxNeverDropsMessagesAndDeliversThemFirst(t *testing.T) {
	m := NewMailbox()
	t0 := time.Unix(1700000000, 0)
	m.PutTick(trade("BTC-USD", 100, t0))
	for i := 0; i < 1000; i++ {
		m.putMessage(message{purpose: exchange.Entry, event: &exchange.OrderEvent{Order: exchange.Order{ID: "o"}}})
	}
	msgs, ticks := m.take(nil, nil)
	if len(msgs) != 1000 || len(ticks) != 1 {
		t.Fatalf("took %d messages and %d ticks, want 1000 and 1", len(msgs), len(ticks))
	}
}

func TestMailboxPutNeverBlocks(t *testing.T) {
	m := NewMailbox()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t0 := time.Unix(1700000000, 0)
		for i := 0; i < 100000; i++ {
			m.PutTick(trade("BTC-USD", int64(i), t0.Add(time.Duration(i))))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("PutTick blocked with nobody taking")
	}
	if m.Conflated() != 99999 {
		t.Errorf("conflated = %d, want 99999", m.Conflated())
	}
}
