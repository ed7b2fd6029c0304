package strategy

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/bars"
	"github.com/tradebot/tradebot/exchange"
)

// Bar is one closed OHLCV bar of a bar subscription (package bars).
type Bar = bars.Bar

// Tick is a trade or a best bid/ask change.
type Tick = exchange.Tick

// Needs is what a strategy declares in Setup.Needs: its subscriptions.
// An empty product means the instance's product.
type Needs struct {
	product string
	bars    []BarNeed
	trades  []string
	quotes  []string
	timers  []time.Duration
	// inventoryStop is set by Inventory.
	inventoryStop decimal.Decimal
	// closeReasons are set by Closes.
	closeReasons []string
	errs         []error
}

// BarNeed is one bar subscription.
type BarNeed struct {
	Product  string
	Interval time.Duration
	// Lookback is how many closed bars the strategy needs before its
	// first decision: the warm-up fetches that many from history.
	Lookback int
	// History, when more than Lookback, is how many the warm-up fetches
	// when the history has them: bars an indicator needs to forget its
	// seed (indicator.Settle) without holding the instance back when the
	// history is shorter.
	History int
	// ClosesOnly is set when the strategy reads only the opens and closes
	// of these bars (CloseOnly): their high, low and volume are not kept.
	ClosesOnly bool
}

// NewNeeds returns the Needs of a strategy on product (the engine's
// side; a strategy only receives one).
func NewNeeds(product string) *Needs { return &Needs{product: product} }

func (n *Needs) orDefault(product string) string {
	if product == "" {
		return n.product
	}
	return product
}

// Bars subscribes to bars of interval of product, with the number of
// closed bars the strategy needs before it decides (0 for none).
func (n *Needs) Bars(product string, interval time.Duration, lookback int) {
	if interval < time.Second {
		n.errs = append(n.errs, fmt.Errorf("bars of %s: interval must be at least 1s, got %s", n.orDefault(product), interval))
		return
	}
	if lookback < 0 {
		lookback = 0
	}
	p := n.orDefault(product)
	if b := n.barNeed(p, interval); b != nil {
		b.Lookback = max(b.Lookback, lookback)
		return
	}
	n.bars = append(n.bars, BarNeed{Product: p, Interval: interval, Lookback: lookback})
}

// barNeed returns the subscription to bars of interval of product p, nil
// if none.
func (n *Needs) barNeed(p string, interval time.Duration) *BarNeed {
	for i := range n.bars {
		if n.bars[i].Product == p && n.bars[i].Interval == interval {
			return &n.bars[i]
		}
	}
	return nil
}

// History asks the warm-up for up to bars closed bars of interval of
// product, beyond the lookback of Bars: read when the history has them,
// but the instance is warm after its lookback. An exponential average
// is Ready after its period, but reads the value a run over all the
// history reads only after indicator.Settle bars.
func (n *Needs) History(product string, interval time.Duration, bars int) {
	p := n.orDefault(product)
	if b := n.barNeed(p, interval); b != nil {
		b.History = max(b.History, bars)
		return
	}
	n.errs = append(n.errs, fmt.Errorf("history of bars of %s every %s: subscribe to the bars first", p, interval))
}

// CloseOnly says the strategy reads only the open, the close and the
// trade count of its bars of interval of product (subscribed by Bars):
// they are built without a high, a low and a volume, two decimal
// comparisons and a conversion per trade saved; their High and Low are
// their Open, and HighF, LowF and VolumeF zero (bars.Options.ClosesOnly).
func (n *Needs) CloseOnly(product string, interval time.Duration) {
	p := n.orDefault(product)
	if b := n.barNeed(p, interval); b != nil {
		b.ClosesOnly = true
		return
	}
	n.errs = append(n.errs, fmt.Errorf("bars of %s every %s read by their closes: subscribe to the bars first", p, interval))
}

// Trades subscribes to the trades of product.
func (n *Needs) Trades(product string) { n.trades = appendNew(n.trades, n.orDefault(product)) }

