package live

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fillcheck"
	"github.com/tradebot/tradebot/journal"
)

// TestFaultsNeitherDoubleOrdersNorLoseFills runs `tradebot run` in live
// mode while the emulator drops every WebSocket every few seconds and, in
// turn, skips a sequence number, answers a burst of requests with 429 and
// loses the response to an order it placed. Throughout, no position is
// unprotected at any scrape; afterwards no client_order_id has two orders
// on the exchange, the daemon's position, balances, fill count, fees and
// realized PnL agree with the exchange's fills, and no secret is in the
// output.
func TestFaultsNeitherDoubleOrdersNorLoseFills(t *testing.T) {
	e := startEmulator(t, emuOptions{})
	// The attached-bracket instance under faults is opt-in: with sockets
	// dropped and responses lost, an attached bracket's fill used to miss
	// its instance's position now and then; one cause is fixed (a
	// bracket's fill delivered before its entry's), and the variant has
	// not passed enough runs yet to be on by default (docs/JOURNAL.md,
	// "Known failures and open questions"). TRADEBOT_LIVE_ATTACHED=1
	// turns it on.
	instances, names := []string{brkInstance}, []string{"brk"}
	if os.Getenv("TRADEBOT_LIVE_ATTACHED") == "1" {
		instances, names = append(instances, attInstance), append(names, "att")
	}
	d := startDaemon(t, liveConfig(t, e, "", instances...))
	e.DropSocketsEvery(3 * time.Second)

	faults := []struct {
		name   string
		inject func()
	}{
		{"sequence gap", e.SequenceGap},
		{"429 burst", func() { e.RateLimitBurst(4) }},
		{"lost create-order response", e.LoseNextCreateResponse},
	}
	var bodies []string
	next := time.Now()
	// Faults for 25 s at least, and on until two positions have closed
	// under them (at most 90 s): on a loaded machine the reconnects'
	// backoff leaves the strategy fewer breakouts to trade in 25 s, and
	// a run with fewer round trips proves little.
	end, deadline := time.Now().Add(25*time.Second), time.Now().Add(90*time.Second)
	for i := 0; time.Now().Before(end) || (closedRoundTrips(e) < 2 && time.Now().Before(deadline)); {
		if time.Now().After(next) {
			f := faults[i%len(faults)]
			f.inject()
			t.Logf("%s: injected %s", time.Now().Format("15:04:05.000"), f.name)
			i++
			next = time.Now().Add(2 * time.Second)
		}
		s := d.scrape()
		bodies = append(bodies, s.body)
		assertProtected(t, s)
		time.Sleep(200 * time.Millisecond)
	}
	e.DropSocketsEvery(0)

	st := e.Stats()
	retried := 0
	for _, n := range st.CreateRequests {
		if n > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Errorf("no create-order request was retried: the lost response never reached the daemon (create requests %v)", st.CreateRequests)
	}
	if closedRoundTrips(e) < 2 {
		t.Fatalf("only %d exits filled under faults; the test proves little\n%s", closedRoundTrips(e), tail(d.output()))
	}
	// Every gap and reconnect must be followed by a REST reconciliation.
	if n := len(d.logLines("reconciling orders with Coinbase")); n < 3 {
		t.Errorf("%d reconciliations logged after repeated gaps and reconnects; want one per resync", n)
	}
	q := quietMatch(t, d, e)
	bodies = append(bodies, q.body)
	assertFillsReflected(t, q, e, names...)
	assertJournalHoldsTheExchangesFills(t, d, e, q)
	assertOnePerClientID(t, e)
	d.stop()
	texts := map[string]string{"stderr": d.output()}
	for i, b := range bodies {
		texts["/metrics scrape "+itoa(i)] = b
	}
	assertNoSecrets(t, e, texts)
	for _, rec := range d.logLines("fill") {
		if rec["liquidity"] == "" {
			t.Errorf("fill logged with empty liquidity: %v", rec)
			break
		}
	}
}

