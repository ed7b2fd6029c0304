package coinbase

// This file holds the JSON shapes of orders: the order_configuration
// union, create/preview/cancel/edit bodies and answers, historical orders
// and fills (API.md sections 2.4-2.10).

// OrderConfiguration is the order_configuration union: exactly one field
// is set. Sizes and prices that do not apply are left zero and omitted.
// A configuration tradebot does not know (market_market_fok,
// twap_limit_gtd, scaled_limit_gtc, ...) is kept by name in Unsupported,
// so that such an order is never read as one with no size.
type OrderConfiguration struct {
	MarketMarketIOC       *MarketIOC         `json:"market_market_ioc,omitempty"`
	SORLimitIOC           *LimitIOC          `json:"sor_limit_ioc,omitempty"`
	LimitLimitGTC         *LimitGTC          `json:"limit_limit_gtc,omitempty"`
	LimitLimitGTD         *LimitGTD          `json:"limit_limit_gtd,omitempty"`
	LimitLimitFOK         *LimitIOC          `json:"limit_limit_fok,omitempty"`
	StopLimitStopLimitGTC *StopLimitGTC      `json:"stop_limit_stop_limit_gtc,omitempty"`
	StopLimitStopLimitGTD *StopLimitGTD      `json:"stop_limit_stop_limit_gtd,omitempty"`
	TriggerBracketGTC     *TriggerBracketGTC `json:"trigger_bracket_gtc,omitempty"`
	TriggerBracketGTD     *TriggerBracketGTD `json:"trigger_bracket_gtd,omitempty"`
	// Unsupported holds the names of the configurations present that
	// tradebot does not know, comma-separated in the order sent; it is
	// never sent.
	Unsupported string `json:"-"`
}

// Key returns the name of the configuration that is set, or "" if none is;
// an unsupported configuration gives its own name.
func (c OrderConfiguration) Key() string {
	switch {
	case c.MarketMarketIOC != nil:
		return "market_market_ioc"
	case c.SORLimitIOC != nil:
		return "sor_limit_ioc"
	case c.LimitLimitGTC != nil:
		return "limit_limit_gtc"
	case c.LimitLimitGTD != nil:
		return "limit_limit_gtd"
	case c.LimitLimitFOK != nil:
		return "limit_limit_fok"
	case c.StopLimitStopLimitGTC != nil:
		return "stop_limit_stop_limit_gtc"
	case c.StopLimitStopLimitGTD != nil:
		return "stop_limit_stop_limit_gtd"
	case c.TriggerBracketGTC != nil:
		return "trigger_bracket_gtc"
	case c.TriggerBracketGTD != nil:
		return "trigger_bracket_gtd"
	}
	return c.Unsupported
}

// MarketIOC is market_market_ioc: QuoteSize or BaseSize, never both.
type MarketIOC struct {
	QuoteSize Dec `json:"quote_size,omitzero"`
	BaseSize  Dec `json:"base_size,omitzero"`
}

// LimitIOC is sor_limit_ioc and limit_limit_fok.
type LimitIOC struct {
	BaseSize   Dec `json:"base_size,omitzero"`
	LimitPrice Dec `json:"limit_price"`
}

// LimitGTC is limit_limit_gtc.
type LimitGTC struct {
	BaseSize   Dec  `json:"base_size,omitzero"`
	QuoteSize  Dec  `json:"quote_size,omitzero"`
	LimitPrice Dec  `json:"limit_price"`
	PostOnly   bool `json:"post_only"`
}

// LimitGTD is limit_limit_gtd.
type LimitGTD struct {
	BaseSize   Dec  `json:"base_size,omitzero"`
	LimitPrice Dec  `json:"limit_price"`
	EndTime    Time `json:"end_time"`
	PostOnly   bool `json:"post_only"`
}

// StopLimitGTC is stop_limit_stop_limit_gtc. StopDirection is
// STOP_DIRECTION_STOP_UP or STOP_DIRECTION_STOP_DOWN; the stop triggers on
// the last trade price.
type StopLimitGTC struct {
	BaseSize      Dec    `json:"base_size,omitzero"`
	LimitPrice    Dec    `json:"limit_price"`
	StopPrice     Dec    `json:"stop_price"`
	StopDirection string `json:"stop_direction"`
}

// StopLimitGTD is stop_limit_stop_limit_gtd.
type StopLimitGTD struct {
	BaseSize      Dec    `json:"base_size,omitzero"`
	LimitPrice    Dec    `json:"limit_price"`
	StopPrice     Dec    `json:"stop_price"`
	EndTime       Time   `json:"end_time"`
	StopDirection string `json:"stop_direction"`
}

// TriggerBracketGTC is trigger_bracket_gtc: a take-profit limit and a
// stop trigger in one order. As an attached configuration it has no size.
type TriggerBracketGTC struct {
	BaseSize         Dec `json:"base_size,omitzero"`
	LimitPrice       Dec `json:"limit_price"`
	StopTriggerPrice Dec `json:"stop_trigger_price"`
}

