package backtest

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"
	"io"
	"math"
	"regexp"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/components"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// echartsJS is Apache ECharts 5.6.0 (assets/LICENSE, assets/NOTICE),
// inlined into report.html so that the report opens offline: go-echarts
// would otherwise load it from a CDN.
//
//go:embed assets/echarts.min.js
var echartsJS []byte

// cdnScript is the tag by which go-echarts loads ECharts from its host.
var cdnScript = regexp.MustCompile(`<script src="[^"]*echarts\.min\.js"></script>`)

// maxChartPoints bounds the points per chart series; longer curves are
// thinned to the last sample of each bucket (drawdown keeps each bucket's
// deepest point) so that a year of minutes still opens quickly.
const maxChartPoints = 4000

// WriteHTML writes report.html: equity, drawdown, and price with entry
// and exit markers, with ECharts inlined. Chart ids are fixed and the
// animation is off, so the file is the same for the same result.
func WriteHTML(w io.Writer, r *Result, s Summary) error {
	eq := thin(r.Equity)
	equity := make([]opts.LineData, 0, len(eq))
	price := make([]opts.LineData, 0, len(eq))
	for _, p := range eq {
		ms := p.Time.UnixMilli()
		equity = append(equity, opts.LineData{Value: []any{ms, round2(p.Equity)}})
		price = append(price, opts.LineData{Value: []any{ms, round2(p.Price)}})
	}
	dd := drawdownSeries(r.Equity)

	page := components.NewPage()
	page.SetPageTitle("tradebot backtest")
	page.SetLayout(components.PageFlexLayout)

	line := func(id, title string) *charts.Line {
		c := charts.NewLine()
		c.SetGlobalOptions(
			charts.WithInitializationOpts(opts.Initialization{ChartID: id, Width: "1100px", Height: "360px"}),
			charts.WithTitleOpts(opts.Title{Title: title}),
			charts.WithAnimation(false),
			charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
			charts.WithXAxisOpts(opts.XAxis{Type: "time"}),
			charts.WithYAxisOpts(opts.YAxis{Scale: opts.Bool(true)}),
			charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}),
		)
		return c
	}
	noSymbol := charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)})

	eqChart := line("equity", fmt.Sprintf("Equity (PnL %s, %d trades)", s.PnL.StringFixed(2), s.Trades))
	eqChart.AddSeries("equity", equity, noSymbol)

	ddChart := line("drawdown", fmt.Sprintf("Drawdown (max %.2f, %.2f %%)", s.MaxDrawdown, s.MaxDrawdownPct*100))
	ddChart.AddSeries("drawdown", dd, noSymbol, charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.3)}))

	prChart := line("price", "Price and trades")
	prChart.AddSeries("price", price, noSymbol)
	var entries, exits []opts.ScatterData
	for _, rt := range r.RoundTrips {
		entries = append(entries, opts.ScatterData{Name: rt.EntryReason,
			Value: []any{rt.EntryTime.UnixMilli(), rt.EntryPrice.InexactFloat64()}})
		exits = append(exits, opts.ScatterData{Name: rt.ExitReason,
			Value: []any{rt.ExitTime.UnixMilli(), rt.ExitPrice.InexactFloat64()}})
	}
	markers := charts.NewScatter()
	markers.AddSeries("entry", entries, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "triangle", SymbolSize: 9}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "#2e9d4a"}))
	markers.AddSeries("exit", exits, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "diamond", SymbolSize: 9}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "#c23531"}))
	prChart.Overlap(markers)

	page.AddCharts(eqChart, ddChart, prChart)
	var buf bytes.Buffer
	if err := page.Render(&buf); err != nil {
		return err
	}
	out := buf.Bytes()
	tag := cdnScript.Find(out)
	if tag == nil {
		return fmt.Errorf("go-echarts output has no echarts.min.js script tag to inline")
	}
	inline := append(append([]byte("<script>"), echartsJS...), "</script>"...)
	out = bytes.Replace(out, tag, inline, 1)
	header := fmt.Sprintf("<body>\n<h2>tradebot backtest: %s</h2>\n<p>%s .. %s, %d trades, PnL %s, fees %s, candle path %s</p>\n",
		html.EscapeString(fmt.Sprint(s.Strategies)), s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339),
		s.Trades, s.PnL.StringFixed(2), s.Fees.StringFixed(2), html.EscapeString(s.CandlePath))
	out = bytes.Replace(out, []byte("<body>"), []byte(header), 1)
	_, err := w.Write(out)
	return err
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// thin keeps at most maxChartPoints points: the last of each bucket.
func thin(pts []Point) []Point {
	if len(pts) <= maxChartPoints {
		return pts
	}
	step := (len(pts) + maxChartPoints - 1) / maxChartPoints
	out := make([]Point, 0, maxChartPoints+1)
	for i := step - 1; i < len(pts); i += step {
		out = append(out, pts[i])
	}
	if out[len(out)-1] != pts[len(pts)-1] {
		out = append(out, pts[len(pts)-1])
	}
	return out
}

// drawdownSeries is equity minus its running peak (zero or negative), at
// most maxChartPoints points, each the deepest of its bucket.
func drawdownSeries(pts []Point) []opts.LineData {
	step := 1
	if len(pts) > maxChartPoints {
		step = (len(pts) + maxChartPoints - 1) / maxChartPoints
	}
	out := make([]opts.LineData, 0, len(pts)/step+1)
	peak := 0.0
	for i := 0; i < len(pts); i += step {
		worst := 0.0
		var at time.Time
		for j := i; j < i+step && j < len(pts); j++ {
			if j == 0 || pts[j].Equity > peak {
				peak = pts[j].Equity
			}
			if d := pts[j].Equity - peak; d <= worst {
				worst, at = d, pts[j].Time
			}
		}
		out = append(out, opts.LineData{Value: []any{at.UnixMilli(), round2(worst)}})
	}
	return out
}
