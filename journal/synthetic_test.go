package journal

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// Fills derived from the user channel's cumulative state are replaced by
// Coinbase's own once the REST fills list all of them: real trade ids,
// liquidity, prices and fees, and the same total size. Issue 15, finding
// 7: no real trade id reached the journal and every fill read TAKER.
func TestDerivedFillsAreReplacedByTheVenuesOnceTheyAddUp(t *testing.T) {
	j := openTemp(t)
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	dec := decimal.RequireFromString
	derived := exchange.Fill{TradeID: "cbws:o1:0.3", OrderID: "o1", ClientOrderID: "s-1", ProductID: "BTC-USD",
		Side: exchange.Sell, Price: dec("100.5"), Size: dec("0.3"), Fee: dec("0.12"), Liquidity: exchange.Taker, Time: at}
	if _, err := j.RecordFill("s", derived); err != nil {
		t.Fatal(err)
	}
	ids, oldest, err := j.SyntheticFillOrders()
	if err != nil || len(ids) != 1 || ids[0] != "o1" || !oldest.Equal(at) {
		t.Fatalf("SyntheticFillOrders = %v, %s, %v; want o1 at %s", ids, oldest, err, at)
	}
	real := []exchange.Fill{
		{TradeID: "t-1", OrderID: "o1", ClientOrderID: "s-1", ProductID: "BTC-USD", Side: exchange.Sell,
			Price: dec("100"), Size: dec("0.1"), Fee: dec("0.04"), Liquidity: exchange.Maker, Time: at},
		{TradeID: "t-2", OrderID: "o1", ClientOrderID: "s-1", ProductID: "BTC-USD", Side: exchange.Sell,
			Price: dec("100.75"), Size: dec("0.2"), Fee: dec("0.08"), Liquidity: exchange.Maker, Time: at.Add(time.Second)},
		{TradeID: "t-9", OrderID: "other", ProductID: "BTC-USD", Side: exchange.Buy, Price: dec("1"), Size: dec("1"), Time: at},
	}
	if ok, err := j.ReplaceSyntheticFills("o1", real[:1], 0); err != nil || ok {
		t.Fatalf("with one of two real fills listed: replaced %v, %v; want nothing changed", ok, err)
	}
	if ok, err := j.ReplaceSyntheticFills("o1", real, 0); err != nil || !ok {
		t.Fatalf("with every real fill listed: replaced %v, %v; want replaced", ok, err)
	}
	fills, err := j.Fills(time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fills) != 2 {
		t.Fatalf("fills %+v, want t-1 and t-2 only", fills)
	}
	total := decimal.Zero
	for i, f := range fills {
		if f.TradeID != real[i].TradeID || f.Liquidity != exchange.Maker || f.Instance != "s" || !f.Fee.Equal(real[i].Fee) {
			t.Errorf("fill %d = %+v, want %+v for instance s", i, f, real[i])
		}
		total = total.Add(f.Size)
	}
	if !total.Equal(derived.Size) {
		t.Errorf("journaled size %s after the replacement, want %s", total, derived.Size)
	}
	if ids, _, _ := j.SyntheticFillOrders(); len(ids) != 0 {
		t.Errorf("orders with derived fills after the replacement: %v", ids)
	}
}

// The query that finds orders with derived fills matches exactly the
// prefixes the producers write (exchange.SyntheticTradeIDPrefixes), and
// agrees with exchange.IsSyntheticTradeID on every id: a derived fill the
// query missed would keep its made-up trade id and TAKER label for good,
// and a real fill it took for derived would be deleted by a replacement.
func TestSyntheticFillOrdersFindsEveryDerivedPrefixAndNoRealTradeID(t *testing.T) {
	j := openTemp(t)
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var want []string
	ids := map[string]string{} // trade id -> order id
	for i, p := range exchange.SyntheticTradeIDPrefixes() {
		order := fmt.Sprintf("derived-%d", i)
		ids[p+order+":0.1"] = order
		want = append(want, order)
	}
	// Real trade ids that merely look alike: another case, no colon.
	for i, real := range []string{"CBWS:o:0.1", "CUM:o:0.1", "cbws-o", "cum", "9f3c2a4e-1b7d-4c1e-8f0a-2d6b5e7c9a01"} {
		ids[real] = fmt.Sprintf("real-%d", i)
	}
	for id, order := range ids {
		f := exchange.Fill{TradeID: id, OrderID: order, ProductID: "BTC-USD", Side: exchange.Buy,
			Price: decimal.NewFromInt(100), Size: decimal.RequireFromString("0.1"), Liquidity: exchange.Taker, Time: at}
		if _, err := j.RecordFill("s", f); err != nil {
			t.Fatal(err)
		}
		if got := exchange.IsSyntheticTradeID(id); got != strings.HasPrefix(order, "derived-") {
			t.Errorf("IsSyntheticTradeID(%q) = %v", id, got)
		}
	}
	got, _, err := j.SyntheticFillOrders()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("orders with derived fills = %v, want %v", got, want)
	}
}

