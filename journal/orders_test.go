package journal

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

func TestIntentIsInFlightUntilTheVenueAnswersTerminally(t *testing.T) {
	j := openTemp(t)
	j.UseClock(clock.NewSim(t0))
	rec := intent("sma-btc", "sma-btc-1")
	if err := j.RecordIntent(rec); err != nil {
		t.Fatal(err)
	}
	got := inFlightIDs(t, j)
	if len(got) != 1 || got[0] != "sma-btc-1" {
		t.Fatalf("in flight after intent = %v, want [sma-btc-1]", got)
	}
	r, err := j.Order("sma-btc-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Order.Status != StatusInFlight || r.Purpose != exchange.Entry || r.Strategy != "sma_cross" || !r.IntentAt.Equal(t0) {
		t.Fatalf("intent read back as %+v", r)
	}
	sameRequest(t, r.Order.OrderRequest, rec.Order.OrderRequest)

	steps := []struct {
		status   exchange.OrderStatus
		filled   string
		inFlight bool
	}{
		{exchange.StatusOpen, "0", true},
		{exchange.StatusOpen, "0.00023456", true},
		{exchange.StatusFilled, "0.00123456", false},
	}
	for _, s := range steps {
		ord := exchange.Order{ID: "venue-1", Status: s.status, FilledSize: d(s.filled), AverageFilledPrice: d("64250.01")}
		if err := j.UpdateOrder("sma-btc-1", ord); err != nil {
			t.Fatal(err)
		}
		if got := len(inFlightIDs(t, j)) == 1; got != s.inFlight {
			t.Fatalf("after %s filled %s: in flight = %v, want %v", s.status, s.filled, got, s.inFlight)
		}
	}
	r, err = j.OrderByVenueID("venue-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Order.Status != exchange.StatusFilled || !r.Order.FilledSize.Equal(d("0.00123456")) {
		t.Fatalf("final state %s filled %s", r.Order.Status, r.Order.FilledSize)
	}
	sameRequest(t, r.Order.OrderRequest, rec.Order.OrderRequest)
}

// TestAnOrdersReasonIsKeptWithIt: the reason an order was sent for (the
// exit rule, the strategy's reason) is read back from every reader, and a
// venue's update does not touch it; without one it reads empty.
func TestAnOrdersReasonIsKeptWithIt(t *testing.T) {
	j := openTemp(t)
	tp := intent("sma-btc", "sma-btc-1")
	tp.Purpose, tp.Reason = exchange.Exit, "take_profit"
	tp.Order.Side = exchange.Sell
	if err := j.RecordIntents(tp, intent("sma-btc", "sma-btc-2")); err != nil {
		t.Fatal(err)
	}
	if err := j.UpdateOrder("sma-btc-1", exchange.Order{ID: "venue-1", Status: exchange.StatusFilled,
		FilledSize: d("0.5"), AverageFilledPrice: d("64250.01")}); err != nil {
		t.Fatal(err)
	}
	r, err := j.Order("sma-btc-1")
	if err != nil || r.Reason != "take_profit" {
		t.Fatalf("Order: reason %q, %v; want take_profit", r.Reason, err)
	}
	if r, err = j.OrderByVenueID("venue-1"); err != nil || r.Reason != "take_profit" {
		t.Fatalf("OrderByVenueID: reason %q, %v; want take_profit", r.Reason, err)
	}
	all, err := j.Orders(OrderFilter{})
	if err != nil || len(all) != 2 || all[0].Reason != "take_profit" || all[1].Reason != "" {
		t.Fatalf("Orders: %+v, %v; want the take-profit's reason and none for the other", all, err)
	}
}

func TestRecordingAnIntentTwiceIsRefused(t *testing.T) {
	j := openTemp(t)
	if err := j.RecordIntent(intent("a", "a-1")); err != nil {
		t.Fatal(err)
	}
	err := j.RecordIntent(intent("a", "a-1"))
	if !errors.Is(err, ErrDuplicateOrder) {
		t.Fatalf("second intent: err = %v, want ErrDuplicateOrder", err)
	}
}