// TriggerBracketGTD is trigger_bracket_gtd.
type TriggerBracketGTD struct {
	BaseSize         Dec  `json:"base_size,omitzero"`
	LimitPrice       Dec  `json:"limit_price"`
	StopTriggerPrice Dec  `json:"stop_trigger_price"`
	EndTime          Time `json:"end_time"`
}

// CreateOrderRequest is the body of POST /orders. PreviewOrderRequest is
// the same without ClientOrderID.
type CreateOrderRequest struct {
	ClientOrderID              string              `json:"client_order_id,omitempty"`
	ProductID                  string              `json:"product_id"`
	Side                       string              `json:"side"`
	OrderConfiguration         OrderConfiguration  `json:"order_configuration"`
	AttachedOrderConfiguration *OrderConfiguration `json:"attached_order_configuration,omitempty"`
	PreviewID                  string              `json:"preview_id,omitempty"`
}

// CreateOrderSuccess is success_response of POST /orders.
type CreateOrderSuccess struct {
	OrderID       string `json:"order_id"`
	ProductID     string `json:"product_id"`
	Side          string `json:"side"`
	ClientOrderID string `json:"client_order_id"`
}

// CreateOrderError is error_response of POST /orders (and of previews).
type CreateOrderError struct {
	Error                 string `json:"error"`
	Message               string `json:"message"`
	ErrorDetails          string `json:"error_details"`
	PreviewFailureReason  string `json:"preview_failure_reason,omitempty"`
	NewOrderFailureReason string `json:"new_order_failure_reason,omitempty"`
}

// CreateOrderResponse is the answer of POST /orders; HTTP 200 carries
// business rejects with Success false. FailureReason and OrderID at the
// top are legacy fields still sent.
type CreateOrderResponse struct {
	Success            bool                `json:"success"`
	FailureReason      string              `json:"failure_reason,omitempty"`
	OrderID            string              `json:"order_id,omitempty"`
	SuccessResponse    *CreateOrderSuccess `json:"success_response,omitempty"`
	ErrorResponse      *CreateOrderError   `json:"error_response,omitempty"`
	OrderConfiguration *OrderConfiguration `json:"order_configuration,omitempty"`
}

// PreviewOrderResponse is the answer of POST /orders/preview; an empty
// Errs means the order would be accepted.
type PreviewOrderResponse struct {
	OrderTotal            Dec      `json:"order_total"`
	CommissionTotal       Dec      `json:"commission_total"`
	Errs                  []string `json:"errs"`
	Warning               []string `json:"warning"`
	QuoteSize             Dec      `json:"quote_size"`
	BaseSize              Dec      `json:"base_size"`
	BestBid               Dec      `json:"best_bid"`
	BestAsk               Dec      `json:"best_ask"`
	IsMax                 bool     `json:"is_max"`
	Slippage              Dec      `json:"slippage"`
	PreviewID             string   `json:"preview_id"`
	EstAverageFilledPrice Dec      `json:"est_average_filled_price"`
}

// CancelOrdersRequest is the body of POST /orders/batch_cancel.
type CancelOrdersRequest struct {
	OrderIDs []string `json:"order_ids"`
}

// CancelResult is one order's answer within CancelOrdersResponse;
// FailureReason is UNKNOWN_CANCEL_FAILURE_REASON when Success is true.
type CancelResult struct {
	Success       bool   `json:"success"`
	FailureReason string `json:"failure_reason"`
	OrderID       string `json:"order_id"`
}

// CancelOrdersResponse is the answer of POST /orders/batch_cancel.
type CancelOrdersResponse struct {
	Results []CancelResult `json:"results"`
}

// EditOrderRequest is the body of POST /orders/edit and /edit_preview.
type EditOrderRequest struct {
	OrderID   string `json:"order_id"`
	Price     Dec    `json:"price,omitzero"`
	Size      Dec    `json:"size,omitzero"`
	StopPrice Dec    `json:"stop_price,omitzero"`
}

// EditError is one element of EditOrderResponse.Errors; the UNKNOWN_*
// values mean no error.
type EditError struct {
	EditFailureReason    string `json:"edit_failure_reason"`
	PreviewFailureReason string `json:"preview_failure_reason"`
}

// EditOrderResponse is the answer of POST /orders/edit.
type EditOrderResponse struct {
	Success bool        `json:"success"`
	Errors  []EditError `json:"errors"`
}

