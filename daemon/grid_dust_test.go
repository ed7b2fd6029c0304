package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
)

// gridHeld is what the journal says the grid instance holds.
func (r *killableRun) gridHeld() decimal.Decimal {
	r.t.Helper()
	return r.positionOf("grid").Size
}

// wantTheLevelBuyingAgain trades over the 60,000 level until past the
// minute a refused level waits, and fails unless the level's buy rests
// again and the log has no line with refused in it (what: the state).
func wantTheLevelBuyingAgain(t *testing.T, r *killableRun, refused, what string) {
	t.Helper()
	for range 3 {
		r.trade("60500")
	}
	r.clk.Set(r.clk.Now().Add(2 * time.Minute))
	r.trade("60500")
	if got, want := fmt.Sprint(orders(t, r.x)), "[BUY LIMIT 58000 0.01034482 BUY LIMIT 59000 0.01016949 BUY LIMIT 60000 0.01]"; got != want {
		t.Fatalf("%s, the price over the lot's level: %s, want its buy resting again (%s)", what, got, want)
	}
	if strings.Contains(r.log.String(), refused) {
		t.Fatalf("%s: %q logged: the grid asked for what it cannot sell:\n%s", what, refused, r.log.String())
	}
}

// wantTheLotOnSaleWith fills the level's buy (at 59,900) and fails
// unless its lot, size with what was left in it, rests for sale at
// 61,000.
func wantTheLotOnSaleWith(t *testing.T, r *killableRun, size string) {
	t.Helper()
	for range 2 {
		r.trade("59900")
	}
	if got, want := fmt.Sprint(orders(t, r.x)), "[BUY LIMIT 58000 0.01034482 BUY LIMIT 59000 0.01016949 SELL LIMIT 61000 "+size+"]"; got != want {
		t.Fatalf("after the level bought again: %s, want the lot on sale with the rest in it (%s)", got, want)
	}
}

// TestAGridBuysAgainAfterASaleLeavesDust: the grid holds one lot
// (0.01 BTC bought at 60,000, on sale at 61,000); the kill switch's
// flatten cancels that sale and sells the position at market, but the
// bid shows all but 0.000005 BTC: that dust, under the minimum order
// size, is all that is held. The grid keeps no more in its lot than is
// held (exchange.Product.Dust: a position of dust holds nothing a sale
// can sell), so its level buys again, and the next lot is sold with the
// dust in it: the position is flat again after that sale. Until
// 2026-12-07 the grid forgot its lots only when flat: it asked every
// minute to sell the 0.01 it no longer held, refused, and the level
// never bought again.
func TestAGridBuysAgainAfterASaleLeavesDust(t *testing.T) {
	x, clk := newGridVenueWith(t, true)
	r := startGrid(t, x, clk, filepath.Join(t.TempDir(), "journal.db"), exits.InBot)
	for _, p := range []string{"60500", "59900", "59900"} {
		r.trade(p)
	}
	if got, want := fmt.Sprint(orders(t, x)), "[BUY LIMIT 58000 0.01034482 BUY LIMIT 59000 0.01016949 SELL LIMIT 61000 0.01]"; got != want {
		t.Fatalf("holding a lot: %s, want %s", got, want)
	}
	r.tradeShowing("59900", "0.009995", "0.1")
	r.eng.Flatten(context.Background(), exits.ReasonKillSwitch)
	r.eng.Drain(context.Background())
	if held := r.gridHeld(); !held.Equal(dec("0.000005")) {
		t.Fatalf("after the flatten: %s held, want the dust 0.000005", held)
	}

	wantTheLevelBuyingAgain(t, r, "strategy sell not placed", "dust held")
	wantTheLotOnSaleWith(t, r, "0.010005")
	for range 2 {
		r.trade("61100")
	}
	if held := r.gridHeld(); held.IsPositive() {
		t.Fatalf("after the lot sold at 61,000: %s held, want flat", held)
	}
}

// TestAGridLotWorthLessThanTheMinimumOrderIsNotPutOnSale: the lot's
// sale at 61,000 fills all but 0.000015 BTC, over the minimum order size
// (0.00001) but worth 0.915 USD at 61,000, under the minimum order value
// (1 USD); a graceful stop cancels the rest of the sale. Restarted, the
// grid does not ask to sell that rest, which the venue would refuse
// (exchange.Product.Dust): the level buys again, and its next lot is
// sold with the rest in it. Judged by base_min_size alone (until
// 2026-12-07), the rest was put on sale every minute, refused, and the
// level never bought again.
func TestAGridLotWorthLessThanTheMinimumOrderIsNotPutOnSale(t *testing.T) {
	x, clk := newGridVenueWith(t, true)
	path := filepath.Join(t.TempDir(), "journal.db")
	r := startGrid(t, x, clk, path, exits.InBot)
	for _, p := range []string{"60500", "59900", "59900"} {
		r.trade(p)
	}
	// A bid at 61,000 for 0.009985 takes that much of the 0.01 on sale;
	// a quote, not a trade, so that the grid places nothing at it.
	now := clk.Now().Add(time.Second)
	clk.Set(now)
	bid := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: now, Received: now,
		Bid: dec("61000"), BidSize: dec("0.009985"), Ask: dec("61000.02"), AskSize: dec("5")}
	x.OnTick(&bid)
	r.eng.OnTick(bid)
	r.eng.Drain(context.Background())
	if got, want := fmt.Sprint(orders(t, x)), "[BUY LIMIT 58000 0.01034482 BUY LIMIT 59000 0.01016949 SELL LIMIT 61000 0.000015]"; got != want {
		t.Fatalf("after the partial sale: %s, want %s", got, want)
	}
	r.park()
	r.crash()

	r = startGrid(t, x, clk, path, exits.InBot)
	wantTheLevelBuyingAgain(t, r, exchange.ReasonQuoteSizeTooSmall, "restarted with 0.000015 left of the lot")
	wantTheLotOnSaleWith(t, r, "0.010015")
}
