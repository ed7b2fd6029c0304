// Package position keeps the books of one strategy instance's spot
// position on one product: size, average entry, fees and realized profit,
// and the round trips it completes. It is pure accounting: no goroutines,
// no venue, no clock; the caller feeds it fills in the order they happened.
package position

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Position is a long spot position of one strategy instance on one
// product. The zero value is flat. It is a plain value with exported
// fields so that it can be copied, reported and stored as JSON; it is
// not safe for concurrent use.
type Position struct {
	Strategy  string
	ProductID string
	// Size is the base held now.
	Size decimal.Decimal
	// AvgEntry is the size-weighted average price of the buys that built
	// the position, fees excluded (fees are in EntryFees). Sells do not
	// change it: the average-cost method.
	AvgEntry decimal.Decimal
	// EntryFees are the buy fees of the current round trip not yet charged
	// to RealizedPnL. A sell charges them in proportion to the size it
	// sells, so that a partial exit's profit already carries its share of
	// what it cost to get in.
	EntryFees decimal.Decimal
	// RealizedPnL is the profit of everything sold so far, in quote
	// currency, net of every fee (entry and exit), over all round trips.
	RealizedPnL decimal.Decimal
	// Fees are all fees paid, buys and sells, over all round trips.
	Fees decimal.Decimal
	// OpenedAt is the time of the first buy of the current round trip.
	OpenedAt time.Time
	// EntryReason is the strategy's reason for the first buy of the
	// current round trip.
	EntryReason string
	// Trip accumulates the current round trip for its RoundTrip.
	Trip Trip
}

// Trip holds the running totals of the current round trip. RoundTrip's
// volume-weighted prices and exact profit come from these sums rather than
// from AvgEntry, so that no division rounding leaks into a finished trip.
type Trip struct {
	Bought      decimal.Decimal // base bought
	BoughtValue decimal.Decimal // quote spent before fees
	Sold        decimal.Decimal // base sold
	SoldValue   decimal.Decimal // quote received before fees
	Fees        decimal.Decimal // all fees of the trip
	// RealizedBefore is RealizedPnL when the trip began.
	RealizedBefore decimal.Decimal
}

// RoundTrip is a finished position: from flat, through one or more buys
// and sells, back to flat.
type RoundTrip struct {
	Strategy  string
	ProductID string
	EntryTime time.Time
	ExitTime  time.Time
	// EntryPrice and ExitPrice are volume-weighted over the trip's buys
	// and sells, before fees.
	EntryPrice decimal.Decimal
	ExitPrice  decimal.Decimal
	// Size is the base bought (and sold) over the trip.
	Size decimal.Decimal
	// Fees are every fee of the trip, buys and sells.
	Fees decimal.Decimal
	// PnL is sold value minus bought value minus Fees: net of all fees.
	PnL         decimal.Decimal
	EntryReason string
	ExitReason  string
	Holding     time.Duration
}

// Open reports whether the position holds anything.
func (p Position) Open() bool { return p.Size.IsPositive() }

// ApplyFill books one fill. A BUY grows the position and moves AvgEntry;
// a SELL shrinks it and realizes (price - AvgEntry) * size minus its fee
// and its share of the entry fees. reason is the entry reason for a BUY
// that opens the position and the exit reason for a SELL.
//
// A SELL larger than the position is booked only up to the size held:
// on spot tradebot can never sell what it does not hold, so the excess
// would be a duplicate or foreign fill and must not drive the books
// negative. ApplyFill returns the RoundTrip when the fill makes the
// position flat, else nil. Fills of another product are ignored.
func (p *Position) ApplyFill(f exchange.Fill, reason string) *RoundTrip {
	if p.ProductID != "" && f.ProductID != "" && f.ProductID != p.ProductID {
		return nil
	}
	if !f.Size.IsPositive() {
		return nil
	}
	if p.ProductID == "" {
		p.ProductID = f.ProductID
	}
	if f.Side == exchange.Buy {
		p.buy(f, reason)
		return nil
	}
	return p.sell(f, reason)
}

