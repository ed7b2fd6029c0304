package coinbase

// This file holds the JSON shapes of the WebSocket feed (API.md section 4).

// Channel names as they appear in subscribe messages and, where they
// differ (level2 arrives as l2_data), in the channel field of messages.
const (
	ChannelHeartbeats    = "heartbeats"
	ChannelTicker        = "ticker"
	ChannelTickerBatch   = "ticker_batch"
	ChannelLevel2        = "level2"
	ChannelL2Data        = "l2_data"
	ChannelMarketTrades  = "market_trades"
	ChannelCandles       = "candles"
	ChannelStatus        = "status"
	ChannelUser          = "user"
	ChannelSubscriptions = "subscriptions"
)

// SubscribeRequest is a subscribe or unsubscribe message: one channel per
// message, with a fresh JWT each time.
type SubscribeRequest struct {
	Type       string   `json:"type"`
	ProductIDs []string `json:"product_ids,omitempty"`
	Channel    string   `json:"channel"`
	JWT        string   `json:"jwt,omitempty"`
}

// Header is the envelope every message shares. Error messages carry Type
// "error" and Message instead of a channel.
type Header struct {
	Type        string  `json:"type,omitempty"`
	Message     string  `json:"message,omitempty"`
	Channel     string  `json:"channel,omitempty"`
	ClientID    string  `json:"client_id"`
	Timestamp   Time    `json:"timestamp"`
	SequenceNum FlexInt `json:"sequence_num"`
}

// Message is a whole message of one channel with its typed events, e.g.
// Message[TickerEvent]. An emulator marshals these to speak the protocol.
type Message[E any] struct {
	Channel     string `json:"channel"`
	ClientID    string `json:"client_id"`
	Timestamp   Time   `json:"timestamp"`
	SequenceNum int64  `json:"sequence_num"`
	Events      []E    `json:"events"`
}

// ErrorMessage is what the server sends on a refused subscription, e.g.
// {"type":"error","message":"authentication failure"}.
type ErrorMessage struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// HeartbeatEvent is an event of the heartbeats channel, sent every second.
type HeartbeatEvent struct {
	CurrentTime      string `json:"current_time"`
	HeartbeatCounter StrInt `json:"heartbeat_counter"`
}

// SubscriptionsEvent lists every channel and its products after each
// (un)subscribe.
type SubscriptionsEvent struct {
	Subscriptions map[string][]string `json:"subscriptions"`
}

// Ticker is one product's entry in a ticker event.
type Ticker struct {
	Type               string `json:"type"`
	ProductID          string `json:"product_id"`
	Price              Dec    `json:"price"`
	Volume24H          Dec    `json:"volume_24_h"`
	Low24H             Dec    `json:"low_24_h"`
	High24H            Dec    `json:"high_24_h"`
	Low52W             Dec    `json:"low_52_w"`
	High52W            Dec    `json:"high_52_w"`
	PricePercentChg24H Dec    `json:"price_percent_chg_24_h"`
	BestBid            Dec    `json:"best_bid"`
	BestBidQuantity    Dec    `json:"best_bid_quantity"`
	BestAsk            Dec    `json:"best_ask"`
	BestAskQuantity    Dec    `json:"best_ask_quantity"`
}

// TickerEvent is an event of the ticker and ticker_batch channels.
type TickerEvent struct {
	Type    string   `json:"type"`
	Tickers []Ticker `json:"tickers"`
}

// WSTrade is one trade of the market_trades channel. Side is the MAKER's
// side: a trade with side SELL was a buyer lifting a resting sell.
type WSTrade struct {
	TradeID   string `json:"trade_id"`
	ProductID string `json:"product_id"`
	Price     Dec    `json:"price"`
	Size      Dec    `json:"size"`
	Side      string `json:"side"`
	Time      Time   `json:"time"`
}

// MarketTradesEvent is an event of the market_trades channel.
type MarketTradesEvent struct {
	Type   string    `json:"type"`
	Trades []WSTrade `json:"trades"`
}

// L2Update is one level change: NewQuantity is the level's new absolute
// size and zero removes it. Side is "bid" or "offer".
type L2Update struct {
	Side        string `json:"side"`
	EventTime   Time   `json:"event_time"`
	PriceLevel  Dec    `json:"price_level"`
	NewQuantity Dec    `json:"new_quantity"`
}

