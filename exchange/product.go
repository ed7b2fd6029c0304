package exchange

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Product is a tradable pair with the venue's increments and bounds.
type Product struct {
	ID             string
	BaseCurrency   string
	QuoteCurrency  string
	BaseIncrement  decimal.Decimal // step of a base size
	QuoteIncrement decimal.Decimal // step of a quote size
	PriceIncrement decimal.Decimal // price tick
	BaseMinSize    decimal.Decimal
	BaseMaxSize    decimal.Decimal
	QuoteMinSize   decimal.Decimal
	QuoteMaxSize   decimal.Decimal
	// TradingDisabled, CancelOnly and LimitOnly mirror the venue's flags.
	TradingDisabled bool
	CancelOnly      bool
	LimitOnly       bool
	PostOnly        bool
}

// RoundSize rounds a base size down to the base increment. Down is the
// safe direction for every size: an order never asks for more than was
// decided, and an exit never sells more than is held.
func (p Product) RoundSize(size decimal.Decimal) decimal.Decimal {
	return floorTo(size, p.BaseIncrement)
}

// RoundQuoteSize rounds a quote amount down to the quote increment.
func (p Product) RoundQuoteSize(quote decimal.Decimal) decimal.Decimal {
	return floorTo(quote, p.QuoteIncrement)
}

// RoundPriceDown rounds a price down to the price increment (the quote
// increment for products that have no price increment). RoundLimit and
// RoundStop pick the safe direction for an order's prices.
func (p Product) RoundPriceDown(price decimal.Decimal) decimal.Decimal {
	return floorTo(price, p.priceStep())
}

// RoundPriceUp rounds a price up to the price increment.
func (p Product) RoundPriceUp(price decimal.Decimal) decimal.Decimal {
	return ceilTo(price, p.priceStep())
}

// RoundLimit rounds a limit price in the direction that never pays more
// than the decision allowed: down for a buy, up for a sell.
func (p Product) RoundLimit(side Side, price decimal.Decimal) decimal.Decimal {
	if side == Buy {
		return p.RoundPriceDown(price)
	}
	return p.RoundPriceUp(price)
}

// RoundStop rounds a protective stop trigger toward the market, so that
// rounding never widens the loss the stop was set to cap: a sell stop
// (protecting a long) rounds up, a buy stop rounds down.
func (p Product) RoundStop(side Side, price decimal.Decimal) decimal.Decimal {
	if side == Sell {
		return p.RoundPriceUp(price)
	}
	return p.RoundPriceDown(price)
}

func (p Product) priceStep() decimal.Decimal {
	if p.PriceIncrement.IsPositive() {
		return p.PriceIncrement
	}
	return p.QuoteIncrement
}

// Failure reasons with Coinbase's NewOrderFailureReason values, returned
// in a *RejectError by Validate and by venues.
const (
	ReasonInvalidSizePrecision  = "INVALID_SIZE_PRECISION"
	ReasonInvalidPricePrecision = "INVALID_PRICE_PRECISION"
	ReasonInvalidQuotePrecision = "INVALID_QUOTE_SIZE_PRECISION"
	ReasonBaseSizeTooSmall      = "INVALID_BASE_SIZE_TOO_SMALL"
	ReasonBaseSizeTooLarge      = "INVALID_BASE_SIZE_TOO_LARGE"
	ReasonQuoteSizeTooSmall     = "INVALID_QUOTE_SIZE_TOO_SMALL"
	ReasonQuoteSizeTooLarge     = "INVALID_QUOTE_SIZE_TOO_LARGE"
	ReasonInsufficientFund      = "INSUFFICIENT_FUND"
	ReasonInvalidProductID      = "INVALID_PRODUCT_ID"
	ReasonUnsupportedConfig     = "UNSUPPORTED_ORDER_CONFIGURATION"
	ReasonInvalidSide           = "INVALID_SIDE"
	ReasonInvalidLimitPrice     = "INVALID_LIMIT_PRICE"
	ReasonPostOnlyWouldCross    = "INVALID_LIMIT_PRICE_POST_ONLY"
	ReasonNoLiquidity           = "INVALID_NO_LIQUIDITY"
	ReasonOrderEntryDisabled    = "ORDER_ENTRY_DISABLED"
	ReasonStopAboveLastTrade    = "STOP_PRICE_ABOVE_LAST_TRADE_PRICE"
	ReasonStopBelowLastTrade    = "STOP_PRICE_BELOW_LAST_TRADE_PRICE"
	ReasonInvalidBracketPrices  = "INVALID_BRACKET_PRICES"
	ReasonBracketSide           = "INVALID_BRACKET_ORDER_SIDE"
	ReasonInvalidRequest        = "INVALID_REQUEST"
)

// RejectReasons lists the failure reasons above, for the metrics that
// count refusals by reason from the start.
var RejectReasons = []string{
	ReasonInvalidSizePrecision, ReasonInvalidPricePrecision, ReasonInvalidQuotePrecision,
	ReasonBaseSizeTooSmall, ReasonBaseSizeTooLarge, ReasonQuoteSizeTooSmall, ReasonQuoteSizeTooLarge,
	ReasonInsufficientFund, ReasonInvalidProductID, ReasonUnsupportedConfig, ReasonInvalidSide,
	ReasonInvalidLimitPrice, ReasonPostOnlyWouldCross, ReasonNoLiquidity, ReasonOrderEntryDisabled,
	ReasonStopAboveLastTrade, ReasonStopBelowLastTrade, ReasonInvalidBracketPrices, ReasonBracketSide,
	ReasonInvalidRequest,
}

