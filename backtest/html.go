package backtest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tradebot/tradebot/position"
)

// chartsJS is TradingView Lightweight Charts 4.2.2 (assets/LICENSE,
// assets/NOTICE), inlined into report.html so that the report opens
// offline.
//
//go:embed assets/lightweight-charts.standalone.production.js
var chartsJS []byte

// reportJS draws the charts from the report's data; reportCSS styles it.
//
//go:embed assets/report.js
var reportJS []byte

//go:embed assets/report.css
var reportCSS []byte

// Bounds on what report.html holds, so that a month of one-minute candles
// stays under 500 KB and a year still opens quickly.
const (
	// overviewBars is the most candles of the whole-period price chart:
	// longer data is drawn there at a coarser step.
	overviewBars = 2000
	// detailBars is the most candles at the data's own resolution, taken
	// around the trades (all of the data when it fits).
	detailBars = 5000
	// tradePad is how many candles a trade's detail shows before its
	// entry and after its exit; tradeSpan bounds one trade's detail.
	tradePad  = 60
	tradeSpan = 600
	// equityPoints is the most points of the equity curve.
	equityPoints = 1500
)

// WriteHTML writes report.html: the summary, per-strategy and per-product
// tables, warnings, the risk guard's state changes, a candlestick chart of
// each traded product with the trades marked (the whole period, and the
// data's own resolution around each trade), equity against buy-and-hold,
// drawdown, and the trade list, each row of which shows its trade on the
// chart. The file depends only on r and s.
func WriteHTML(w io.Writer, r *Result, s Summary) error {
	data, err := json.Marshal(chartData(r))
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := pageTemplate().Execute(&body, pageView(r, s)); err != nil {
		return err
	}
	var out bytes.Buffer
	out.Grow(body.Len() + len(chartsJS) + len(data) + len(reportJS) + 256)
	out.Write(body.Bytes())
	out.WriteString("<script>")
	out.Write(chartsJS)
	// json.Marshal escapes <, > and &, so the data cannot end the script.
	out.WriteString("</script>\n<script type=\"application/json\" id=\"report-data\">")
	out.Write(data)
	out.WriteString("</script>\n<script>")
	out.Write(reportJS)
	out.WriteString("</script>\n</body>\n</html>\n")
	_, err = w.Write(out.Bytes())
	return err
}

// Title names a run by its strategies and products, as the config does,
// and the config file.
func Title(r *Result) string {
	if len(r.Strategies) == 0 {
		return "no strategy"
	}
	t := strings.Join(r.Strategies, ", ")
	var ps []string
	for _, b := range r.Bars {
		ps = append(ps, b.Product)
	}
	if len(ps) > 0 {
		t += " on " + strings.Join(ps, ", ")
	}
	if r.Config != "" {
		t += " (" + r.Config + ")"
	}
	return t
}

type kv struct{ K, V string }

type tradeRow struct {
	N                                       int
	Strategy, Product, Entry, Exit, Holding string
	EntryReason, ExitReason                 string
	EntryPrice, ExitPrice, Size, Fees, PnL  string
	Loss                                    bool
}

type riskRow struct {
	Time, From, To, Rule, Reason, Duration string
}

type view struct {
	Title, Period string
	CSSBytes      template.CSS
	Warnings      []string
	Key           []kv
	ByStrategy    []Breakdown
	ByProduct     []Breakdown
	Markets       []Market
	Products      []string
	Risk          []riskRow
	Trades        []tradeRow
	Exits         []kv
	Files         []FileInfo
	CandlePath    string
}

