package risk

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Fifty strategies submitting at the same instant can together reserve
// no more than the account's exposure allows: the check and the
// reservation are one step.
func TestConcurrentStrategiesNeverPassTheExposureLimit(t *testing.T) {
	const strategies = 50
	f := newFixture(t, func(c *Config) { c.Account.MaxExposure = d("1000") }) // 10 orders of 100
	var granted atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range strategies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			dec, r := f.g.Check(buy(fmt.Sprintf("s%02d", i), "AAA-USD", "1", "100"))
			if dec.Allowed != (r != nil) {
				t.Errorf("decision %v with reservation %v", dec.Allowed, r)
			}
			if dec.Allowed {
				granted.Add(1)
			} else if dec.Rule != RuleMaxExposure {
				t.Errorf("refused by %s, want max_exposure: %s", dec.Rule, dec.Reason)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := granted.Load(); n != 10 {
		t.Errorf("granted %d reservations of 100 under a limit of 1000, want exactly 10", n)
	}
	if got := f.exposure(); !got.Equal(d("1000")) {
		t.Errorf("account exposure %s, want 1000", got)
	}
}

// Strategies that place, fill, exit and release concurrently while ticks
// move the mark never see the account beyond its limit at any check, and
// every counter returns to zero when all is closed.
func TestConcurrentChurnKeepsExposureWithinLimitAndBalances(t *testing.T) {
	const strategies, rounds = 50, 40
	f := newFixture(t, func(c *Config) {
		c.Account.MaxExposure = d("1000")
		c.Account.OrdersPerSecond = 30
		c.Account.OrdersPerMinute = 100000
	})
	var outstanding, peak atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	var entries atomic.Int64
	go func() { // the feed, at a flat price so that exposure is a count; it also moves time so that rate tokens refill
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				f.advance(time.Millisecond)
				f.trade("AAA-USD", "100")
			}
		}
	}()
	var workers sync.WaitGroup
	for i := range strategies {
		workers.Add(1)
		go func() {
			defer workers.Done()
			name := fmt.Sprintf("s%02d", i)
			for range rounds {
				dec, r := f.g.Check(buy(name, "AAA-USD", "1", "100"))
				if !dec.Allowed {
					continue
				}
				entries.Add(1)
				n := outstanding.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				f.g.OnFill(name, "AAA-USD", exchange.Buy, d("1"), d("100"), decimal.Zero, r)
				f.g.Release(r)
				x, xr := f.g.Check(stopLoss(name, "AAA-USD", "1"))
				if !x.Allowed {
					t.Errorf("exit refused: %+v", x)
					return
				}
				outstanding.Add(-1)
				f.g.OnFill(name, "AAA-USD", exchange.Sell, d("1"), d("100"), decimal.Zero, xr)
				f.g.Release(xr)
			}
		}()
	}
	workers.Wait()
	close(stop)
	wg.Wait()
	t.Logf("%d entries, at most %d open at once", entries.Load(), peak.Load())
	if p := peak.Load(); p > 10 {
		t.Errorf("%d positions of 100 open at once under a limit of 1000", p)
	}
	if got := f.exposure(); !got.IsZero() {
		t.Errorf("account exposure %s after everything closed, want 0", got)
	}
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	if f.g.acct.openOrders != 0 {
		t.Errorf("open orders %d after every release, want 0", f.g.acct.openOrders)
	}
}