func TestRecordIntentRejectsIncompleteRecords(t *testing.T) {
	j := openTemp(t)
	cases := map[string]func(*OrderRecord){
		"no client order id": func(r *OrderRecord) { r.Order.ClientOrderID = "" },
		"no instance":        func(r *OrderRecord) { r.Instance = "" },
		"no purpose":         func(r *OrderRecord) { r.Purpose = 0 },
		"unknown purpose":    func(r *OrderRecord) { r.Purpose = exchange.Purpose(9) },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			r := intent("a", "a-"+name)
			spoil(&r)
			if err := j.RecordIntent(r); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestUpdateOrderAppendsHistoryOnlyWhenSomethingChanged(t *testing.T) {
	j := openTemp(t)
	if err := j.RecordIntent(intent("a", "a-1")); err != nil {
		t.Fatal(err)
	}
	open := exchange.Order{ID: "v1", Status: exchange.StatusOpen}
	partial := exchange.Order{ID: "v1", Status: exchange.StatusOpen, FilledSize: d("0.001"), TotalFees: d("0.05")}
	for _, o := range []exchange.Order{open, open, partial, partial, open} {
		if err := j.UpdateOrder("a-1", o); err != nil {
			t.Fatal(err)
		}
	}
	h, err := j.OrderHistory("a-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || !h[0].FilledSize.IsZero() || !h[1].FilledSize.Equal(d("0.001")) || !h[1].TotalFees.Equal(d("0.05")) {
		t.Fatalf("history = %+v, want open then the partial fill", h)
	}
}

func TestUpdateOrderNeverUndoesWhatHappened(t *testing.T) {
	cases := []struct {
		name        string
		first, late exchange.Order
		wantStatus  exchange.OrderStatus
		wantFilled  string
		wantAvg     string
	}{
		{"open after filled is ignored",
			exchange.Order{ID: "v", Status: exchange.StatusFilled, FilledSize: d("1"), AverageFilledPrice: d("100")},
			exchange.Order{ID: "v", Status: exchange.StatusOpen, FilledSize: d("0.5"), AverageFilledPrice: d("100")},
			exchange.StatusFilled, "1", "100"},
		{"open after cancelled is ignored",
			exchange.Order{ID: "v", Status: exchange.StatusCancelled},
			exchange.Order{ID: "v", Status: exchange.StatusOpen},
			exchange.StatusCancelled, "0", "0"},
		{"a smaller fill while open keeps the larger",
			exchange.Order{ID: "v", Status: exchange.StatusOpen, FilledSize: d("0.7"), AverageFilledPrice: d("101")},
			exchange.Order{ID: "v", Status: exchange.StatusOpen, FilledSize: d("0.2"), AverageFilledPrice: d("100")},
			exchange.StatusOpen, "0.7", "101"},
		{"a cancel acknowledgement without fill numbers keeps the fill",
			exchange.Order{ID: "v", Status: exchange.StatusOpen, FilledSize: d("0.7"), AverageFilledPrice: d("101")},
			exchange.Order{ID: "v", Status: exchange.StatusCancelled},
			exchange.StatusCancelled, "0.7", "101"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := openTemp(t)
			if err := j.RecordIntent(intent("a", "a-1")); err != nil {
				t.Fatal(err)
			}
			for _, o := range []exchange.Order{c.first, c.late} {
				if err := j.UpdateOrder("a-1", o); err != nil {
					t.Fatal(err)
				}
			}
			r, err := j.Order("a-1")
			if err != nil {
				t.Fatal(err)
			}
			o := r.Order
			if o.Status != c.wantStatus || !o.FilledSize.Equal(d(c.wantFilled)) || !o.AverageFilledPrice.Equal(d(c.wantAvg)) {
				t.Fatalf("state %s filled %s at %s, want %s filled %s at %s",
					o.Status, o.FilledSize, o.AverageFilledPrice, c.wantStatus, c.wantFilled, c.wantAvg)
			}
		})
	}
}

func TestUpdateOfAnUnknownOrderIsNotFound(t *testing.T) {
	j := openTemp(t)
	err := j.UpdateOrder("nobody", exchange.Order{Status: exchange.StatusOpen})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if _, err := j.Order("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Order: err = %v, want ErrNotFound", err)
	}
}