func pageView(r *Result, s Summary) view {
	v := view{Title: Title(r), CSSBytes: template.CSS(reportCSS), Warnings: s.Warnings,
		ByStrategy: s.ByStrategy, ByProduct: s.ByProduct, Markets: s.Markets, Files: s.Files, CandlePath: s.CandlePath,
		Period: fmt.Sprintf("%s to %s (%s), %d ticks", s.Start.Format("2006-01-02 15:04:05"), s.End.Format("2006-01-02 15:04:05 MST"),
			fmtSpan(s.End.Sub(s.Start)), s.Ticks)}
	v.Key = []kv{
		{"trades", fmt.Sprintf("%d (%d won, %d lost)", s.Trades, s.Wins, s.Losses)},
		{"win rate", fmt.Sprintf("%.1f %%", s.WinRate*100)},
		{"PnL (net of fees)", s.PnL.StringFixed(2)},
		{"fees", s.Fees.StringFixed(2)},
		{"equity", s.Capital.StringFixed(2) + " → " + s.FinalEquity.StringFixed(2)},
		{"max drawdown", fmt.Sprintf("%.2f (%.2f %%)", s.MaxDrawdown, s.MaxDrawdownPct*100)},
		{"exposure", fmt.Sprintf("%.2f %% of the time", s.Exposure*100)},
	}
	if s.RatiosShown {
		v.Key = append(v.Key, kv{"Sharpe / Sortino", fmt.Sprintf("%.2f / %.2f (daily, %d days)", s.Sharpe, s.Sortino, s.ReturnPeriods)})
	}
	for _, m := range s.Markets {
		v.Key = append(v.Key, kv{"market " + m.Product, fmt.Sprintf("%s → %s (%+.2f %%); buy and hold %+.2f",
			fmtPrice(m.First), fmtPrice(m.Last), m.Change*100, m.BuyAndHold)})
	}
	for _, b := range r.Bars {
		v.Products = append(v.Products, b.Product)
	}
	for _, c := range s.RiskChanges {
		v.Risk = append(v.Risk, riskRow{Time: c.Time.Format("2006-01-02 15:04:05"), From: c.From, To: c.To,
			Rule: c.Rule, Reason: c.Reason, Duration: c.Duration})
	}
	for i, rt := range r.RoundTrips {
		v.Trades = append(v.Trades, tradeRow{N: i + 1, Strategy: rt.Strategy, Product: rt.ProductID,
			Entry: rt.EntryTime.UTC().Format("2006-01-02 15:04:05"), Exit: rt.ExitTime.UTC().Format("2006-01-02 15:04:05"),
			Holding: fmtHolding(rt.Holding), EntryReason: rt.EntryReason, ExitReason: rt.ExitReason,
			EntryPrice: rt.EntryPrice.String(), ExitPrice: rt.ExitPrice.String(), Size: rt.Size.String(),
			Fees: rt.Fees.StringFixed(2), PnL: rt.PnL.StringFixed(2), Loss: !rt.PnL.IsPositive()})
	}
	for _, k := range sortedReasons(s.ExitReasons) {
		v.Exits = append(v.Exits, kv{k, strconv.Itoa(s.ExitReasons[k])})
	}
	return v
}

// fmtSpan writes a period in days, hours and minutes.
func fmtSpan(d time.Duration) string {
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	if days > 0 {
		return fmt.Sprintf("%dd %dh %dm", days, d/time.Hour, (d%time.Hour)/time.Minute)
	}
	return d.String()
}