func (p *Position) buy(f exchange.Fill, reason string) {
	if !p.Size.IsPositive() {
		p.Trip = Trip{RealizedBefore: p.RealizedPnL}
		p.OpenedAt = f.Time
		p.EntryReason = reason
		p.EntryFees = decimal.Zero
		p.Size = decimal.Zero
	}
	value := f.Price.Mul(f.Size)
	newSize := p.Size.Add(f.Size)
	p.AvgEntry = p.AvgEntry.Mul(p.Size).Add(value).Div(newSize)
	p.Size = newSize
	p.EntryFees = p.EntryFees.Add(f.Fee)
	p.Fees = p.Fees.Add(f.Fee)
	p.Trip.Bought = p.Trip.Bought.Add(f.Size)
	p.Trip.BoughtValue = p.Trip.BoughtValue.Add(value)
	p.Trip.Fees = p.Trip.Fees.Add(f.Fee)
}

func (p *Position) sell(f exchange.Fill, reason string) *RoundTrip {
	if !p.Size.IsPositive() {
		return nil
	}
	size := decimal.Min(f.Size, p.Size)
	fee := f.Fee
	if size.LessThan(f.Size) {
		fee = f.Fee.Mul(size).Div(f.Size)
	}
	value := f.Price.Mul(size)
	share := p.EntryFees
	if size.LessThan(p.Size) {
		share = p.EntryFees.Mul(size).Div(p.Size)
	}
	p.RealizedPnL = p.RealizedPnL.Add(f.Price.Sub(p.AvgEntry).Mul(size)).Sub(fee).Sub(share)
	p.EntryFees = p.EntryFees.Sub(share)
	p.Size = p.Size.Sub(size)
	p.Fees = p.Fees.Add(fee)
	p.Trip.Sold = p.Trip.Sold.Add(size)
	p.Trip.SoldValue = p.Trip.SoldValue.Add(value)
	p.Trip.Fees = p.Trip.Fees.Add(fee)
	if p.Size.IsPositive() {
		return nil
	}
	t := p.Trip
	rt := &RoundTrip{
		Strategy:    p.Strategy,
		ProductID:   p.ProductID,
		EntryTime:   p.OpenedAt,
		ExitTime:    f.Time,
		Size:        t.Bought,
		Fees:        t.Fees,
		PnL:         t.SoldValue.Sub(t.BoughtValue).Sub(t.Fees),
		EntryReason: p.EntryReason,
		ExitReason:  reason,
		Holding:     f.Time.Sub(p.OpenedAt),
	}
	if t.Bought.IsPositive() {
		rt.EntryPrice = t.BoughtValue.Div(t.Bought)
	}
	if t.Sold.IsPositive() {
		rt.ExitPrice = t.SoldValue.Div(t.Sold)
	}
	// The running sum above divided entry fees in proportion; the exact
	// trip profit replaces it so that RealizedPnL is the sum of the trips
	// to the last digit.
	p.RealizedPnL = t.RealizedBefore.Add(rt.PnL)
	p.Size = decimal.Zero
	p.AvgEntry = decimal.Zero
	p.EntryFees = decimal.Zero
	p.Trip = Trip{RealizedBefore: p.RealizedPnL}
	p.OpenedAt = time.Time{}
	p.EntryReason = ""
	return rt
}

// Unrealized returns (mark - AvgEntry) * Size: the gain of selling
// everything at mark, before any fee. It subtracts neither the entry fees
// still in EntryFees nor the unknown exit fee, so that it moves only with
// the price; Unrealized - EntryFees is the fee-aware figure.
func (p Position) Unrealized(mark decimal.Decimal) decimal.Decimal {
	if !p.Size.IsPositive() {
		return decimal.Zero
	}
	return mark.Sub(p.AvgEntry).Mul(p.Size)
}
