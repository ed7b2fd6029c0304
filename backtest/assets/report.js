// Draws report.html's charts from the JSON in #report-data with
// TradingView Lightweight Charts (inlined before this script).
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var LC = LightweightCharts;
  var green = "#1b9e4b", red = "#d0352b";

  // expand turns a block {start, step, bars: [[dt, o, h, l, c]...]} into
  // candles; dt counts steps since the previous bar (the first since start).
  function expand(b) {
    var out = new Array(b.bars.length), t = b.start;
    for (var i = 0; i < b.bars.length; i++) {
      var x = b.bars[i];
      t += x[0] * b.step;
      out[i] = { time: t, open: x[1], high: x[2], low: x[3], close: x[4] };
    }
    return out;
  }

  function chart(id, opts) {
    var base = {
      autoSize: true,
      layout: { background: { color: "#ffffff" }, textColor: "#333", fontSize: 12 },
      grid: { vertLines: { color: "#f0f0f0" }, horzLines: { color: "#f0f0f0" } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: "#ccc" },
      rightPriceScale: { borderColor: "#ccc" },
    };
    for (var k in opts) base[k] = opts[k];
    return LC.createChart(document.getElementById(id), base);
  }

  // atOrBefore is the time of the last candle starting at or before t.
  function atOrBefore(cs, t) {
    var lo = 0, hi = cs.length - 1;
    if (hi < 0 || t < cs[0].time) return null;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (cs[mid].time <= t) lo = mid; else hi = mid - 1;
    }
    return cs[lo].time;
  }

  // ---- price chart ----
  var price = null, candles = null, current = { p: -1, view: null, cs: [] }, lines = [];
  var rows = document.querySelectorAll("#trades tbody tr");
  var productSelect = document.getElementById("product");
  var note = document.getElementById("resolution");

  function show(p, view) {
    var pr = D.products[p];
    var block = view === "all" ? (pr.overview || pr.segments[0]) : pr.segments[view];
    var cs = expand(block);
    current = { p: p, view: view, cs: cs };
    price.applyOptions({ timeScale: { secondsVisible: block.step < 60 } });
    candles.setData(cs);
    drawPlots(p, block, cs);
    var ms = [], end = cs.length ? cs[cs.length - 1].time + block.step : 0;
    D.trades.forEach(function (tr) {
      if (tr.product !== pr.product) return;
      [[tr.entry, "e", "belowBar", green, "arrowUp", "#" + tr.n + " buy"],
       [tr.exit, "x", "aboveBar", red, "arrowDown", "#" + tr.n + " " + tr.exit_reason]].forEach(function (m) {
        if (m[0] < (cs.length ? cs[0].time : 0) || m[0] >= end) return;
        var at = atOrBefore(cs, m[0]);
        // The overview holds many trades per candle: arrows only.
        if (at !== null) ms.push({ time: at, position: m[2], color: m[3], shape: m[4], text: view === "all" && pr.overview ? "" : m[5], id: m[1] + tr.n });
      });
    });
    ms.sort(function (a, b) { return a.time - b.time; });
    candles.setMarkers(ms);
    note.textContent = (view === "all" ? pr.overview_note : pr.detail_note) || "";
    if (productSelect) productSelect.value = String(p);
  }

  // ---- indicators the strategies declared (indicator.Plotter) ----
  var palette = ["#ff9800", "#9c27b0", "#2196f3", "#795548", "#e91e63", "#009688", "#607d8b", "#3f51b5"];
  var pane = null, plotSeries = {};

  function plotsOf(p) {
    var key = String(p);
    if (plotSeries[key]) return plotSeries[key];
    var list = D.products[p].plots.map(function (pl, i) {
      var opts = { color: palette[i % palette.length], lineWidth: 1, priceLineVisible: false,
        lastValueVisible: false, crosshairMarkerVisible: false, title: pl.name };
      if (pl.overlay) return price.addLineSeries(opts);
      if (!pane) {
        var el = document.getElementById("indicators");
        el.hidden = false;
        pane = chart("indicators", {});
        price.timeScale().subscribeVisibleLogicalRangeChange(function (r) {
          if (r) pane.timeScale().setVisibleLogicalRange(r);
        });
      }
      return pane.addLineSeries(opts);
    });
    plotSeries[key] = list;
    return list;
  }

  function drawPlots(p, block, cs) {
    Object.keys(plotSeries).forEach(function (k) {
      if (k !== String(p)) plotSeries[k].forEach(function (s) { s.setData([]); });
    });
    var list = plotsOf(p);
    list.forEach(function (s, i) {
      var vals = block.plots[i] || [];
      s.setData(cs.map(function (c, j) {
        return vals[j] === null || vals[j] === undefined ? { time: c.time } : { time: c.time, value: vals[j] };
      }));
    });
    if (pane) pane.timeScale().fitContent();
  }

  function selectTrade(n) {
    var tr = D.trades[n - 1];
    var p = 0;
    D.products.forEach(function (pr, i) { if (pr.product === tr.product) p = i; });
    var view = tr.segment >= 0 ? tr.segment : "all";
    if (current.p !== p || current.view !== view) show(p, view);
    lines.forEach(function (l) { candles.removePriceLine(l); });
    lines = [
      candles.createPriceLine({ price: tr.entry_price, color: green, lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: "#" + n + " entry" }),
      candles.createPriceLine({ price: tr.exit_price, color: red, lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: "#" + n + " exit" }),
    ];
    var step = D.products[p].step, pad = Math.max(30 * step, (tr.exit - tr.entry) / 2);
    price.timeScale().setVisibleRange({ from: tr.entry - pad, to: tr.exit + pad });
    highlight(n);
  }

  function highlight(n) {
    rows.forEach(function (r) { r.classList.toggle("sel", r.dataset.n === String(n)); });
  }

  if (D.products.length > 0) {
    price = chart("price", {});
    candles = price.addCandlestickSeries({ upColor: "#26a69a", downColor: "#ef5350", borderVisible: false,
      wickUpColor: "#26a69a", wickDownColor: "#ef5350" });
    show(0, "all");
    price.timeScale().fitContent();
    price.subscribeClick(function (param) {
      var id = param.hoveredObjectId;
      if (typeof id !== "string") return;
      var n = id.slice(1), row = document.querySelector('#trades tbody tr[data-n="' + n + '"]');
      highlight(n);
      if (row) row.scrollIntoView({ block: "nearest" });
    });
    rows.forEach(function (r) {
      r.addEventListener("click", function () {
        selectTrade(Number(r.dataset.n));
        history.replaceState(null, "", "#trade-" + r.dataset.n);
      });
    });
    document.getElementById("whole").addEventListener("click", function () {
      show(current.p, "all");
      price.timeScale().fitContent();
    });
    if (productSelect) productSelect.addEventListener("change", function () {
      show(Number(productSelect.value), "all");
      price.timeScale().fitContent();
    });
  }

  // report.html#trade-N opens with trade N shown.
  var m = /^#trade-(\d+)$/.exec(location.hash);
  if (price && m && Number(m[1]) >= 1 && Number(m[1]) <= D.trades.length) selectTrade(Number(m[1]));

  // ---- equity and drawdown ----
  // Points are [seconds since the previous, equity, price, drawdown].
  var eq = [], bh = [], dd = [], t = D.equity.start, first = 0;
  D.equity.points.forEach(function (x) {
    t += x[0];
    eq.push({ time: t, value: x[1] });
    if (x[2] > 0 && first === 0) first = x[2];
    if (first > 0 && x[2] > 0) bh.push({ time: t, value: D.capital * x[2] / first });
    dd.push({ time: t, value: x[3] });
  });
  var ec = chart("equity", {});
  var es = ec.addLineSeries({ color: "#2962ff", lineWidth: 2, title: "equity" });
  es.setData(eq);
  if (bh.length) ec.addLineSeries({ color: "#999", lineWidth: 1, lineStyle: 2, title: "buy and hold" }).setData(bh);
  es.setMarkers(D.risk.map(function (r) {
    return { time: atOrBefore(eq, r.time) || eq[0].time, position: "aboveBar", shape: "square",
      color: r.to === "ACTIVE" ? green : "#e67e22", text: r.to };
  }).sort(function (a, b) { return a.time - b.time; }));
  ec.timeScale().fitContent();
  var dc = chart("drawdown", {});
  dc.addAreaSeries({ lineColor: red, topColor: "rgba(208,53,43,0.05)", bottomColor: "rgba(208,53,43,0.35)",
    lineWidth: 1, title: "drawdown" }).setData(dd);
  dc.timeScale().fitContent();
  document.body.dataset.rendered = "yes";
})();