func TestAdoptedOrderKeepsTheVenueState(t *testing.T) {
	j := openTemp(t)
	rec := OrderRecord{Instance: "a", Strategy: "sma_cross", Purpose: exchange.Exit, Order: exchange.Order{
		OrderRequest: exchange.OrderRequest{ClientOrderID: "bracket-of-a-1", ProductID: "BTC-USD", Side: exchange.Sell,
			Type: exchange.Bracket, BaseSize: d("0.5"), LimitPrice: d("70000"), StopPrice: d("60000")},
		ID: "v-bracket", Status: exchange.StatusOpen, OriginatingOrderID: "v-entry", CreatedAt: t0,
	}, IntentAt: t0.Add(time.Second)}
	if err := j.RecordIntent(rec); err != nil {
		t.Fatal(err)
	}
	r, err := j.Order("bracket-of-a-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Order.Status != exchange.StatusOpen || r.Order.OriginatingOrderID != "v-entry" || !r.Order.CreatedAt.Equal(t0) ||
		r.Purpose != exchange.Exit || !r.IntentAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("adopted order read back as %+v", r)
	}
}

func TestOrdersFilter(t *testing.T) {
	j := openTemp(t)
	c := clock.NewSim(t0)
	j.UseClock(c)
	for i, inst := range []string{"a", "b", "a", "a"} {
		c.Set(t0.Add(timeStep(i)))
		if err := j.RecordIntent(intent(inst, inst+"-"+string(rune('0'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.UpdateOrder("a-0", exchange.Order{Status: exchange.StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    OrderFilter
		want []string
	}{
		{"all", OrderFilter{}, []string{"a-0", "b-1", "a-2", "a-3"}},
		{"instance", OrderFilter{Instance: "a"}, []string{"a-0", "a-2", "a-3"}},
		{"open only", OrderFilter{Instance: "a", OpenOnly: true}, []string{"a-2", "a-3"}},
		{"newest two", OrderFilter{Limit: 2}, []string{"a-2", "a-3"}},
		{"time window", OrderFilter{Since: t0.Add(timeStep(1)), Until: t0.Add(timeStep(3))}, []string{"b-1", "a-2"}},
		{"other product", OrderFilter{ProductID: "ETH-USD"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := j.Orders(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.Order.ClientOrderID)
			}
			if !equalStrings(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClientOrderSeqNeverRepeatsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	seen := map[string]uint64{}
	for round := 0; round < 3; round++ {
		j, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, inst := range []string{"a", "b"} {
			for i := 0; i < SeqBlock+3; i++ {
				n, err := j.NextClientOrderSeq(inst)
				if err != nil {
					t.Fatal(err)
				}
				if n <= seen[inst] {
					t.Fatalf("round %d instance %s: %d after %d", round, inst, n, seen[inst])
				}
				seen[inst] = n
			}
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestASecondWriterIsRefusedButReadersAreNot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.RecordIntent(intent("a", "a-1")); err != nil {
		t.Fatal(err)
	}
	if j2, err := Open(path); !errors.Is(err, ErrInUse) {
		if j2 != nil {
			j2.Close()
		}
		t.Fatalf("second Open: err = %v, want ErrInUse", err)
	}
	r, err := OpenReadOnlyWith(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if ids := inFlightIDs(t, r); len(ids) != 1 {
		t.Fatalf("reader sees %v", ids)
	}
	if err := r.RecordIntent(intent("a", "a-2")); err == nil {
		t.Fatal("read-only journal accepted a write")
	}
}

func inFlightIDs(t *testing.T, j *Journal) []string {
	t.Helper()
	rs, err := j.InFlight()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.Order.ClientOrderID)
	}
	return ids
}

func sameRequest(t *testing.T, got, want exchange.OrderRequest) {
	t.Helper()
	a, err := encodeRequest(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encodeRequest(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("request read back as\n%s\nwant\n%s", a, b)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestANewJournalNeverReusesTheIdsOfTheOneItReplaces(t *testing.T) {
	c := clock.NewSim(t0)
	dir := t.TempDir()
	var last uint64
	for i, name := range []string{"journal.db", "replacement.db"} {
		j, err := Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		j.UseClock(c)
		for range 3 * SeqBlock {
			n, err := j.NextClientOrderSeq("a")
			if err != nil {
				t.Fatal(err)
			}
			if n <= last {
				t.Fatalf("journal %d handed out %d after %d", i, n, last)
			}
			last = n
		}
		j.Close()
		// The damaged journal is replaced a second later.
		c.Set(t0.Add(time.Second))
	}
}

func TestClientOrderSeqStaysMonotonicWhenTheClockGoesBack(t *testing.T) {
	j := openTemp(t)
	c := clock.NewSim(t0)
	j.UseClock(c)
	var last uint64
	for i := range 4 * SeqBlock {
		if i == 2*SeqBlock {
			// An NTP step back: a fresh clock set an hour earlier.
			c = clock.NewSim(t0.Add(-time.Hour))
			j.UseClock(c)
		}
		n, err := j.NextClientOrderSeq("a")
		if err != nil {
			t.Fatal(err)
		}
		if n <= last {
			t.Fatalf("%d after %d", n, last)
		}
		last = n
	}
}

func TestAReaderOpensAJournalNoDaemonHasOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.RecordIntent(intent("a", "a-1")); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnlyWith(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if ids := inFlightIDs(t, r); len(ids) != 1 || ids[0] != "a-1" {
		t.Fatalf("reader sees %v", ids)
	}
	if _, err := OpenReadOnlyWith(filepath.Join(t.TempDir(), "missing.db"), Options{}); err == nil {
		t.Fatal("OpenReadOnlyWith created a journal that did not exist")
	}
}

// TestUpdateTermsMakesTheRecordFollowAnEdit: a resting stop-limit
// resized and moved in place (same ids) is read back with the size,
// prices and reason it has now, not those first asked for; the rest of
// its request is untouched, terms already recorded write nothing, and an
// order the journal does not know is left alone.
func TestUpdateTermsMakesTheRecordFollowAnEdit(t *testing.T) {
	j := openTemp(t)
	clk := clock.NewSim(t0)
	j.UseClock(clk)
	req := exchange.OrderRequest{ClientOrderID: "stop-1", ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.StopLimit,
		TimeInForce: exchange.GoodTilCancelled, BaseSize: d("0.02"), LimitPrice: d("58800"), StopPrice: d("59100"),
		StopDirection: exchange.StopDown}
	if err := j.RecordIntent(OrderRecord{Instance: "dca", Strategy: "dca", Purpose: exchange.Exit, Reason: "stop_loss",
		Order: exchange.Order{OrderRequest: req}}); err != nil {
		t.Fatal(err)
	}
	update := func(id string, terms RestingTerms) {
		t.Helper()
		if err := j.Batch(func(b *Batch) error { return b.UpdateTerms(id, terms) }); err != nil {
			t.Fatal(err)
		}
	}
	clk.Set(t0.Add(time.Minute))
	update("stop-1", RestingTerms{BaseSize: d("0.035"), LimitPrice: d("59000"), StopPrice: d("59300"), Reason: "trailing_stop"})
	r, err := j.Order("stop-1")
	if err != nil {
		t.Fatal(err)
	}
	want := req
	want.BaseSize, want.LimitPrice, want.StopPrice = d("0.035"), d("59000"), d("59300")
	sameRequest(t, r.Order.OrderRequest, want)
	if r.Reason != "trailing_stop" || !r.ChangedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("reason %q changed at %s, want trailing_stop at %s", r.Reason, r.ChangedAt, t0.Add(time.Minute))
	}

	clk.Set(t0.Add(2 * time.Minute))
	update("stop-1", RestingTerms{BaseSize: d("0.035"), LimitPrice: d("59000"), StopPrice: d("59300")})
	if r, err = j.Order("stop-1"); err != nil || r.Reason != "trailing_stop" || !r.ChangedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the same terms again: reason %q changed at %s (%v), want nothing written", r.Reason, r.ChangedAt, err)
	}
	update("not-journaled", RestingTerms{BaseSize: d("1"), LimitPrice: d("1"), StopPrice: d("1")})
	if err := j.Batch(func(b *Batch) error {
		return b.UpdateTerms("stop-1", RestingTerms{BaseSize: d("0.035"), StopPrice: d("59300")})
	}); err == nil {
		t.Fatal("terms without a limit price were accepted")
	}
}
