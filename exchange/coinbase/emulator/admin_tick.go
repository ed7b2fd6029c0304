package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// TickPath is the admin endpoint that feeds one market event, so that a
// script can drive the market (a stop through its trigger, a gap down)
// while the daemon runs against cbemu.
const TickPath = "/emulator/tick"

// TickRequest is the JSON body of POST /emulator/tick. Kind is "trade"
// (Price, Size and the taker's Side, BUY or SELL) or "quote" (Bid, Ask and
// their sizes). Decimals are strings, as Coinbase writes them.
type TickRequest struct {
	ProductID string       `json:"product_id"`
	Kind      string       `json:"kind"`
	Price     coinbase.Dec `json:"price"`
	Size      coinbase.Dec `json:"size"`
	Side      string       `json:"side"`
	Bid       coinbase.Dec `json:"bid"`
	BidSize   coinbase.Dec `json:"bid_size"`
	Ask       coinbase.Dec `json:"ask"`
	AskSize   coinbase.Dec `json:"ask_size"`
}

// tickFrom checks the request against the listed products and returns the
// tick it describes, or an error naming the field at fault.
func (e *Emulator) tickFrom(tr TickRequest) (exchange.Tick, error) {
	if e.market.products[tr.ProductID] == nil {
		return exchange.Tick{}, fmt.Errorf("product_id %q is not listed", tr.ProductID)
	}
	t := exchange.Tick{ProductID: tr.ProductID}
	if !saneDecimals(tr) {
		return t, fmt.Errorf("a number is out of range (exponent beyond ±%d)", maxExponent)
	}
	switch tr.Kind {
	case "trade":
		if !tr.Price.IsPositive() || !tr.Size.IsPositive() {
			return t, fmt.Errorf("a trade needs a positive price and size (got %s, %s)", tr.Price, tr.Size)
		}
		side := exchange.Side(tr.Side)
		if !side.Valid() {
			return t, fmt.Errorf("side %q is not BUY or SELL", tr.Side)
		}
		t.Kind, t.Price, t.Size, t.TakerSide = exchange.TradeTick, tr.Price.Decimal, tr.Size.Decimal, side
	case "quote":
		if !tr.Bid.IsPositive() || !tr.Ask.IsPositive() || !tr.Bid.LessThan(tr.Ask.Decimal) {
			return t, fmt.Errorf("a quote needs 0 < bid < ask (got %s, %s)", tr.Bid, tr.Ask)
		}
		if tr.BidSize.IsNegative() || tr.AskSize.IsNegative() {
			return t, fmt.Errorf("bid_size %s and ask_size %s must not be negative", tr.BidSize, tr.AskSize)
		}
		t.Kind, t.Bid, t.BidSize, t.Ask, t.AskSize = exchange.QuoteTick, tr.Bid.Decimal, tr.BidSize.Decimal, tr.Ask.Decimal, tr.AskSize.Decimal
	default:
		return t, fmt.Errorf("kind %q is not trade or quote", tr.Kind)
	}
	return t, nil
}

// handleTick serves POST /emulator/tick.
func (e *Emulator) handleTick(w http.ResponseWriter, r *http.Request) {
	var tr TickRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tr); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "tick request: "+err.Error())
		return
	}
	t, err := e.tickFrom(tr)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "tick request: "+err.Error())
		return
	}
	e.Tick(t)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