// assertFillsReflected compares each instance's fills, fees, position
// and realized PnL in /metrics with the instance's fills on the exchange,
// both as they were at a quiet moment: a fill the daemon missed shows as
// a count, fee, size or PnL difference.
func assertFillsReflected(t *testing.T, q quiet, e *emu, instances ...string) {
	t.Helper()
	type book struct {
		n                         int
		orders                    map[string]bool // orders with a fill
		fees, qty, cost, realized decimal.Decimal
	}
	books := map[string]*book{}
	for _, in := range instances {
		books[in] = &book{orders: map[string]bool{}}
	}
	s := q.scrape
	for _, f := range q.fills {
		b := books[instanceOf(e, f)]
		if b == nil {
			t.Errorf("fill %s of order %s belongs to no instance", f.TradeID, f.OrderID)
			continue
		}
		b.n++
		b.orders[f.OrderID] = true
		b.fees = b.fees.Add(f.Fee)
		// Average-cost accounting, each fee charged to PnL when paid.
		switch f.Side {
		case exchange.Buy:
			b.qty, b.cost = b.qty.Add(f.Size), b.cost.Add(f.Size.Mul(f.Price))
			b.realized = b.realized.Sub(f.Fee)
		case exchange.Sell:
			avg := b.cost.Div(b.qty)
			b.realized = b.realized.Add(f.Size.Mul(f.Price.Sub(avg))).Sub(f.Fee)
			b.cost, b.qty = b.cost.Sub(avg.Mul(f.Size)), b.qty.Sub(f.Size)
		}
	}
	for _, in := range instances {
		b, sel := books[in], `strategy="`+in+`"`
		// Orders fill in parts, and the user channel sends order state,
		// not fills: when updates are lost (the sequence gaps and dropped
		// sockets above), one fill derived from the change of an order's
		// filled size stands for every part filled meanwhile, and the
		// metric counts the fills the daemon saw. So the count lies
		// between the orders that filled and the exchange's fills; the
		// money below (fees, size, PnL) must match to the last digit, and
		// the journal must hold the exchange's fills one for one once
		// reconciled (assertJournalHoldsTheExchangesFills).
		gotFills, _ := s.sum("tradebot_fills_total", sel)
		if int(gotFills) > b.n || int(gotFills) < len(b.orders) {
			t.Errorf("%s: tradebot_fills_total = %v, the exchange has %d fills of %d of the instance's orders", in, gotFills, b.n, len(b.orders))
		}
		gotFees, _ := s.sum("tradebot_fees_paid_total", sel)
		if math.Abs(gotFees-b.fees.InexactFloat64()) > 1e-6 {
			t.Errorf("%s: tradebot_fees_paid_total = %v, the exchange charged %s", in, gotFees, b.fees)
		}
		gotPos, _ := s.sum("tradebot_position_size", sel)
		if !closeTo(gotPos, b.qty, 1e-9) {
			t.Errorf("%s: tradebot_position_size = %v, the exchange's fills leave %s", in, gotPos, b.qty)
		}
		if b.qty.IsZero() {
			gotPnL, _ := s.sum("tradebot_realized_pnl", sel)
			if math.Abs(gotPnL-b.realized.InexactFloat64()) > 0.01 {
				t.Errorf("%s: tradebot_realized_pnl = %v, the exchange's fills give %s", in, gotPnL, b.realized)
			}
		}
		t.Logf("%s: %d fills on the exchange, fees %s, position %s, realized %s", in, b.n, b.fees, b.qty, b.realized)
	}
}

// instanceOf names the instance a fill belongs to: the prefix of its
// order's client order id ("brk-17957..."), or of the entry's for a
// bracket the exchange attached to an entry.
func instanceOf(e *emu, f exchange.Fill) string {
	o, err := e.Sim().Order(f.OrderID)
	if err != nil {
		return ""
	}
	id := o.ClientOrderID
	if id == "" && o.OriginatingOrderID != "" {
		if p, err := e.Sim().Order(o.OriginatingOrderID); err == nil {
			id = p.ClientOrderID
		}
	}
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// assertJournalHoldsTheExchangesFills makes the daemon reconcile (a
// reconnect) after the quiet moment q and checks that its journal then
// holds exactly the exchange's fills of q: the fills it derived from the
// user channel replaced by Coinbase's own, one for one, with the same
// trade id, order, size, price, fee and liquidity.
func assertJournalHoldsTheExchangesFills(t *testing.T, d *daemon, e *emu, q quiet) {
	t.Helper()
	reconnects := func() int {
		n := 0
		for _, rec := range d.logLines("reconciling orders with Coinbase") {
			if rec["reason"] == "reconnect" {
				n++
			}
		}
		return n
	}
	before := reconnects()
	e.DropSockets()
	waitFor(t, 20*time.Second, "a reconciliation after the quiet moment", func() bool { return reconnects() > before })
	var got []journal.FillRecord
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got = journalFills(t, d)
		if !fillcheck.HasDerived(got) || time.Now().After(deadline) {
			break
		}
	}
	for _, diff := range fillcheck.Diff(got, q.fills) {
		t.Error(diff)
	}
}

// journalFills reads the fills of the daemon's journal beside it, as
// `tradebot fills` does.
func journalFills(t *testing.T, d *daemon) []journal.FillRecord {
	t.Helper()
	j, err := journal.OpenReadOnlyWith(filepath.Join(d.stateDir, "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	fills, err := j.Fills(time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return fills
}