// RejectError is a venue's refusal of an order with its failure reason.
// It is a definite answer: the order does not exist.
type RejectError struct {
	Reason  string
	Message string
}

func (e *RejectError) Error() string {
	if e.Message == "" {
		return "order rejected: " + e.Reason
	}
	return fmt.Sprintf("order rejected: %s: %s", e.Reason, e.Message)
}

func reject(reason, format string, args ...any) *RejectError {
	return &RejectError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Validate checks a request against the product's increments, bounds and
// flags the way Coinbase does before it accepts an order, and returns a
// *RejectError with Coinbase's failure reason, or nil. A base size must
// pass the minimums Dust names and the maximums, its worth at the limit
// price included (quote_min_size and quote_max_size bound the notional
// too). It does not check funds or the market; venues do that, and the
// worth of a market order sized in base at the price it takes
// (CheckBounds).
func (p Product) Validate(r OrderRequest) error {
	if r.ProductID != p.ID {
		return reject(ReasonInvalidProductID, "product %q is not %q", r.ProductID, p.ID)
	}
	if !r.Side.Valid() {
		return reject(ReasonInvalidSide, "side %q", r.Side)
	}
	if p.TradingDisabled || p.CancelOnly {
		return reject(ReasonOrderEntryDisabled, "%s does not accept new orders", p.ID)
	}
	if p.LimitOnly && r.Type == Market {
		return reject(ReasonUnsupportedConfig, "%s is limit-only", p.ID)
	}
	switch r.Type {
	case Market:
		if r.BaseSize.IsZero() == r.QuoteSize.IsZero() {
			return reject(ReasonUnsupportedConfig, "a market order takes exactly one of base_size and quote_size")
		}
		if r.Side == Sell && r.QuoteSize.IsPositive() {
			return reject(ReasonUnsupportedConfig, "market sells must be parameterized in base currency")
		}
	case Limit, StopLimit, Bracket:
		if !r.BaseSize.IsPositive() {
			return reject(ReasonUnsupportedConfig, "%s order needs a positive base_size", r.Type)
		}
		if !r.LimitPrice.IsPositive() {
			return reject(ReasonInvalidLimitPrice, "limit price %s", r.LimitPrice)
		}
		if err := p.checkPrice(r.LimitPrice); err != nil {
			return err
		}
		if r.Type != Limit {
			if !r.StopPrice.IsPositive() {
				return reject(ReasonInvalidLimitPrice, "stop price %s", r.StopPrice)
			}
			if err := p.checkPrice(r.StopPrice); err != nil {
				return err
			}
		}
		if r.Type == Bracket {
			if r.Side != Sell {
				return reject(ReasonBracketSide, "a bracket closes a long position and must be a SELL")
			}
			if !r.LimitPrice.GreaterThan(r.StopPrice) {
				return reject(ReasonInvalidBracketPrices, "take-profit limit %s must be above stop trigger %s", r.LimitPrice, r.StopPrice)
			}
		}
	default:
		return reject(ReasonUnsupportedConfig, "order type %q", r.Type)
	}
	if r.BaseSize.IsPositive() {
		if !isMultiple(r.BaseSize, p.BaseIncrement) {
			return reject(ReasonInvalidSizePrecision, "base size %s is not a multiple of %s", r.BaseSize, p.BaseIncrement)
		}
		// A limit, stop-limit or bracket is worth its size at its limit
		// price; a market order's price is known when it arrives, where
		// the venue checks its worth (CheckBounds).
		worthAt := r.LimitPrice
		if r.Type == Market {
			worthAt = decimal.Zero
		}
		if err := p.belowMinimum(r.BaseSize, worthAt); err != nil {
			return err
		}
		if err := p.aboveMaximum(r.BaseSize, worthAt); err != nil {
			return err
		}
	} else if r.BaseSize.IsNegative() {
		return reject(ReasonInvalidSizePrecision, "base size %s is negative", r.BaseSize)
	}
	if r.QuoteSize.IsPositive() {
		if !isMultiple(r.QuoteSize, p.QuoteIncrement) {
			return reject(ReasonInvalidQuotePrecision, "quote size %s is not a multiple of %s", r.QuoteSize, p.QuoteIncrement)
		}
		if p.QuoteMinSize.IsPositive() && r.QuoteSize.LessThan(p.QuoteMinSize) {
			return reject(ReasonQuoteSizeTooSmall, "quote size %s is below the minimum %s", r.QuoteSize, p.QuoteMinSize)
		}
		if p.QuoteMaxSize.IsPositive() && r.QuoteSize.GreaterThan(p.QuoteMaxSize) {
			return reject(ReasonQuoteSizeTooLarge, "quote size %s is above the maximum %s", r.QuoteSize, p.QuoteMaxSize)
		}
	} else if r.QuoteSize.IsNegative() {
		return reject(ReasonInvalidQuotePrecision, "quote size %s is negative", r.QuoteSize)
	}
	return nil
}

func (p Product) checkPrice(price decimal.Decimal) error {
	if !isMultiple(price, p.priceStep()) {
		return reject(ReasonInvalidPricePrecision, "price %s is not a multiple of %s", price, p.priceStep())
	}
	return nil
}

func floorTo(v, step decimal.Decimal) decimal.Decimal {
	if !step.IsPositive() {
		return v
	}
	return v.Div(step).Floor().Mul(step)
}

func ceilTo(v, step decimal.Decimal) decimal.Decimal {
	if !step.IsPositive() {
		return v
	}
	return v.Div(step).Ceil().Mul(step)
}

func isMultiple(v, step decimal.Decimal) bool {
	if !step.IsPositive() {
		return true
	}
	return v.Mod(step).IsZero()
}
