package emulator

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// UserID is the user_id of every order and fill: the emulator has one
// account.
const UserID = "5c1b4e2f-8a3d-5e6f-9b0a-1c2d3e4f5a6b"

var hundred = decimal.New(100, 0)

// configCount returns how many configurations of the union are set,
// counting unknown ones.
func configCount(c coinbase.OrderConfiguration) int {
	n := 0
	for _, set := range []bool{c.MarketMarketIOC != nil, c.SORLimitIOC != nil, c.LimitLimitGTC != nil, c.LimitLimitGTD != nil,
		c.LimitLimitFOK != nil, c.StopLimitStopLimitGTC != nil, c.StopLimitStopLimitGTD != nil,
		c.TriggerBracketGTC != nil, c.TriggerBracketGTD != nil} {
		if set {
			n++
		}
	}
	if c.Unsupported != "" {
		n += 1 + strings.Count(c.Unsupported, ",")
	}
	return n
}

// toRequest turns a create (or preview) body into the sim's request, or
// a reject with Coinbase's reason for a body the sim cannot express.
func toRequest(req coinbase.CreateOrderRequest) (exchange.OrderRequest, *exchange.RejectError) {
	if u := req.OrderConfiguration.Unsupported; u != "" {
		return exchange.OrderRequest{}, &exchange.RejectError{Reason: "UNSUPPORTED_ORDER_CONFIGURATION",
			Message: "order_configuration " + u + " is not supported by the emulator"}
	}
	if n := configCount(req.OrderConfiguration); n != 1 {
		return exchange.OrderRequest{}, &exchange.RejectError{Reason: exchange.ReasonUnsupportedConfig,
			Message: "order_configuration must hold exactly one supported configuration"}
	}
	if req.OrderConfiguration.LimitLimitFOK != nil {
		// The sim has no fill-or-kill; Coinbase spot refuses it in most
		// places too (FOK_DISABLED).
		return exchange.OrderRequest{}, &exchange.RejectError{Reason: "FOK_DISABLED", Message: "fill-or-kill orders are not enabled"}
	}
	o := coinbase.ToOrder(coinbase.Order{OrderConfiguration: req.OrderConfiguration, ProductID: req.ProductID,
		Side: req.Side, ClientOrderID: req.ClientOrderID})
	out := o.OrderRequest
	if a := req.AttachedOrderConfiguration; a != nil {
		if configCount(*a) != 1 || a.TriggerBracketGTC == nil || a.TriggerBracketGTC.BaseSize.IsPositive() {
			return out, &exchange.RejectError{Reason: exchange.ReasonUnsupportedConfig,
				Message: "attached_order_configuration takes trigger_bracket_gtc with limit_price and stop_trigger_price and no size"}
		}
		if out.Type != exchange.Market && out.Type != exchange.Limit {
			return out, &exchange.RejectError{Reason: "ATTACHED_ORDERS_ONLY_ALLOWED_ON_MARKET_LIMIT",
				Message: "attached orders are only allowed on market and limit orders"}
		}
		out.Attached = &exchange.AttachedBracket{LimitPrice: a.TriggerBracketGTC.LimitPrice.Decimal,
			StopTriggerPrice: a.TriggerBracketGTC.StopTriggerPrice.Decimal}
	}
	return out, nil
}

// orderConfig rebuilds an order's configuration from its request.
func orderConfig(r exchange.OrderRequest) coinbase.OrderConfiguration {
	r.Attached = nil
	body, err := coinbase.BuildCreateOrder(r)
	if err != nil {
		return coinbase.OrderConfiguration{}
	}
	return body.OrderConfiguration
}

func attachedConfig(r exchange.OrderRequest) *coinbase.OrderConfiguration {
	if r.Attached == nil {
		return nil
	}
	return &coinbase.OrderConfiguration{TriggerBracketGTC: &coinbase.TriggerBracketGTC{
		LimitPrice: coinbase.D(r.Attached.LimitPrice), StopTriggerPrice: coinbase.D(r.Attached.StopTriggerPrice)}}
}

// triggerStatus is trigger_status: stops pend until triggered; other
// orders have INVALID_ORDER_TYPE, as in the real samples.
func triggerStatus(o exchange.Order) string {
	if o.Type != exchange.StopLimit && o.Type != exchange.Bracket {
		return "INVALID_ORDER_TYPE"
	}
	if o.Triggered {
		return "STOP_TRIGGERED"
	}
	return "STOP_PENDING"
}

func completion(o exchange.Order) decimal.Decimal {
	switch {
	case o.Status == exchange.StatusFilled:
		return hundred
	case o.BaseSize.IsPositive():
		return o.FilledSize.Div(o.BaseSize).Mul(hundred).Round(2)
	}
	return decimal.Zero
}

func valueAfterFees(o exchange.Order) decimal.Decimal {
	if o.Side == exchange.Buy {
		return o.FilledValue.Add(o.TotalFees)
	}
	return o.FilledValue.Sub(o.TotalFees)
}

// hold is what an open order reserves, as the sim computes it: the base
// size of a sell, limit * size plus the higher fee of a buy.
func (e *Emulator) hold(o exchange.Order) decimal.Decimal {
	if o.Status == exchange.StatusQueued {
		// What a queued market order holds depends on the price when it
		// came; the sim keeps it.
		_, amount, _ := e.sim.OrderHold(o.ID)
		return amount
	}
	if o.Status != exchange.StatusOpen && o.Status != exchange.StatusEditQueued {
		return decimal.Zero
	}
	rem := o.Remaining()
	if o.Side == exchange.Sell {
		return rem
	}
	rate := decimal.Max(e.fees.Maker, e.fees.Taker)
	return o.LimitPrice.Mul(rem).Mul(decimal.NewFromInt(1).Add(rate))
}

