package risk

import (
	"encoding/csv"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

func readCSV(t *testing.T, rel string) [][]string {
	t.Helper()
	path := testenv.SharedFile(t, rel)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func unixField(t *testing.T, rel string, line int, s string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s line %d: time %q: %v", rel, line, s, err)
	}
	return time.Unix(n, 0).UTC()
}

func decField(t *testing.T, rel string, line int, field, s string) decimal.Decimal {
	t.Helper()
	v, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("%s line %d: %s %q: %v", rel, line, field, s, err)
	}
	return v
}

// Over 1,000 real Binance BTCUSDT trades, five strategies enter and exit
// at the traded prices. The guard's realized and daily PnL must equal an
// account kept beside it, every allowed entry must leave the account
// within its exposure limit, and every exit must pass.
func TestReplayOfRealTradesKeepsPnLAndExposureExact(t *testing.T) {
	const rel = "data/market/gocryptotrader--binance_BTCUSDT_24h-trades_2020_11_16.csv"
	rows := readCSV(t, rel)
	cfg := looseConfig()
	cfg.Account.MaxExposure = d("1000")
	cfg.PerStrategy.MaxExposure = d("400")
	cfg.Limits.PriceCollarPct = d("0.5")
	clk := clock.NewSim(unixField(t, rel, 1, rows[0][0]))
	g, err := NewGuard(cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	product := btcUSD()
	product.ID = "BTC-USDT"
	names := []string{"s0", "s1", "s2", "s3", "s4"}
	held := map[string]decimal.Decimal{}
	cost := map[string]decimal.Decimal{}
	var realized decimal.Decimal
	fee := d("0.01")
	entries, refusals, exits := 0, 0, 0
	var last decimal.Decimal
	for i, row := range rows {
		line := i + 1
		at := unixField(t, rel, line, row[0])
		price := decField(t, rel, line, "price", row[1])
		clk.Set(at)
		g.OnTick(&exchange.Tick{ProductID: product.ID, Kind: exchange.TradeTick, Time: at, Received: at,
			Price: price, Size: decField(t, rel, line, "amount", row[2])})
		last = price
		name := names[i%len(names)]
		switch {
		case i%7 == 0:
			in := Intent{Strategy: name, ProductID: product.ID, Product: product, Side: exchange.Buy,
				Type: exchange.Limit, BaseSize: d("0.01"), LimitPrice: price}
			dec, r := g.Check(in)
			if !dec.Allowed {
				refusals++
				if dec.Rule != RuleMaxExposure {
					t.Fatalf("line %d: entry refused by %s: %s", line, dec.Rule, dec.Reason)
				}
				continue
			}
			entries++
			if x := g.Exposure(); x.GreaterThan(cfg.Account.MaxExposure) {
				t.Fatalf("line %d: exposure %s above the limit after an allowed entry", line, x)
			}
			g.OnFill(name, product.ID, exchange.Buy, in.BaseSize, price, fee, r)
			g.Release(r)
			held[name] = held[name].Add(in.BaseSize)
			cost[name] = cost[name].Add(in.BaseSize.Mul(price))
			realized = realized.Sub(fee)
		case i%11 == 0 && held[name].IsPositive():
			size := held[name]
			dec, r := g.Check(Intent{Strategy: name, ProductID: product.ID, Product: product, Side: exchange.Sell,
				Type: exchange.Market, BaseSize: size, ReduceOnly: true})
			if !dec.Allowed {
				t.Fatalf("line %d: exit refused: %+v", line, dec)
			}
			exits++
			g.OnFill(name, product.ID, exchange.Sell, size, price, fee, r)
			g.Release(r)
			realized = realized.Add(size.Mul(price)).Sub(cost[name]).Sub(fee)
			held[name], cost[name] = decimal.Zero, decimal.Zero
		}
	}
	if entries < 20 || refusals == 0 || exits < 10 {
		t.Fatalf("replay exercised too little: %d entries, %d refusals, %d exits", entries, refusals, exits)
	}
	unrealized := decimal.Zero
	for _, n := range names {
		unrealized = unrealized.Add(held[n].Mul(last)).Sub(cost[n])
		size, c := g.Position(n, product.ID)
		if !size.Equal(held[n]) || !c.Equal(cost[n]) {
			t.Errorf("%s: guard holds %s at cost %s, the account %s at %s", n, size, c, held[n], cost[n])
		}
	}
	snap := g.Snapshot()
	if !snap.RealizedTotal.Equal(realized) {
		t.Errorf("realized PnL %s, the account says %s", snap.RealizedTotal, realized)
	}
	if got, want := g.DailyPnL(), realized.Add(unrealized); !got.Equal(want) {
		t.Errorf("daily PnL %s, the account says %s", got, want)
	}
	t.Logf("%d trades: %d entries, %d refused by exposure, %d exits, realized %s, unrealized %s",
		len(rows), entries, refusals, exits, realized, unrealized)
}

// A position held through 2019's real BTCUSDT daily candles: the daily
// loss limit halts on exactly the days whose intraday drop from the
// previous close reaches it, and each next day resumes.
func TestReplayOfRealDailyCandlesHaltsOnTheCrashDays(t *testing.T) {
	const rel = "data/market/gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv"
	rows := readCSV(t, rel)
	size := d("0.1")
	limit := d("50")
	cfg := looseConfig()
	cfg.Loss.DailyLoss = DailyLossRule{Limit: limit, Action: Halted, ResumeNextDay: true}
	cfg.StaleAfter = 48 * time.Hour
	first := unixField(t, rel, 1, rows[0][0])
	clk := clock.NewSim(first)
	g, err := NewGuard(cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	halts := map[string]bool{}
	g.OnStateChange(func(from, to State, rule, reason string) {
		if to == Halted && rule == RuleDailyLoss {
			halts[clk.Now().Format("2006-01-02")] = true
		}
	})
	product := btcUSD()
	open0 := decField(t, rel, 1, "open", rows[0][2])
	g.OnTick(&exchange.Tick{ProductID: product.ID, Kind: exchange.TradeTick, Time: first, Price: open0})
	dec, r := g.Check(Intent{Strategy: "hodl", ProductID: product.ID, Product: product, Side: exchange.Buy,
		Type: exchange.Limit, BaseSize: size, LimitPrice: open0})
	if !dec.Allowed {
		t.Fatalf("entry refused: %+v", dec)
	}
	g.OnFill("hodl", product.ID, exchange.Buy, size, open0, decimal.Zero, r)
	g.Release(r)

	want := map[string]bool{}
	prevClose := open0
	for i, row := range rows {
		line := i + 1
		day := unixField(t, rel, line, row[0])
		// The path inside a candle: open, low, high, close.
		path := []struct {
			after time.Duration
			field string
			col   int
		}{{time.Second, "open", 2}, {6 * time.Hour, "low", 4}, {12 * time.Hour, "high", 3}, {23 * time.Hour, "close", 5}}
		worst := decimal.Zero
		for _, step := range path {
			price := decField(t, rel, line, step.field, row[step.col])
			clk.Set(day.Add(step.after))
			g.OnTick(&exchange.Tick{ProductID: product.ID, Kind: exchange.TradeTick, Time: clk.Now(), Price: price})
			worst = decimal.Min(worst, price.Sub(prevClose).Mul(size))
		}
		if worst.Neg().GreaterThanOrEqual(limit) {
			want[day.Format("2006-01-02")] = true
		}
		prevClose = decField(t, rel, line, "close", row[5])
	}
	if len(want) < 3 {
		t.Fatalf("only %d crash days in 2019's data; the test would prove little", len(want))
	}
	for day := range want {
		if !halts[day] {
			t.Errorf("%s: the day's drop reached the limit but the guard did not halt", day)
		}
	}
	for day := range halts {
		if !want[day] {
			t.Errorf("%s: the guard halted on a day whose drop stayed within the limit", day)
		}
	}
	t.Logf("halted on %d of %d days", len(halts), len(rows))
}
