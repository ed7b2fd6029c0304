package coinbase

// This file holds the JSON shapes of the REST API (API.md section 2),
// field for field as Coinbase sends them. Fields tradebot does not read
// are kept where an emulator needs them to look real; unknown fields are
// ignored on decode because the schema keeps growing.

// Money is an amount with its currency ({"value":"1.23","currency":"BTC"}).
type Money struct {
	Value    Dec    `json:"value"`
	Currency string `json:"currency"`
}

// Account is one currency wallet of GET /accounts.
type Account struct {
	UUID              string `json:"uuid"`
	Name              string `json:"name"`
	Currency          string `json:"currency"`
	AvailableBalance  Money  `json:"available_balance"`
	Default           bool   `json:"default"`
	Active            bool   `json:"active"`
	CreatedAt         Time   `json:"created_at"`
	UpdatedAt         Time   `json:"updated_at"`
	DeletedAt         *Time  `json:"deleted_at"`
	Type              string `json:"type"`
	Ready             bool   `json:"ready"`
	Hold              Money  `json:"hold"`
	RetailPortfolioID string `json:"retail_portfolio_id,omitempty"`
	Platform          string `json:"platform,omitempty"`
}

// ListAccountsResponse is one page of GET /accounts; the next page is
// asked for with Cursor while HasNext is true.
type ListAccountsResponse struct {
	Accounts []Account `json:"accounts"`
	HasNext  bool      `json:"has_next"`
	Cursor   string    `json:"cursor"`
	Size     int       `json:"size"`
}

// Product is GET /products/{id} (and one element of GET /products).
type Product struct {
	ProductID                 string   `json:"product_id"`
	Price                     Dec      `json:"price"`
	PricePercentageChange24h  Dec      `json:"price_percentage_change_24h"`
	Volume24h                 Dec      `json:"volume_24h"`
	VolumePercentageChange24h Dec      `json:"volume_percentage_change_24h"`
	BaseIncrement             Dec      `json:"base_increment"`
	QuoteIncrement            Dec      `json:"quote_increment"`
	PriceIncrement            Dec      `json:"price_increment,omitzero"`
	QuoteMinSize              Dec      `json:"quote_min_size"`
	QuoteMaxSize              Dec      `json:"quote_max_size"`
	BaseMinSize               Dec      `json:"base_min_size"`
	BaseMaxSize               Dec      `json:"base_max_size"`
	BaseName                  string   `json:"base_name"`
	QuoteName                 string   `json:"quote_name"`
	Watched                   bool     `json:"watched"`
	IsDisabled                bool     `json:"is_disabled"`
	New                       bool     `json:"new"`
	Status                    string   `json:"status"`
	CancelOnly                bool     `json:"cancel_only"`
	LimitOnly                 bool     `json:"limit_only"`
	PostOnly                  bool     `json:"post_only"`
	TradingDisabled           bool     `json:"trading_disabled"`
	AuctionMode               bool     `json:"auction_mode"`
	ProductType               string   `json:"product_type"`
	QuoteCurrencyID           string   `json:"quote_currency_id"`
	BaseCurrencyID            string   `json:"base_currency_id"`
	MidMarketPrice            Dec      `json:"mid_market_price"`
	Alias                     string   `json:"alias"`
	AliasTo                   []string `json:"alias_to"`
	BaseDisplaySymbol         string   `json:"base_display_symbol"`
	QuoteDisplaySymbol        string   `json:"quote_display_symbol"`
	ViewOnly                  bool     `json:"view_only,omitempty"`
	DisplayName               string   `json:"display_name,omitempty"`
	ProductVenue              string   `json:"product_venue,omitempty"`
	BestBidPrice              Dec      `json:"best_bid_price,omitzero"`
	BestAskPrice              Dec      `json:"best_ask_price,omitzero"`
}

// ListProductsResponse is GET /products.
type ListProductsResponse struct {
	Products    []Product `json:"products"`
	NumProducts int       `json:"num_products"`
}

// PriceLevel is one level of a price book.
type PriceLevel struct {
	Price Dec `json:"price"`
	Size  Dec `json:"size"`
}

// PriceBook is one product's book in GET /best_bid_ask and /product_book.
type PriceBook struct {
	ProductID string       `json:"product_id"`
	Bids      []PriceLevel `json:"bids"`
	Asks      []PriceLevel `json:"asks"`
	Time      Time         `json:"time"`
}

// BestBidAskResponse is GET /best_bid_ask.
type BestBidAskResponse struct {
	Pricebooks []PriceBook `json:"pricebooks"`
}