// EditPreviewResponse is the answer of POST /orders/edit_preview: the
// refusals the edit would meet (none when Errors is empty) and what the
// edited order would come to at the current quote.
type EditPreviewResponse struct {
	Errors             []EditError `json:"errors"`
	Slippage           Dec         `json:"slippage"`
	OrderTotal         Dec         `json:"order_total"`
	CommissionTotal    Dec         `json:"commission_total"`
	QuoteSize          Dec         `json:"quote_size"`
	BaseSize           Dec         `json:"base_size"`
	BestBid            Dec         `json:"best_bid"`
	BestAsk            Dec         `json:"best_ask"`
	AverageFilledPrice Dec         `json:"average_filled_price"`
}

// EditHistoryEntry is one accepted edit of an order.
type EditHistoryEntry struct {
	Price                  Dec  `json:"price"`
	Size                   Dec  `json:"size"`
	ReplaceAcceptTimestamp Time `json:"replace_accept_timestamp"`
}

// Order is an order as GET /orders/historical/{id} and /batch return it.
type Order struct {
	OrderID                    string              `json:"order_id"`
	ProductID                  string              `json:"product_id"`
	UserID                     string              `json:"user_id"`
	OrderConfiguration         OrderConfiguration  `json:"order_configuration"`
	Side                       string              `json:"side"`
	ClientOrderID              string              `json:"client_order_id"`
	Status                     string              `json:"status"`
	TimeInForce                string              `json:"time_in_force"`
	CreatedTime                Time                `json:"created_time"`
	CompletionPercentage       Dec                 `json:"completion_percentage"`
	FilledSize                 Dec                 `json:"filled_size"`
	AverageFilledPrice         Dec                 `json:"average_filled_price"`
	Fee                        Dec                 `json:"fee"`
	NumberOfFills              StrInt              `json:"number_of_fills"`
	FilledValue                Dec                 `json:"filled_value"`
	PendingCancel              bool                `json:"pending_cancel"`
	SizeInQuote                bool                `json:"size_in_quote"`
	TotalFees                  Dec                 `json:"total_fees"`
	SizeInclusiveOfFees        bool                `json:"size_inclusive_of_fees"`
	TotalValueAfterFees        Dec                 `json:"total_value_after_fees"`
	TriggerStatus              string              `json:"trigger_status"`
	OrderType                  string              `json:"order_type"`
	RejectReason               string              `json:"reject_reason"`
	Settled                    bool                `json:"settled"`
	ProductType                string              `json:"product_type"`
	RejectMessage              string              `json:"reject_message"`
	CancelMessage              string              `json:"cancel_message"`
	OrderPlacementSource       string              `json:"order_placement_source"`
	OutstandingHoldAmount      Dec                 `json:"outstanding_hold_amount"`
	IsLiquidation              bool                `json:"is_liquidation"`
	LastFillTime               *Time               `json:"last_fill_time"`
	EditHistory                []EditHistoryEntry  `json:"edit_history"`
	Leverage                   Dec                 `json:"leverage"`
	MarginType                 string              `json:"margin_type"`
	RetailPortfolioID          string              `json:"retail_portfolio_id,omitempty"`
	OriginatingOrderID         string              `json:"originating_order_id,omitempty"`
	AttachedOrderID            string              `json:"attached_order_id,omitempty"`
	AttachedOrderConfiguration *OrderConfiguration `json:"attached_order_configuration,omitempty"`
	LastUpdateTime             Time                `json:"last_update_time,omitzero"`
	Cursor                     string              `json:"cursor,omitempty"`
}

// GetOrderResponse is GET /orders/historical/{order_id}.
type GetOrderResponse struct {
	Order Order `json:"order"`
}

// ListOrdersResponse is one page of GET /orders/historical/batch.
type ListOrdersResponse struct {
	Orders   []Order `json:"orders"`
	Sequence StrInt  `json:"sequence"`
	HasNext  bool    `json:"has_next"`
	Cursor   string  `json:"cursor"`
}

// Fill is one execution as GET /orders/historical/fills returns it. Size
// is in quote currency when SizeInQuote is true.
type Fill struct {
	EntryID            string `json:"entry_id"`
	TradeID            string `json:"trade_id"`
	OrderID            string `json:"order_id"`
	TradeTime          Time   `json:"trade_time"`
	TradeType          string `json:"trade_type"`
	Price              Dec    `json:"price"`
	Size               Dec    `json:"size"`
	Commission         Dec    `json:"commission"`
	ProductID          string `json:"product_id"`
	SequenceTimestamp  Time   `json:"sequence_timestamp"`
	LiquidityIndicator string `json:"liquidity_indicator"`
	SizeInQuote        bool   `json:"size_in_quote"`
	UserID             string `json:"user_id"`
	Side               string `json:"side"`
	RetailPortfolioID  string `json:"retail_portfolio_id,omitempty"`
}

// ListFillsResponse is one page of GET /orders/historical/fills; an empty
// Cursor ends the listing.
type ListFillsResponse struct {
	Fills  []Fill `json:"fills"`
	Cursor string `json:"cursor"`
}
