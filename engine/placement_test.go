package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/position"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// monthFile is a real month of BTC one-minute candles (nautilus_trader,
// LGPL: read from ../shared, never copied into the repository).
const monthFile = "data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv"

// monthTicks reads the month and walks every candle open, low, high,
// close (marketdata.CandleTicksPath with PathLowFirst), so the stop is hit before the target
// inside a candle, the same way for both placements.
func monthTicks(t *testing.T) []exchange.Tick {
	t.Helper()
	path := testenv.SharedFile(t, monthFile)
	src, err := marketdata.Open(path, marketdata.DefaultProduct(btcUSD.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Candles == nil {
		t.Fatalf("%s: opened as ticks, want candles", path)
	}
	var ticks []exchange.Tick
	for {
		c, err := src.Candles.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ticks = marketdata.CandleTicksPath(c, marketdata.PathLowFirst, ticks)
	}
	return ticks
}

// placementRisk is the default guard without the rules that react to
// profit and loss (daily loss, drawdown, losing streaks, stop-loss
// cooldown) and with room for every entry of a month: the two placements
// book slightly different profits, and a rule that pauses one run and not
// the other would make their entries differ for reasons that are not
// about exits.
func placementRisk() risk.Config {
	cfg := risk.DefaultConfig()
	huge := d("1000000000")
	cfg.Loss.DailyLoss.Limit = huge
	cfg.Loss.MaxDrawdown.Limit = huge
	cfg.Loss.MaxConsecutiveLosses.Limit = 0
	cfg.StopLossCooldown.StopLosses = 0
	cfg.Account.MaxEntriesPerDay = 10000
	cfg.PerStrategy.MaxEntriesPerDay = 10000
	return cfg
}

// runPlacement replays ticks through a fresh simulated exchange, risk
// guard and engine running sma_cross with the exits of cfg, driven
// synchronously, and returns the round trips. The position still open at
// the end is not a round trip and is left out.
func runPlacement(t *testing.T, ticks []exchange.Tick, cfg exits.Config) []position.RoundTrip {
	t.Helper()
	ctx := context.Background()
	typ, err := strategy.Lookup("sma_cross")
	if err != nil {
		t.Fatal(err)
	}
	params := typ.NewParams().(*strategy.SMACrossParams)
	params.Fast, params.Slow, params.Interval, params.ExitOnCross = 10, 30, time.Minute, false
	strat, err := params.Build()
	if err != nil {
		t.Fatal(err)
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("exits config: %v", errs)
	}
	clk := clock.NewSim(ticks[0].Time)
	// No slippage: a market exit fills at the last trade, so that the only
	// differences between the placements are the ones docs/EXITS.md
	// documents, not a cost added to one side.
	x, err := sim.New(sim.Config{Products: []exchange.Product{btcUSD},
		Balances: map[string]decimal.Decimal{"USD": d("100000")}, Fees: sim.DefaultFees()}, clk)
	if err != nil {
		t.Fatal(err)
	}
	g, err := risk.NewGuard(placementRisk(), clk)
	if err != nil {
		t.Fatal(err)
	}
	fees := x.Fees()
	eng, err := New(ctx, Options{Venue: x, Guard: g, Clock: clk, MakerFee: fees.Maker, TakerFee: fees.Taker,
		Instances: []InstanceSpec{{Name: "sma", ProductID: btcUSD.ID, Strategy: strat, QuoteSize: d("1000"), Exits: cfg}}})
	if err != nil {
		t.Fatal(err)
	}
	x.SetHandler(eng.HandleEvent)
	for _, tk := range ticks {
		clk.Set(tk.Time)
		x.OnTick(&tk)
		eng.OnTick(tk)
		eng.Drain(ctx)
	}
	return eng.RoundTrips()
}

// placementExits are the exits both runs use: a 1 % stop, one take-profit
// level, and a trailing stop that activates 0.7 % above the entry.
func placementExits() exits.Config {
	return exits.Config{
		StopLoss:     &exits.StopLoss{Percent: d("1")},
		TakeProfit:   []exits.TakeProfit{{Percent: d("1.5"), Close: d("1")}},
		TrailingStop: &exits.TrailingStop{CallbackPercent: d("0.5"), ActivationPercent: d("0.7")},
	}
}

// everyMove makes a resting stop follow every change of the computed
// one, as a bot-watched stop does, so that the update throttle plays no
// part in a comparison.
var everyMove = exits.Update{MinInterval: time.Nanosecond, MinStepPercent: d("0.000001")}

// TestPlacementExchangeAndBotExitAlikeOnARealMonth runs sma_cross (10/30
// one-minute bars, exit_on_cross off, so only the exits close positions)
// over a real month of BTC candles twice per case, with placement
// exchange and with placement bot, and holds every pair of round trips
// with the same entry to the rules of docs/EXITS.md, "Exchange versus bot
// placement".
func TestPlacementExchangeAndBotExitAlikeOnARealMonth(t *testing.T) {
	ticks := monthTicks(t)
	bracket := placementExits()
	bracket.Update = everyMove
	stopLimit := placementExits()
	stopLimit.TakeProfit = nil
	stopLimit.Update = everyMove
	throttled := placementExits()
	tests := []struct {
		name string
		cfg  exits.Config
		// strict: the resting stop moves with every change, so every
		// round trip must pair up and exit on the same tick.
		strict bool
	}{
		{"bracket with take-profit, stop moved on every change", bracket, true},
		{"stop-limit without take-profit, stop moved on every change", stopLimit, true},
		{"bracket with the default update throttle", throttled, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Each run has its own exchange, guard and engine; the ticks
			// are only read.
			t.Parallel()
			onExchange, inBot := tc.cfg, tc.cfg
			onExchange.Placement, inBot.Placement = exits.OnExchange, exits.InBot
			ex := runPlacement(t, ticks, onExchange)
			bot := runPlacement(t, ticks, inBot)
			cmp := comparePlacements(t, ticks, tc.cfg, !tc.strict, ex, bot)
			t.Logf("round trips: exchange %d, bot %d; paired by entry %d, same exit reason %d, same exit tick %d",
				len(ex), len(bot), cmp.paired, cmp.sameReason, cmp.sameTick)
			t.Logf("exits by reason (exchange/bot): %v; stop-limit gaps past the limit: %d", cmp.reasons, cmp.gaps)
			t.Logf("exits later under the throttle: %d, the exchange getting at worst %s less", cmp.lagged, cmp.lagWorst)
			t.Logf("largest exit price difference %s (%s), profit exchange %s bot %s",
				cmp.largest, cmp.largestAt, cmp.pnlExchange, cmp.pnlBot)
			if len(ex) < 100 {
				t.Fatalf("only %d round trips in a month: the data did not exercise the exits", len(ex))
			}
			if tc.strict {
				if len(ex) != len(bot) || cmp.paired != len(ex) || cmp.sameTick != len(ex) {
					t.Errorf("with the stop moved on every change, every round trip should pair and exit on the same tick: "+
						"exchange %d, bot %d, paired %d, same tick %d", len(ex), len(bot), cmp.paired, cmp.sameTick)
				}
				return
			}
			// The documented tolerance under the default throttle.
			if diff := len(ex) - len(bot); diff*50 > len(bot) || -diff*50 > len(bot) {
				t.Errorf("round trips exchange %d, bot %d: differ by more than 2 %%", len(ex), len(bot))
			}
			if cmp.paired*20 < len(ex)*19 {
				t.Errorf("only %d of %d exchange round trips share their entry with a bot one, want 95 %%", cmp.paired, len(ex))
			}
			if cmp.sameReason*20 < cmp.paired*19 {
				t.Errorf("only %d of %d paired round trips exit for the same reason, want 95 %%", cmp.sameReason, cmp.paired)
			}
		})
	}
}

// placementComparison counts how two runs' round trips relate.
type placementComparison struct {
	paired, sameReason, sameTick, gaps int
	// lagged counts pairs where the throttled resting stop exited later;
	// lagWorst is how much less the exchange got in the worst of them.
	lagged              int
	lagWorst            decimal.Decimal
	reasons             map[string]int // "exchange reason/bot reason" -> pairs
	largest             decimal.Decimal
	largestAt           string
	pnlExchange, pnlBot decimal.Decimal
}

// comparePlacements pairs the round trips of the two runs by entry time
// and checks each pair against the rules of docs/EXITS.md; throttled
// says the exchange run moved its resting stop under the update throttle.
//
//   - Both enter on the same tick at the same price and size.
//   - The exchange never exits before the bot: its take-profit needs a
//     trade through the limit where the bot sells at one touching it, and
//     its resting stop is never above the bot's (the update throttle only
//     holds it back).
//   - On the same tick, a stop exit (stop_loss, trailing_stop) fills at
//     the same price with the same fees: the triggered stop-limit or
//     bracket takes the last trade, as the bot's market sell does, and on
//     a gap past a stop-limit's limit tradebot cancels it and sells at
//     market on that tick.
//   - On the same tick, a take-profit fills on the exchange at its limit
//     L as maker, and in the bot at that tick's price P as taker, where
//     the tick before was below L: so 0 <= P - L <= P - previous price.
//   - On different ticks: either the bot's take-profit tick traded at
//     exactly L (the resting limit waits for a trade through it), or the
//     bot's trailing stop fired while the throttled resting stop still
//     lagged below that price (never in a strict run).
func comparePlacements(t *testing.T, ticks []exchange.Tick, cfg exits.Config, throttled bool, ex, bot []position.RoundTrip) placementComparison {
	t.Helper()
	at := make(map[time.Time]int, len(ticks))
	for i, tk := range ticks {
		at[tk.Time] = i
	}
	fees := sim.DefaultFees()
	byEntry := make(map[time.Time]position.RoundTrip, len(bot))
	c := placementComparison{reasons: map[string]int{}}
	for _, b := range bot {
		byEntry[b.EntryTime] = b
		c.pnlBot = c.pnlBot.Add(b.PnL)
	}
	for _, e := range ex {
		c.pnlExchange = c.pnlExchange.Add(e.PnL)
		b, ok := byEntry[e.EntryTime]
		if !ok {
			continue
		}
		c.paired++
		c.reasons[e.ExitReason+"/"+b.ExitReason]++
		name := "entry " + e.EntryTime.Format(time.DateTime)
		if !e.EntryPrice.Equal(b.EntryPrice) || !e.Size.Equal(b.Size) {
			t.Errorf("%s: exchange bought %s at %s, bot %s at %s", name, e.Size, e.EntryPrice, b.Size, b.EntryPrice)
			continue
		}
		if diff := e.ExitPrice.Sub(b.ExitPrice).Abs(); diff.GreaterThan(c.largest) {
			c.largest = diff
			c.largestAt = fmt.Sprintf("%s: exchange %s %s at %s, bot %s %s at %s", name, e.ExitReason, e.ExitPrice,
				e.ExitTime.Format(time.TimeOnly), b.ExitReason, b.ExitPrice, b.ExitTime.Format(time.TimeOnly))
		}
		if e.ExitReason == b.ExitReason {
			c.sameReason++
		}
		i, ok := at[b.ExitTime]
		if !ok || i == 0 {
			t.Errorf("%s: the bot exited at %s, which is no tick's time", name, b.ExitTime)
			continue
		}
		crossing, before := ticks[i].Price, ticks[i-1].Price
		target := btcUSD.RoundLimit(exchange.Sell, e.EntryPrice.Mul(d("100").Add(targetPercent(cfg))).Shift(-2))
		switch {
		case e.ExitTime.Before(b.ExitTime):
			t.Errorf("%s: the exchange exited at %s, before the bot at %s", name, e.ExitTime, b.ExitTime)
		case e.ExitTime.After(b.ExitTime):
			tpAtLimit := b.ExitReason == exits.ReasonTakeProfit && b.ExitPrice.Equal(target)
			lag := throttled && b.ExitReason == exits.ReasonTrailingStop
			if lag {
				c.lagged++
				c.lagWorst = decimal.Max(c.lagWorst, b.ExitPrice.Sub(e.ExitPrice))
			}
			if !tpAtLimit && !lag {
				t.Errorf("%s: the exchange exited at %s (%s %s), after the bot at %s (%s %s), which no rule explains",
					name, e.ExitTime, e.ExitReason, e.ExitPrice, b.ExitTime, b.ExitReason, b.ExitPrice)
			}
		case e.ExitReason != b.ExitReason:
			t.Errorf("%s: on the same tick the exchange exited by %s, the bot by %s", name, e.ExitReason, b.ExitReason)
		case e.ExitReason == exits.ReasonTakeProfit:
			c.sameTick++
			wantFees := e.Fees.Sub(e.Size.Mul(e.ExitPrice).Mul(fees.Maker)).Add(b.Size.Mul(b.ExitPrice).Mul(fees.Taker))
			if !e.ExitPrice.Equal(target) || !b.ExitPrice.Equal(crossing) || !before.LessThan(target) || !b.Fees.Equal(wantFees) {
				t.Errorf("%s: take-profit %s: exchange sold at %s (fees %s), bot at %s (fees %s) on a tick at %s after one at %s; "+
					"want the exchange at the limit as maker, the bot at the tick as taker (fees %s)",
					name, target, e.ExitPrice, e.Fees, b.ExitPrice, b.Fees, crossing, before, wantFees)
			}
		default:
			c.sameTick++
			if !e.ExitPrice.Equal(b.ExitPrice) || !e.Fees.Equal(b.Fees) || !e.PnL.Equal(b.PnL) {
				t.Errorf("%s: %s on the same tick: exchange %s (fees %s), bot %s (fees %s); want the same fill",
					name, e.ExitReason, e.ExitPrice, e.Fees, b.ExitPrice, b.Fees)
			}
			if e.ExitReason == exits.ReasonStopLoss && len(cfg.TakeProfit) == 0 {
				stop := btcUSD.RoundStop(exchange.Sell, e.EntryPrice.Mul(d("100").Sub(cfg.StopLoss.Percent)).Shift(-2))
				limit := stop.Mul(d("100").Sub(cfg.Defaults().StopLimitOffsetPercent)).Shift(-2)
				if e.ExitPrice.LessThan(limit) {
					c.gaps++
				}
			}
		}
	}
	return c
}

// targetPercent is the percent of the last take-profit level (the one a
// bracket rests), or zero without one.
func targetPercent(cfg exits.Config) decimal.Decimal {
	if n := len(cfg.TakeProfit); n > 0 {
		return cfg.TakeProfit[n-1].Percent
	}
	return decimal.Zero
}
