package backtest

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/position"
)

// MinRatioDays is the fewest daily returns for which the report shows
// the Sharpe and Sortino ratios: over fewer, one day moves them by more
// than they mean.
const MinRatioDays = 30

// Breakdown summarizes the round trips of one strategy or one product.
type Breakdown struct {
	Name    string          `json:"name"`
	Trades  int             `json:"trades"`
	Wins    int             `json:"wins"`
	WinRate float64         `json:"win_rate"`
	PnL     decimal.Decimal `json:"pnl"`
	Fees    decimal.Decimal `json:"fees"`
	// AvgHolding is the mean time a round trip was held.
	AvgHolding time.Duration `json:"avg_holding_ns"`
	// MaxDrawdown is the largest fall of the cumulative PnL of closed
	// trades from a previous peak, in the quote currency (the account's
	// drawdown, open positions included, is Summary.MaxDrawdown).
	MaxDrawdown float64 `json:"max_drawdown"`
	// Exposure is the fraction of the data's time with a position open.
	Exposure float64 `json:"exposure"`
}

// Market is how one product's price moved over the data: what holding it
// would have given.
type Market struct {
	Product string  `json:"product"`
	First   float64 `json:"first_price"`
	Last    float64 `json:"last_price"`
	// Change is Last/First - 1.
	Change float64 `json:"change"`
	// BuyAndHold is the PnL of buying the starting capital's worth at the
	// first price and holding it to the last, without fees.
	BuyAndHold float64 `json:"buy_and_hold_pnl"`
}

// breakdowns groups rts by key, in the order the names first appear in
// order, then any other.
func breakdowns(rts []position.RoundTrip, key func(*position.RoundTrip) string, order []string, span time.Duration) []Breakdown {
	groups := map[string][]*position.RoundTrip{}
	names := []string{}
	for _, n := range order {
		if _, ok := groups[n]; !ok {
			groups[n] = nil
			names = append(names, n)
		}
	}
	for i := range rts {
		k := key(&rts[i])
		if _, ok := groups[k]; !ok {
			names = append(names, k)
		}
		groups[k] = append(groups[k], &rts[i])
	}
	out := make([]Breakdown, 0, len(names))
	for _, n := range names {
		out = append(out, breakdown(n, groups[n], span))
	}
	return out
}

func breakdown(name string, rts []*position.RoundTrip, span time.Duration) Breakdown {
	b := Breakdown{Name: name}
	var held time.Duration
	cum, peak := 0.0, 0.0
	for _, rt := range rts {
		b.Trades++
		if rt.PnL.IsPositive() {
			b.Wins++
		}
		b.PnL = b.PnL.Add(rt.PnL)
		b.Fees = b.Fees.Add(rt.Fees)
		held += rt.Holding
		cum += rt.PnL.InexactFloat64()
		peak = max(peak, cum)
		b.MaxDrawdown = max(b.MaxDrawdown, peak-cum)
	}
	if b.Trades > 0 {
		b.WinRate = float64(b.Wins) / float64(b.Trades)
		b.AvgHolding = held / time.Duration(b.Trades)
	}
	if span > 0 {
		b.Exposure = float64(heldTime(rts)) / float64(span)
	}
	return b
}

// heldTime is the length of the union of the trips' holding intervals.
func heldTime(rts []*position.RoundTrip) time.Duration {
	iv := make([][2]time.Time, len(rts))
	for i, rt := range rts {
		iv[i] = [2]time.Time{rt.EntryTime, rt.ExitTime}
	}
	sort.Slice(iv, func(i, j int) bool { return iv[i][0].Before(iv[j][0]) })
	var total time.Duration
	var cur [2]time.Time
	for i, x := range iv {
		if i > 0 && !x[0].After(cur[1]) {
			if x[1].After(cur[1]) {
				cur[1] = x[1]
			}
			continue
		}
		if i > 0 {
			total += cur[1].Sub(cur[0])
		}
		cur = x
	}
	if len(iv) > 0 {
		total += cur[1].Sub(cur[0])
	}
	return total
}

// markets are the first and last prices of each strategy's product.
func markets(prices []productPrices, capital float64) []Market {
	out := make([]Market, 0, len(prices))
	for _, p := range prices {
		if p.first <= 0 {
			continue
		}
		m := Market{Product: p.product, First: p.first, Last: p.last}
		m.Change = m.Last/m.First - 1
		m.BuyAndHold = capital * m.Change
		out = append(out, m)
	}
	return out
}

// warnings are what a reader of the summary must not miss: entries not
// placed, ratios withheld, the risk guard leaving ACTIVE, positions left
// open.
func warnings(r *Result, s *Summary) []string {
	var w []string
	// Entries refused for lack of funds (or by the guard) make a run
	// trade less than its rules say: first.
	for _, n := range r.NotPlaced {
		w = append(w, n.String())
	}
	if s.ReturnPeriods < MinRatioDays {
		w = append(w, fmt.Sprintf("Sharpe and Sortino not shown: the data gives %d daily return(s), fewer than %d",
			s.ReturnPeriods, MinRatioDays))
	}
	for _, c := range r.RiskChanges {
		if c.To != "ACTIVE" {
			w = append(w, fmt.Sprintf("risk guard went %s at %s for %s (%s: %s)", c.To,
				c.Time.Format(time.RFC3339), c.Duration, c.Rule, echo.CutTo(c.Reason, 160)))
		}
	}
	if len(s.OpenPositions) > 0 {
		w = append(w, fmt.Sprintf("positions still open at the end, marked at the last price: %v", s.OpenPositions))
	}
	return w
}
