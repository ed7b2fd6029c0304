package backtest

import (
	"math"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/position"
)

// AnnualPeriods is how many daily returns make a year in the Sharpe and
// Sortino ratios: crypto trades every day of the year.
const AnnualPeriods = 365

// Summary is the headline of a run, as written to summary.json.
type Summary struct {
	Strategies []string   `json:"strategies"`
	Start      time.Time  `json:"start"`
	End        time.Time  `json:"end"`
	Ticks      int        `json:"ticks"`
	CandlePath string     `json:"candle_path"`
	Files      []FileInfo `json:"files"`

	Trades int `json:"trades"`
	Wins   int `json:"wins"`
	Losses int `json:"losses"`
	// WinRate is wins over trades, 0 without trades.
	WinRate float64 `json:"win_rate"`
	// PnL is realized over closed round trips, net of fees.
	PnL  decimal.Decimal `json:"pnl"`
	Fees decimal.Decimal `json:"fees"`
	// Capital and FinalEquity are in the quote currency; FinalEquity
	// marks open positions at the last price.
	Capital       decimal.Decimal `json:"capital"`
	FinalEquity   decimal.Decimal `json:"final_equity"`
	OpenPositions []string        `json:"open_positions"`
	// MaxDrawdown is the largest fall of equity from a previous peak, in
	// quote currency and as a fraction of that peak, over the one-minute
	// equity samples.
	MaxDrawdown    float64 `json:"max_drawdown"`
	MaxDrawdownPct float64 `json:"max_drawdown_pct"`
	// Sharpe and Sortino are of daily returns of equity (UTC days),
	// annualized by sqrt(365), with a zero risk-free rate; zero when the
	// data spans fewer than two whole days of returns.
	Sharpe        float64 `json:"sharpe"`
	Sortino       float64 `json:"sortino"`
	ReturnPeriod  string  `json:"return_period"`
	ReturnPeriods int     `json:"return_periods"`
	// Exposure is the fraction of the data's time during which a position
	// was held.
	Exposure float64 `json:"exposure"`
	// ExitReasons counts round trips by exit reason.
	ExitReasons map[string]int `json:"exit_reasons"`
	// RatiosShown is false when the data spans fewer than MinRatioDays
	// daily returns: the report then shows no Sharpe or Sortino.
	RatiosShown bool `json:"ratios_shown"`

	// ByStrategy and ByProduct break the round trips down, in config
	// order.
	ByStrategy []Breakdown `json:"by_strategy"`
	ByProduct  []Breakdown `json:"by_product"`
	// Markets say how each traded product's price moved over the data.
	Markets []Market `json:"markets"`
	// RiskChanges are the risk guard's state changes.
	RiskChanges []RiskChange `json:"risk_changes"`
	// Warnings are what a reader must not miss (entries not placed, for
	// lack of funds or by the risk guard; ratios not shown; the risk guard
	// leaving ACTIVE; positions open at the end).
	Warnings []string `json:"warnings"`
}

// Summarize computes the summary of a result.
func Summarize(r *Result) Summary {
	s := Summary{Strategies: r.Strategies, Start: r.Start.UTC(), End: r.End.UTC(), Ticks: r.Ticks,
		CandlePath: r.Data.Path.String(), Files: r.Data.Files, Capital: r.Capital, FinalEquity: r.Final,
		OpenPositions: r.OpenPositions, ExitReasons: map[string]int{}, ReturnPeriod: "1d"}
	if s.OpenPositions == nil {
		s.OpenPositions = []string{}
	}
	for _, rt := range r.RoundTrips {
		s.Trades++
		if rt.PnL.IsPositive() {
			s.Wins++
		} else {
			s.Losses++
		}
		s.PnL = s.PnL.Add(rt.PnL)
		s.Fees = s.Fees.Add(rt.Fees)
		s.ExitReasons[rt.ExitReason]++
	}
	if s.Trades > 0 {
		s.WinRate = float64(s.Wins) / float64(s.Trades)
	}
	s.MaxDrawdown, s.MaxDrawdownPct = r.MaxDrawdown, r.MaxDrawdownPct
	rets := r.DailyReturns
	s.ReturnPeriods = len(rets)
	s.Sharpe, s.Sortino = sharpeSortino(rets, AnnualPeriods)
	span := r.End.Sub(r.Start)
	if span > 0 {
		s.Exposure = float64(r.Exposed) / float64(span)
	}
	s.RatiosShown = s.ReturnPeriods >= MinRatioDays
	products := make([]string, 0, len(r.prices))
	for _, m := range r.prices {
		products = append(products, m.product)
	}
	s.ByStrategy = breakdowns(r.RoundTrips, func(rt *position.RoundTrip) string { return rt.Strategy }, r.Strategies, span)
	s.ByProduct = breakdowns(r.RoundTrips, func(rt *position.RoundTrip) string { return rt.ProductID }, products, span)
	s.Markets = markets(r.prices, r.Capital.InexactFloat64())
	s.RiskChanges = r.RiskChanges
	if s.RiskChanges == nil {
		s.RiskChanges = []RiskChange{}
	}
	s.Warnings = warnings(r, &s)
	return s
}

// sharpeSortino returns mean/stddev and mean/downside deviation of rets,
// times sqrt(periodsPerYear). Fewer than two returns, or no variation,
// give zero.
func sharpeSortino(rets []float64, periodsPerYear float64) (sharpe, sortino float64) {
	n := float64(len(rets))
	if len(rets) < 2 {
		return 0, 0
	}
	var sum float64
	for _, r := range rets {
		sum += r
	}
	mean := sum / n
	var sq, down float64
	for _, r := range rets {
		sq += (r - mean) * (r - mean)
		if r < 0 {
			down += r * r
		}
	}
	ann := math.Sqrt(periodsPerYear)
	if sd := math.Sqrt(sq / (n - 1)); sd > 0 {
		sharpe = mean / sd * ann
	}
	if dd := math.Sqrt(down / n); dd > 0 {
		sortino = mean / dd * ann
	}
	return sharpe, sortino
}

// sortedReasons returns the exit reasons in name order, for stable
// tables.
func sortedReasons(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