// L2Event is an event of the level2 subscription (channel l2_data): a
// snapshot of the whole book, then updates.
type L2Event struct {
	Type      string     `json:"type"`
	ProductID string     `json:"product_id"`
	Updates   []L2Update `json:"updates"`
}

// WSCandle is a five-minute candle of the candles channel; Start is unix
// seconds as a string.
type WSCandle struct {
	Start     StrInt `json:"start"`
	High      Dec    `json:"high"`
	Low       Dec    `json:"low"`
	Open      Dec    `json:"open"`
	Close     Dec    `json:"close"`
	Volume    Dec    `json:"volume"`
	ProductID string `json:"product_id"`
}

// CandlesEvent is an event of the candles channel.
type CandlesEvent struct {
	Type    string     `json:"type"`
	Candles []WSCandle `json:"candles"`
}

// StatusProduct is one product of the status channel.
type StatusProduct struct {
	ProductType    string `json:"product_type"`
	ID             string `json:"id"`
	BaseCurrency   string `json:"base_currency"`
	QuoteCurrency  string `json:"quote_currency"`
	BaseIncrement  Dec    `json:"base_increment"`
	QuoteIncrement Dec    `json:"quote_increment"`
	DisplayName    string `json:"display_name"`
	Status         string `json:"status"`
	StatusMessage  string `json:"status_message"`
	MinMarketFunds Dec    `json:"min_market_funds"`
}

// StatusEvent is an event of the status channel.
type StatusEvent struct {
	Type     string          `json:"type"`
	Products []StatusProduct `json:"products"`
}

// UserOrder is an order's whole current state on the user channel:
// cumulative fields, not per-fill deltas. OrderType is written
// capitalised ("Limit") in examples and upper case in the docs.
type UserOrder struct {
	AvgPrice              Dec      `json:"avg_price"`
	CancelReason          string   `json:"cancel_reason"`
	ClientOrderID         string   `json:"client_order_id"`
	CompletionPercentage  Dec      `json:"completion_percentage"`
	ContractExpiryType    string   `json:"contract_expiry_type"`
	CumulativeQuantity    Dec      `json:"cumulative_quantity"`
	FilledValue           Dec      `json:"filled_value"`
	LeavesQuantity        Dec      `json:"leaves_quantity"`
	LimitPrice            Dec      `json:"limit_price"`
	NumberOfFills         StrInt   `json:"number_of_fills"`
	OrderID               string   `json:"order_id"`
	OrderSide             string   `json:"order_side"`
	OrderType             string   `json:"order_type"`
	OutstandingHoldAmount Dec      `json:"outstanding_hold_amount"`
	PostOnly              FlexBool `json:"post_only"`
	ProductID             string   `json:"product_id"`
	ProductType           string   `json:"product_type"`
	RejectReason          string   `json:"reject_reason"`
	RetailPortfolioID     string   `json:"retail_portfolio_id"`
	RiskManagedBy         string   `json:"risk_managed_by"`
	Status                string   `json:"status"`
	StopPrice             Dec      `json:"stop_price"`
	TimeInForce           string   `json:"time_in_force"`
	TotalFees             Dec      `json:"total_fees"`
	TotalValueAfterFees   Dec      `json:"total_value_after_fees"`
	TriggerStatus         string   `json:"trigger_status"`
	CreationTime          Time     `json:"creation_time"`
	EndTime               Time     `json:"end_time"`
	StartTime             Time     `json:"start_time"`
}

// UserEvent is an event of the user channel: a snapshot of open orders in
// batches of 50, then updates.
type UserEvent struct {
	Type   string      `json:"type"`
	Orders []UserOrder `json:"orders"`
	// Positions holds futures positions (beta); tradebot trades spot and
	// keeps them only so that nothing is lost when re-encoding.
	Positions *UserPositions `json:"positions,omitempty"`
}

// UserPositions is the futures part of a user event.
type UserPositions struct {
	PerpetualFuturesPositions []map[string]any `json:"perpetual_futures_positions"`
	ExpiringFuturesPositions  []map[string]any `json:"expiring_futures_positions"`
}