// pageTemplate is the report's page, parsed at its first use: a run
// without report.html does not pay for it at start.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"pct":  func(f float64) string { return fmt.Sprintf("%.1f %%", f*100) },
		"f2":   func(f float64) string { return fmt.Sprintf("%.2f", f) },
		"hold": fmtHolding,
		"table": func(what string, rows []Breakdown) any {
			return struct {
				What string
				Rows []Breakdown
			}{what, rows}
		},
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tradebot backtest: {{.Title}}</title>
<style>{{.CSSBytes}}</style>
</head>
<body>
<h1>tradebot backtest: {{.Title}}</h1>
<p class="sub">{{.Period}}</p>
{{if .Warnings}}<div class="warn" id="warnings"><strong>Warnings</strong><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul></div>{{end}}
<h2>Summary</h2>
<table class="kv" id="summary">{{range .Key}}<tr><td>{{.K}}</td><td class="l">{{.V}}</td></tr>{{end}}</table>
{{define "breakdown"}}<div class="wrap"><table>
<tr><th class="l">{{.What}}</th><th>trades</th><th>win rate</th><th>PnL</th><th>fees</th><th>avg holding</th><th>max drawdown (closed trades)</th><th>exposure</th></tr>
{{range .Rows}}<tr><td class="l">{{.Name}}</td><td>{{.Trades}}</td><td>{{pct .WinRate}}</td><td class="{{if .PnL.IsNegative}}neg{{else}}pos{{end}}">{{.PnL.StringFixed 2}}</td><td>{{.Fees.StringFixed 2}}</td><td>{{hold .AvgHolding}}</td><td>{{f2 .MaxDrawdown}}</td><td>{{pct .Exposure}}</td></tr>
{{end}}</table></div>{{end}}
<h2>By strategy</h2>
{{template "breakdown" (table "strategy" .ByStrategy)}}
<h2>By product</h2>
{{template "breakdown" (table "product" .ByProduct)}}
<h2>Price and trades</h2>
<div class="controls">{{if gt (len .Products) 1}}<select id="product">{{range $i, $p := .Products}}<option value="{{$i}}">{{$p}}</option>{{end}}</select>{{end}}
<button id="whole" type="button">whole period</button><span class="note" id="resolution"></span></div>
<div class="chart" id="price"></div>
<div class="chart small" id="indicators" hidden></div>
<h2>Equity against buy and hold</h2>
<div class="chart small" id="equity"></div>
<h2>Drawdown</h2>
<div class="chart small" id="drawdown"></div>
<h2>Risk guard</h2>
{{if .Risk}}<div class="wrap"><table id="risk"><tr><th class="l">from</th><th class="l">state</th><th class="l">for</th><th class="l">rule</th><th class="l">why</th></tr>
{{range .Risk}}<tr><td class="l">{{.Time}}</td><td class="l">{{.From}} → {{.To}}</td><td class="l">{{.Duration}}</td><td class="l">{{.Rule}}</td><td class="l">{{.Reason}}</td></tr>
{{end}}</table></div>{{else}}<p id="risk">ACTIVE for the whole run.</p>{{end}}
<h2>Trades</h2>
<p class="sub">Click a trade to show it on the price chart.</p>
<div class="wrap"><table id="trades"><thead><tr><th>#</th><th class="l">strategy</th><th class="l">product</th><th class="l">entry</th><th class="l">exit</th><th>held</th><th class="l">entry reason</th><th class="l">exit reason</th><th>entry price</th><th>exit price</th><th>size</th><th>fees</th><th>PnL</th></tr></thead>
<tbody>{{range .Trades}}<tr data-n="{{.N}}"><td>{{.N}}</td><td class="l">{{.Strategy}}</td><td class="l">{{.Product}}</td><td class="l">{{.Entry}}</td><td class="l">{{.Exit}}</td><td>{{.Holding}}</td><td class="l">{{.EntryReason}}</td><td class="l">{{.ExitReason}}</td><td>{{.EntryPrice}}</td><td>{{.ExitPrice}}</td><td>{{.Size}}</td><td>{{.Fees}}</td><td class="{{if .Loss}}neg{{else}}pos{{end}}">{{.PnL}}</td></tr>
{{end}}</tbody></table></div>
{{if .Exits}}<h2>Exit reasons</h2>
<table class="kv">{{range .Exits}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>{{end}}
<footer>
<p>Data: {{range $i, $f := .Files}}{{if $i}}; {{end}}{{$f.Name}} ({{$f.Format}}{{if $f.Interval}}, {{$f.Interval}} candles{{end}}, {{$f.Ticks}} ticks){{end}}. Candle path: {{.CandlePath}}. Times are UTC.</p>
<p>Charts: TradingView Lightweight Charts™, Copyright (c) 2024 TradingView, Inc., <a href="https://www.tradingview.com/">https://www.tradingview.com/</a> (Apache License 2.0).</p>
</footer>
`))
})

// chart data, as report.js reads it.
type (
	jsBlock struct {
		Start int64        `json:"start"`
		Step  int64        `json:"step"`
		Bars  [][5]float64 `json:"bars"`
		// Plots hold each plot's value per bar, null where not ready.
		Plots [][]*float64 `json:"plots"`
	}
	jsPlot struct {
		Name    string `json:"name"`
		Overlay bool   `json:"overlay"`
	}
	jsProduct struct {
		Product      string    `json:"product"`
		Step         int64     `json:"step"`
		Plots        []jsPlot  `json:"plots"`
		Overview     *jsBlock  `json:"overview,omitempty"`
		Segments     []jsBlock `json:"segments"`
		OverviewNote string    `json:"overview_note"`
		DetailNote   string    `json:"detail_note"`
	}
	jsTrade struct {
		N          int     `json:"n"`
		Product    string  `json:"product"`
		Entry      int64   `json:"entry"`
		Exit       int64   `json:"exit"`
		EntryPrice float64 `json:"entry_price"`
		ExitPrice  float64 `json:"exit_price"`
		ExitReason string  `json:"exit_reason"`
		Segment    int     `json:"segment"` // index into the product's segments, -1 for none
	}
	jsEquity struct {
		Start int64 `json:"start"`
		// Points are seconds since the previous point, equity, price and
		// drawdown.
		Points [][4]float64 `json:"points"`
	}
	jsRisk struct {
		Time int64  `json:"time"`
		To   string `json:"to"`
	}
	jsData struct {
		Capital  float64     `json:"capital"`
		Products []jsProduct `json:"products"`
		Trades   []jsTrade   `json:"trades"`
		Equity   jsEquity    `json:"equity"`
		Risk     []jsRisk    `json:"risk"`
	}
)

func chartData(r *Result) jsData {
	d := jsData{Capital: r.Capital.InexactFloat64(), Products: []jsProduct{}, Trades: []jsTrade{}, Risk: []jsRisk{}}
	for i, rt := range r.RoundTrips {
		d.Trades = append(d.Trades, jsTrade{N: i + 1, Product: rt.ProductID, Entry: rt.EntryTime.Unix(), Exit: rt.ExitTime.Unix(),
			EntryPrice: rt.EntryPrice.InexactFloat64(), ExitPrice: rt.ExitPrice.InexactFloat64(), ExitReason: rt.ExitReason, Segment: -1})
	}
	budget := detailBars
	for _, pb := range r.Bars {
		if len(pb.Bars) == 0 {
			continue
		}
		d.Products = append(d.Products, productChart(pb, r.RoundTrips, d.Trades, &budget))
	}
	d.Equity = equityChart(r.Equity, equityPoints)
	for _, c := range r.RiskChanges {
		d.Risk = append(d.Risk, jsRisk{Time: c.Time.Unix(), To: c.To})
	}
	return d
}

// productChart is one product's price data: all of it at its own
// resolution when it fits detailBars, or else an overview of at most
// overviewBars candles and, at the data's resolution, windows around
// the trades while budget lasts.
func productChart(pb PriceBars, rts []position.RoundTrip, trades []jsTrade, budget *int) jsProduct {
	step := pb.Step
	native := fmt.Sprintf("%s candles, the data's own resolution", fmtStep(step))
	if step < time.Second {
		step = time.Second
	}
	p := jsProduct{Product: pb.Product, Step: int64(step / time.Second), Segments: []jsBlock{}, Plots: []jsPlot{}}
	vals := make([][]float64, len(pb.Plots))
	for i, pl := range pb.Plots {
		p.Plots = append(p.Plots, jsPlot{Name: pl.Name, Overlay: pl.Overlay})
		vals[i] = pl.Values
	}
	// fine are the bars at the data's own resolution the trades' windows
	// are cut from: Bars, or the recorder's Detail when Bars are coarser.
	fine, fineVals, over := pb.Bars, vals, step
	if pb.Detail != nil {
		fine, fineVals = pb.Detail, make([][]float64, len(pb.Plots))
		for i, pl := range pb.Plots {
			fineVals[i] = pl.Detail
		}
		step = max(pb.DetailStep, time.Second)
		native = fmt.Sprintf("%s candles, the data's own resolution", fmtStep(pb.DetailStep))
		p.Step = int64(step / time.Second)
	}
	// window returns the plots' values of bars lo to hi of fine.
	window := func(lo, hi int) [][]float64 {
		out := make([][]float64, len(fineVals))
		for i, v := range fineVals {
			out[i] = v[lo:hi]
		}
		return out
	}
	if pb.Detail == nil && len(pb.Bars) <= *budget {
		*budget -= len(pb.Bars)
		p.Segments = append(p.Segments, block(pb.Bars, vals, step))
		p.OverviewNote, p.DetailNote = native, native
		for i := range trades {
			if rts[i].ProductID == pb.Product {
				trades[i].Segment = 0
			}
		}
		return p
	}
	for _, s := range barSteps {
		if s > over && spanBars(pb.Bars, over) > overviewBars {
			over = s
		}
	}
	for spanBars(pb.Bars, over) > overviewBars {
		over *= 2
	}
	ob := block(mergeCopy(pb.Bars, vals, over))
	p.Overview = &ob
	p.OverviewNote = fmt.Sprintf("whole period in %s candles; click a trade for the data's own %s candles around it", fmtStep(over), fmtStep(step))
	p.DetailNote = native
	// Windows around each trade, merged where they overlap.
	var segEnd time.Time
	short := 0
	for i := range trades {
		rt := rts[i]
		if rt.ProductID != pb.Product {
			continue
		}
		from := rt.EntryTime.Add(-tradePad * step)
		to := rt.ExitTime.Add(tradePad * step)
		if to.Sub(from) > tradeSpan*step {
			to = from.Add(tradeSpan * step)
		}
		lo := searchBars(fine, from)
		hi := searchBars(fine, to)
		if n := len(p.Segments); n > 0 && !from.After(segEnd) {
			// Extend the last segment.
			last := &p.Segments[n-1]
			have := len(last.Bars)
			start := searchBars(fine, time.Unix(last.Start, 0))
			if hi > start+have && hi-(start+have) <= *budget {
				*budget -= hi - (start + have)
				*last = block(fine[start:hi], window(start, hi), step)
				segEnd = to
			}
			if rt.EntryTime.Before(segEnd) {
				trades[i].Segment = n - 1
			}
			continue
		}
		if hi-lo > *budget || hi <= lo {
			short++
			continue
		}
		*budget -= hi - lo
		p.Segments = append(p.Segments, block(fine[lo:hi], window(lo, hi), step))
		segEnd = to
		trades[i].Segment = len(p.Segments) - 1
	}
	if short > 0 {
		p.OverviewNote += fmt.Sprintf(" (%d trade(s) beyond the report's size budget are shown on the overview only)", short)
	}
	return p
}

// mergeCopy merges bars and their plot values into bars of step, into
// new slices, as mergeRaw and mergeRawValues would merge copies of them:
// a merged bar keeps the plots' values at the end of its last bar. The
// overview it makes is a few thousand bars of a month's tens of
// thousands, so it copies only what it keeps.
func mergeCopy(bs []Bar, vals [][]float64, step time.Duration) ([]Bar, [][]float64, time.Duration) {
	st := int64(step)
	ov := make([][]float64, len(vals))
	var out []Bar
	var last int64
	for i := range bs {
		b := &bs[i]
		start := floorNs(b.Time.UnixNano(), st)
		if n := len(out); n > 0 && start == last {
			o := &out[n-1]
			o.High = max(o.High, b.High)
			o.Low = min(o.Low, b.Low)
			o.Close = b.Close
			for k, v := range vals {
				ov[k][n-1] = v[i]
			}
			continue
		}
		last = start
		out = append(out, Bar{Time: time.Unix(0, start).UTC(), Open: b.Open, High: b.High, Low: b.Low, Close: b.Close})
		for k, v := range vals {
			ov[k] = append(ov[k], v[i])
		}
	}
	return out, ov, step
}

// roundSig keeps 8 significant digits of an indicator value for the
// chart: more would only lengthen the file.
func roundSig(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) {
		return x
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 8, 64), 64)
	return f
}

// spanBars is how many bars of step the time of bs covers.
func spanBars(bs []Bar, step time.Duration) int {
	return int(bs[len(bs)-1].Time.Sub(bs[0].Time)/step) + 1
}

// searchBars is the index of the first bar at or after t.
func searchBars(bs []Bar, t time.Time) int {
	lo, hi := 0, len(bs)
	for lo < hi {
		mid := (lo + hi) / 2
		if bs[mid].Time.Before(t) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// block encodes bars for report.js: each bar's distance in steps from the
// one before (the first from Start), then open, high, low and close.
func block(bs []Bar, vals [][]float64, step time.Duration) jsBlock {
	b := jsBlock{Step: int64(step / time.Second), Bars: make([][5]float64, len(bs)), Plots: make([][]*float64, len(vals))}
	for i, v := range vals {
		b.Plots[i] = make([]*float64, len(v))
		for j, x := range v {
			if !math.IsNaN(x) {
				x := roundSig(x)
				b.Plots[i][j] = &x
			}
		}
	}
	if len(bs) == 0 {
		return b
	}
	b.Start = bs[0].Time.Unix()
	prev := b.Start
	for i, x := range bs {
		t := x.Time.Unix()
		b.Bars[i] = [5]float64{float64((t - prev) / b.Step), x.Open, x.High, x.Low, x.Close}
		prev = t
	}
	return b
}

// fmtStep writes a bar length as traders do: 1s, 15s, 1m, 4h, 1d.
func fmtStep(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// equityChart keeps at most about n points of the equity curve: the
// first sample, then per bucket of samples the last equity and price and
// the deepest drawdown, so that thinning hides no fall.
func equityChart(pts []Point, n int) jsEquity {
	var e jsEquity
	if len(pts) == 0 {
		return e
	}
	step := max(1, (len(pts)+n-1)/n)
	e.Start = pts[0].Time.Unix()
	prev := e.Start
	e.Points = append(e.Points, [4]float64{0, round2(pts[0].Equity), pts[0].Price, 0})
	for i := 1; i < len(pts); i += step {
		worst := 0.0
		end := min(i+step, len(pts))
		for _, p := range pts[i:end] {
			worst = min(worst, p.Drawdown)
		}
		last := pts[end-1]
		t := last.Time.Unix()
		if t <= prev {
			continue // the chart needs increasing whole seconds
		}
		e.Points = append(e.Points, [4]float64{float64(t - prev), round2(last.Equity), last.Price, round2(worst)})
		prev = t
	}
	return e
}