// A derived fill is a part of its order's cumulative filled size: once
// the journal holds that much for the order, under any trade id, the same
// part derived again is not recorded twice. The crash test saw it (seed
// 1796616563719270910: a market sell the emulator filled 0.001, the
// journal 0.002, position and cash right): a derived fill was put in the
// journal, ReplaceSyntheticFills put Coinbase's fill in its place
// (deleting the derived id), and the same part derived again from the
// order's state was new by its trade id; the exits, which remember the
// trade ids they booked, dropped it, the journal did not. Nor may the
// user channel's and the executor's ids for one part both count.
func TestADerivedFillTheJournalAlreadyHoldsIsNotRecordedAgain(t *testing.T) {
	j := openTemp(t)
	at := time.Date(2026, 12, 7, 4, 12, 3, 0, time.UTC)
	dec := decimal.RequireFromString
	part := func(id, size string, at time.Time) exchange.Fill {
		return exchange.Fill{TradeID: id, OrderID: "o57", ClientOrderID: "btc-usdt-1", ProductID: "BTC-USDT", Side: exchange.Sell,
			Price: dec("61685.99"), Size: dec(size), Fee: dec("0.37"), Liquidity: exchange.Taker, Time: at}
	}
	held := func() decimal.Decimal {
		t.Helper()
		fills, err := j.Fills(time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		sum := decimal.Zero
		for _, f := range fills {
			if f.OrderID == "o57" {
				sum = sum.Add(f.Size)
			}
		}
		return sum
	}
	if seq, err := j.RecordFill("btc-usdt", part("cum:o57:0.001", "0.001", at)); err != nil || seq == 0 {
		t.Fatalf("first derived fill: number %d, %v", seq, err)
	}
	real := part("t-57", "0.001", at.Add(-time.Second))
	real.ClientOrderID = "" // Coinbase's fills list names no client order id
	if ok, err := j.ReplaceSyntheticFills("o57", []exchange.Fill{real}, 0); err != nil || !ok {
		t.Fatalf("replace: %v, %v", ok, err)
	}
	for _, again := range []exchange.Fill{part("cum:o57:0.001", "0.001", at.Add(time.Minute)), part("cbws:o57:0.001", "0.001", at.Add(time.Minute))} {
		if seq, err := j.RecordFill("btc-usdt", again); err != nil || seq != 0 {
			t.Errorf("%s after the venue's fill replaced it: number %d, %v; want a no-op", again.TradeID, seq, err)
		}
	}
	if got := held(); !got.Equal(dec("0.001")) {
		t.Fatalf("the journal holds %s for an order filled 0.001", got)
	}
	// The next part of the order is new: cumulative 0.003 over 0.001 held.
	if seq, err := j.RecordFill("btc-usdt", part("cbws:o57:0.003", "0.002", at.Add(2*time.Minute))); err != nil || seq == 0 {
		t.Fatalf("the next part: number %d, %v; want it recorded", seq, err)
	}
	if got := held(); !got.Equal(dec("0.003")) {
		t.Fatalf("the journal holds %s for an order filled 0.003", got)
	}
}

// The venue's fills that replace derived ones keep the time the journal
// recorded the derived ones at, not the replacement's: recovery counts in
// the risk guard only the fills recorded after its counters were saved,
// and the counters saved just after a derived fill include it, while the
// reconciliation replaces it a minute or more later.
func TestReplacingDerivedFillsKeepsTheTimeTheyWereRecorded(t *testing.T) {
	j := openTemp(t)
	first := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clk := clock.NewSim(first)
	j.UseClock(clk)
	dec := decimal.RequireFromString
	derived := exchange.Fill{TradeID: "cbws:o1:0.1", OrderID: "o1", ProductID: "BTC-USD", Side: exchange.Buy,
		Price: dec("100"), Size: dec("0.1"), Fee: dec("0.01"), Time: first}
	if _, err := j.RecordFill("s", derived); err != nil {
		t.Fatal(err)
	}
	second := first.Add(time.Second)
	clk.Set(second)
	derived.TradeID, derived.Size = "cbws:o1:0.3", dec("0.2")
	if _, err := j.RecordFill("s", derived); err != nil {
		t.Fatal(err)
	}
	clk.Set(first.Add(2 * time.Minute))
	real := exchange.Fill{TradeID: "t-1", OrderID: "o1", ProductID: "BTC-USD", Side: exchange.Buy, Price: dec("100"),
		Size: dec("0.3"), Fee: dec("0.03"), Liquidity: exchange.Maker, Time: first}
	if ok, err := j.ReplaceSyntheticFills("o1", []exchange.Fill{real}, 0); err != nil || !ok {
		t.Fatalf("replaced %v, %v; want replaced", ok, err)
	}
	fills, err := j.OrderFills("o1")
	if err != nil {
		t.Fatal(err)
	}
	if len(fills) != 1 || fills[0].TradeID != "t-1" || !fills[0].RecordedAt.Equal(second) {
		t.Fatalf("fills after the replacement %+v, want t-1 recorded at %s, the later derived fill's time", fills, second)
	}
}