// ProductBookResponse is GET /product_book and /market/product_book.
type ProductBookResponse struct {
	Pricebook      PriceBook `json:"pricebook"`
	Last           Dec       `json:"last,omitzero"`
	MidMarket      Dec       `json:"mid_market,omitzero"`
	SpreadBps      Dec       `json:"spread_bps,omitzero"`
	SpreadAbsolute Dec       `json:"spread_absolute,omitzero"`
}

// RESTTrade is one trade of GET /products/{id}/ticker. Side is the
// maker's side, as on the market_trades channel.
type RESTTrade struct {
	TradeID   string `json:"trade_id"`
	ProductID string `json:"product_id"`
	Price     Dec    `json:"price"`
	Size      Dec    `json:"size"`
	Time      Time   `json:"time"`
	Side      string `json:"side"`
	Bid       Dec    `json:"bid"`
	Ask       Dec    `json:"ask"`
}

// MarketTradesResponse is GET /products/{id}/ticker.
type MarketTradesResponse struct {
	Trades  []RESTTrade `json:"trades"`
	BestBid Dec         `json:"best_bid"`
	BestAsk Dec         `json:"best_ask"`
}

// RESTCandle is one bar of GET /market/products/{id}/candles; Start is in
// unix seconds, written as a string.
type RESTCandle struct {
	Start  StrInt `json:"start"`
	Low    Dec    `json:"low"`
	High   Dec    `json:"high"`
	Open   Dec    `json:"open"`
	Close  Dec    `json:"close"`
	Volume Dec    `json:"volume"`
}

// CandlesResponse is GET /products/{id}/candles.
type CandlesResponse struct {
	Candles []RESTCandle `json:"candles"`
}

// ServerTime is GET /time.
type ServerTime struct {
	ISO          Time   `json:"iso"`
	EpochSeconds string `json:"epochSeconds"`
	EpochMillis  string `json:"epochMillis"`
}

// KeyPermissions is GET /key_permissions.
type KeyPermissions struct {
	CanView       bool   `json:"can_view"`
	CanTrade      bool   `json:"can_trade"`
	CanTransfer   bool   `json:"can_transfer"`
	CanReceive    bool   `json:"can_receive"`
	PortfolioUUID string `json:"portfolio_uuid"`
	PortfolioType string `json:"portfolio_type"`
}

// FeeTier is the account's pricing tier within the transaction summary.
type FeeTier struct {
	PricingTier  string `json:"pricing_tier"`
	USDFrom      Dec    `json:"usd_from"`
	USDTo        Dec    `json:"usd_to"`
	TakerFeeRate Dec    `json:"taker_fee_rate"`
	MakerFeeRate Dec    `json:"maker_fee_rate"`
}

// TransactionSummary is GET /transaction_summary. Volumes and fees are
// bare JSON numbers there, rates strings.
type TransactionSummary struct {
	TotalVolume             NumDec  `json:"total_volume"`
	TotalFees               NumDec  `json:"total_fees"`
	FeeTier                 FeeTier `json:"fee_tier"`
	AdvancedTradeOnlyVolume NumDec  `json:"advanced_trade_only_volume"`
	AdvancedTradeOnlyFees   NumDec  `json:"advanced_trade_only_fees"`
	CoinbaseProVolume       NumDec  `json:"coinbase_pro_volume"`
	CoinbaseProFees         NumDec  `json:"coinbase_pro_fees"`
	TotalBalance            Dec     `json:"total_balance"`
	HasPromoFee             bool    `json:"has_promo_fee"`
}

// Portfolio is one element of GET /portfolios.
type Portfolio struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid"`
	Type    string `json:"type"`
	Deleted bool   `json:"deleted"`
}

// ListPortfoliosResponse is GET /portfolios.
type ListPortfoliosResponse struct {
	Portfolios []Portfolio `json:"portfolios"`
}

// ErrorBody is the JSON body of a non-200 answer, in either of the two
// shapes seen: gRPC-gateway ({"error","error_details","message"}) and the
// documented schema ({"error","code","message","details"}).
type ErrorBody struct {
	Error        string        `json:"error"`
	Code         FlexInt       `json:"code,omitempty"`
	Message      string        `json:"message"`
	ErrorDetails string        `json:"error_details,omitempty"`
	Details      []ErrorDetail `json:"details,omitempty"`
}

// ErrorDetail is one element of ErrorBody.Details.
type ErrorDetail struct {
	TypeURL string `json:"type_url"`
	Value   string `json:"value"`
}