// restOrder renders an order as GET /orders/historical returns it.
func (e *Emulator) restOrder(o exchange.Order) coinbase.Order {
	status, pending := e.status(o)
	out := coinbase.Order{
		OrderID: o.ID, ProductID: o.ProductID, UserID: UserID, OrderConfiguration: orderConfig(o.OrderRequest),
		Side: string(o.Side), ClientOrderID: o.ClientOrderID, Status: string(status), TimeInForce: string(o.TimeInForce),
		CreatedTime: coinbase.Time{Time: o.CreatedAt.UTC()}, CompletionPercentage: coinbase.D(completion(o)),
		FilledSize: coinbase.D(o.FilledSize), AverageFilledPrice: coinbase.D(o.AverageFilledPrice), Fee: coinbase.D(decimal.Zero),
		NumberOfFills: coinbase.StrInt(o.NumberOfFills), FilledValue: coinbase.D(o.FilledValue),
		SizeInQuote: o.QuoteSize.IsPositive(), TotalFees: coinbase.D(o.TotalFees),
		TotalValueAfterFees: coinbase.D(valueAfterFees(o)), TriggerStatus: triggerStatus(o), OrderType: string(o.Type),
		RejectReason: "REJECT_REASON_UNSPECIFIED", Settled: o.Status.Terminal(), ProductType: "SPOT",
		OrderPlacementSource: "RETAIL_ADVANCED", OutstandingHoldAmount: coinbase.D(e.hold(o)), PendingCancel: pending,
		EditHistory: []coinbase.EditHistoryEntry{}, MarginType: "UNKNOWN_MARGIN_TYPE", RetailPortfolioID: DefaultPortfolioUUID,
		OriginatingOrderID: o.OriginatingOrderID, AttachedOrderID: o.AttachedOrderID,
		AttachedOrderConfiguration: attachedConfig(o.OrderRequest), LastUpdateTime: coinbase.Time{Time: o.UpdatedAt.UTC()},
	}
	if o.Status == exchange.StatusCancelled {
		out.CancelMessage = "User requested cancel"
	}
	if o.RejectReason != "" {
		out.RejectMessage = o.RejectReason
	}
	if o.FilledSize.IsPositive() {
		out.LastFillTime = &coinbase.Time{Time: o.UpdatedAt.UTC()}
	}
	e.mu.Lock()
	for _, h := range e.edits[o.ID] {
		out.EditHistory = append(out.EditHistory, coinbase.EditHistoryEntry{Price: coinbase.D(h.price), Size: coinbase.D(h.size),
			ReplaceAcceptTimestamp: coinbase.Time{Time: h.at.UTC()}})
	}
	e.mu.Unlock()
	return out
}

// userOrder renders an order as the user channel sends it: the whole
// current state with cumulative fields.
func (e *Emulator) userOrder(o exchange.Order) coinbase.UserOrder {
	status, _ := e.status(o)
	out := coinbase.UserOrder{
		AvgPrice: coinbase.D(o.AverageFilledPrice), ClientOrderID: o.ClientOrderID, CompletionPercentage: coinbase.D(completion(o)),
		ContractExpiryType: "UNKNOWN_CONTRACT_EXPIRY_TYPE", CumulativeQuantity: coinbase.D(o.FilledSize),
		FilledValue: coinbase.D(o.FilledValue), LeavesQuantity: coinbase.D(decimal.Max(o.Remaining(), decimal.Zero)),
		LimitPrice: coinbase.D(o.LimitPrice), NumberOfFills: coinbase.StrInt(o.NumberOfFills), OrderID: o.ID,
		OrderSide: string(o.Side), OrderType: string(o.Type), OutstandingHoldAmount: coinbase.D(e.hold(o)),
		PostOnly: coinbase.FlexBool(o.PostOnly), ProductID: o.ProductID, ProductType: "SPOT", RetailPortfolioID: DefaultPortfolioUUID,
		RiskManagedBy: "UNKNOWN_RISK_MANAGEMENT_TYPE", Status: string(status), StopPrice: coinbase.D(o.StopPrice),
		TimeInForce: string(o.TimeInForce), TotalFees: coinbase.D(o.TotalFees), TotalValueAfterFees: coinbase.D(valueAfterFees(o)),
		TriggerStatus: triggerStatus(o), CreationTime: coinbase.Time{Time: o.CreatedAt.UTC()},
		EndTime: coinbase.Time{Time: o.EndTime.UTC()}, StartTime: coinbase.Time{Time: time.Time{}},
	}
	if o.Status == exchange.StatusCancelled {
		out.CancelReason = "User requested cancel"
	}
	if o.Status == exchange.StatusFilled {
		out.LeavesQuantity = coinbase.D(decimal.Zero)
	}
	return out
}

// restFill renders a fill as GET /orders/historical/fills returns it.
// The fill of an order sized in quote currency reports its size in quote
// with size_in_quote true, as a real quote-sized market buy's fill does.
func restFill(f exchange.Fill, inQuote bool) coinbase.Fill {
	t := coinbase.Time{Time: f.Time.UTC()}
	size := f.Size
	if inQuote {
		size = f.Value()
	}
	return coinbase.Fill{
		EntryID: f.TradeID, TradeID: f.TradeID, OrderID: f.OrderID, TradeTime: t, TradeType: "FILL",
		Price: coinbase.D(f.Price), Size: coinbase.D(size), Commission: coinbase.D(f.Fee), ProductID: f.ProductID,
		SequenceTimestamp: t, LiquidityIndicator: string(f.Liquidity), SizeInQuote: inQuote, UserID: UserID, Side: string(f.Side),
		RetailPortfolioID: DefaultPortfolioUUID,
	}
}