// Quotes subscribes to best bid/ask changes of product.
func (n *Needs) Quotes(product string) { n.quotes = appendNew(n.quotes, n.orDefault(product)) }

// Every asks for OnTimer every period of market time, the first one
// period after start.
func (n *Needs) Every(period time.Duration) {
	if period < time.Second {
		n.errs = append(n.errs, fmt.Errorf("timer: period must be at least 1s, got %s", period))
		return
	}
	n.timers = append(n.timers, period)
}

// Inventory declares an inventory strategy (a grid): it buys and sells
// lots of one position with its own orders (Context.Sell), and stop is
// the price at or below which the whole inventory is sold at market. The
// engine makes stop the instance's exits.stop_loss (a fixed price) and
// refuses take-profit, trailing and break-even exits on it, which would
// sell the lots under the strategy.
func (n *Needs) Inventory(stop decimal.Decimal) {
	if !stop.IsPositive() {
		n.errs = append(n.errs, fmt.Errorf("inventory stop must be a positive price, got %s", stop))
		return
	}
	n.inventoryStop = stop
}

// InventoryStop returns the stop Inventory declared, zero for a strategy
// that declared none.
func (n *Needs) InventoryStop() decimal.Decimal { return n.inventoryStop }

// Closes declares a reason the strategy may end a round trip under, by
// Context.Close or by its own sell (Order.Reason), so that the daemon's
// exit counter of that reason reads 0 from the start rather than
// appearing at the first such exit. A reason left undeclared is still
// counted, from its first exit on.
func (n *Needs) Closes(reason string) { n.closeReasons = appendNew(n.closeReasons, reason) }

// CloseReasons returns the reasons Closes declared, in declaration order.
func (n *Needs) CloseReasons() []string { return n.closeReasons }

func appendNew(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// BarNeeds returns the bar subscriptions in declaration order.
func (n *Needs) BarNeeds() []BarNeed { return n.bars }

// TradeProducts returns the products whose trades were asked for.
func (n *Needs) TradeProducts() []string { return n.trades }

// QuoteProducts returns the products whose quotes were asked for.
func (n *Needs) QuoteProducts() []string { return n.quotes }

// Timers returns the timer periods.
func (n *Needs) Timers() []time.Duration { return n.timers }

// Err returns the first mistake in the declarations, if any.
func (n *Needs) Err() error {
	if len(n.errs) > 0 {
		return n.errs[0]
	}
	return nil
}

// Products returns every product the strategy reads, the instance's
// first.
func (n *Needs) Products() []string {
	out := []string{n.product}
	for _, b := range n.bars {
		out = appendNew(out, b.Product)
	}
	for _, p := range n.trades {
		out = appendNew(out, p)
	}
	for _, p := range n.quotes {
		out = appendNew(out, p)
	}
	return out
}

// Lookback returns the longest warm-up any bar subscription asks for,
// in time: its lookback of bars (or its history, if longer) and one more,
// since the first bar built from ticks that start inside it is partial.
func (n *Needs) Lookback() time.Duration {
	var d time.Duration
	for _, b := range n.bars {
		if bars := b.Bars(); bars > 0 {
			d = max(d, b.Interval*time.Duration(bars+1))
		}
	}
	return d
}

// Bars returns how many bars of history the warm-up fetches: the
// lookback, or the history if longer.
func (b BarNeed) Bars() int { return max(b.Lookback, b.History) }

// Adapt returns s ready for the engine: a Signaler that implements no
// callback of its own comes wrapped in Signals.
func Adapt(s Strategy) Strategy {
	if sig, ok := s.(Signaler); ok {
		if _, api := s.(TradeHandler); !api {
			return NewSignals(sig)
		}
	}
	return s
}

// NeedsOf returns what an adapted strategy declares when it trades
// product: its Setup's declarations, or the trades and quotes of product
// without one.
func NeedsOf(s Strategy, product string) *Needs {
	n := NewNeeds(product)
	if st, ok := s.(Setup); ok {
		st.Needs(n)
	} else {
		n.Trades("")
		n.Quotes("")
	}
	return n
}
