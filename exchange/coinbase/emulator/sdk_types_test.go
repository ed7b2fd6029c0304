package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Coinbase's official Go SDK (github.com/coinbase-samples/advanced-trade-sdk-go)
// is not served by the Go module proxy, so it cannot be a test
// dependency. The structs below are written here from its documented
// model field types (model/model.go and the orders/, products/ and
// accounts/ response types): every number Coinbase sends as a string is
// a Go string there (number_of_fills, a candle's start, sizes, prices),
// times are strings or time.Time. The SDK decodes with encoding/json and
// no custom unmarshalers, so a JSON number where it expects a string fails
// the whole call ("cannot unmarshal number into ... of type string"),
// which is what the emulator's GetOrder, ListOrders and GetProductCandles
// did when they wrote number_of_fills and start as numbers.
//
// Left out on purpose: the SDK's FeeSummary types total_volume as an int
// and total_fees as a float64, which Coinbase's own answer (a fractional
// 16.71, see rest_transaction_summary.json) does not fit either; and its
// Preview types is_max as a string where Coinbase sends a bool.

type sdkOrderConfig struct {
	MarketMarketIoc *struct {
		QuoteSize string `json:"quote_size"`
		BaseSize  string `json:"base_size"`
	} `json:"market_market_ioc"`
	LimitLimitGtc *struct {
		BaseSize   string `json:"base_size"`
		LimitPrice string `json:"limit_price"`
		PostOnly   bool   `json:"post_only"`
	} `json:"limit_limit_gtc"`
	StopLimitStopLimitGtc *struct {
		BaseSize      string `json:"base_size"`
		LimitPrice    string `json:"limit_price"`
		StopPrice     string `json:"stop_price"`
		StopDirection string `json:"stop_direction"`
	} `json:"stop_limit_stop_limit_gtc"`
	TriggerBracketGtc *struct {
		BaseSize         string `json:"base_size"`
		LimitPrice       string `json:"limit_price"`
		StopTriggerPrice string `json:"stop_trigger_price"`
	} `json:"trigger_bracket_gtc"`
}

type sdkOrder struct {
	OrderID               string         `json:"order_id"`
	ProductID             string         `json:"product_id"`
	UserID                string         `json:"user_id"`
	OrderConfiguration    sdkOrderConfig `json:"order_configuration"`
	Side                  string         `json:"side"`
	ClientOrderID         string         `json:"client_order_id"`
	Status                string         `json:"status"`
	TimeInForce           string         `json:"time_in_force"`
	CreatedTime           string         `json:"created_time"`
	CompletionPercentage  string         `json:"completion_percentage"`
	FilledSize            string         `json:"filled_size"`
	AverageFilledPrice    string         `json:"average_filled_price"`
	NumberOfFills         string         `json:"number_of_fills"`
	FilledValue           string         `json:"filled_value"`
	PendingCancel         bool           `json:"pending_cancel"`
	SizeInQuote           bool           `json:"size_in_quote"`
	TotalFees             string         `json:"total_fees"`
	SizeInclusiveOfFees   bool           `json:"size_inclusive_of_fees"`
	TotalValueAfterFees   string         `json:"total_value_after_fees"`
	TriggerStatus         string         `json:"trigger_status"`
	OrderType             string         `json:"order_type"`
	RejectReason          string         `json:"reject_reason"`
	Settled               bool           `json:"settled"`
	ProductType           string         `json:"product_type"`
	RejectMessage         string         `json:"reject_message"`
	CancelMessage         string         `json:"cancel_message"`
	OrderPlacementSource  string         `json:"order_placement_source"`
	OutstandingHoldAmount string         `json:"outstanding_hold_amount"`
	IsLiquidation         bool           `json:"is_liquidation"`
	LastFillTime          string         `json:"last_fill_time"`
	EditHistory           []struct {
		Price                  string `json:"price"`
		Size                   string `json:"size"`
		ReplaceAcceptTimestamp string `json:"replace_accept_timestamp"`
	} `json:"edit_history"`
}

type sdkGetOrder struct {
	Order *sdkOrder `json:"order"`
}

type sdkListOrders struct {
	Orders   []*sdkOrder `json:"orders"`
	Sequence string      `json:"sequence"`
}

type sdkCandle struct {
	Start  string `json:"start"`
	Low    string `json:"low"`
	High   string `json:"high"`
	Open   string `json:"open"`
	Close  string `json:"close"`
	Volume string `json:"volume"`
}

type sdkCandles struct {
	Candles *[]sdkCandle `json:"candles"`
}

type sdkFills struct {
	Fills []*struct {
		EntryID            string    `json:"entry_id"`
		TradeID            string    `json:"trade_id"`
		OrderID            string    `json:"order_id"`
		TradeTime          time.Time `json:"trade_time"`
		TradeType          string    `json:"trade_type"`
		Price              string    `json:"price"`
		Size               string    `json:"size"`
		Commission         string    `json:"commission"`
		ProductID          string    `json:"product_id"`
		SequenceTimestamp  time.Time `json:"sequence_timestamp"`
		LiquidityIndicator string    `json:"liquidity_indicator"`
		SizeInQuote        bool      `json:"size_in_quote"`
		UserID             string    `json:"user_id"`
		Side               string    `json:"side"`
	} `json:"fills"`
	Cursor string `json:"cursor"`
}

type sdkAmount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

type sdkAccounts struct {
	Accounts []*struct {
		UUID             string    `json:"uuid"`
		Name             string    `json:"name"`
		Currency         string    `json:"currency"`
		AvailableBalance sdkAmount `json:"available_balance"`
		Default          bool      `json:"default"`
		Active           bool      `json:"active"`
		CreatedAt        string    `json:"created_at"`
		UpdatedAt        string    `json:"updated_at"`
		DeletedAt        string    `json:"deleted_at"`
		Type             string    `json:"type"`
		Ready            bool      `json:"ready"`
		Hold             sdkAmount `json:"hold"`
	} `json:"accounts"`
	HasNext bool   `json:"has_next"`
	Cursor  string `json:"cursor"`
	Size    int    `json:"size"`
}

type sdkProduct struct {
	ProductID                string   `json:"product_id"`
	Price                    string   `json:"price"`
	PricePercentageChange24h string   `json:"price_percentage_change_24h"`
	Volume24h                string   `json:"volume_24h"`
	BaseIncrement            string   `json:"base_increment"`
	QuoteIncrement           string   `json:"quote_increment"`
	QuoteMinSize             string   `json:"quote_min_size"`
	QuoteMaxSize             string   `json:"quote_max_size"`
	BaseMinSize              string   `json:"base_min_size"`
	BaseMaxSize              string   `json:"base_max_size"`
	Watched                  bool     `json:"watched"`
	IsDisabled               bool     `json:"is_disabled"`
	Status                   string   `json:"status"`
	CancelOnly               bool     `json:"cancel_only"`
	LimitOnly                bool     `json:"limit_only"`
	PostOnly                 bool     `json:"post_only"`
	TradingDisabled          bool     `json:"trading_disabled"`
	AuctionMode              bool     `json:"auction_mode"`
	ProductType              string   `json:"product_type"`
	QuoteCurrencyID          string   `json:"quote_currency_id"`
	BaseCurrencyID           string   `json:"base_currency_id"`
	MidMarketPrice           string   `json:"mid_market_price"`
	AliasTo                  []string `json:"alias_to"`
	PriceIncrement           string   `json:"price_increment"`
}

type sdkProducts struct {
	Products []*sdkProduct `json:"products"`
}

type sdkLevel struct {
	Price string `json:"price"`
	Size  string `json:"size"`
}

type sdkPriceBook struct {
	ProductID string     `json:"product_id"`
	Bids      []sdkLevel `json:"bids"`
	Asks      []sdkLevel `json:"asks"`
	Time      string     `json:"time"`
}

type sdkBestBidAsk struct {
	Pricebooks []*sdkPriceBook `json:"pricebooks"`
}

type sdkProductBook struct {
	Pricebook *sdkPriceBook `json:"pricebook"`
}

type sdkMarketTrades struct {
	Trades []*struct {
		TradeID   string    `json:"trade_id"`
		ProductID string    `json:"product_id"`
		Price     string    `json:"price"`
		Size      string    `json:"size"`
		Time      time.Time `json:"time"`
		Side      string    `json:"side"`
	} `json:"trades"`
	BestBid string `json:"best_bid"`
	BestAsk string `json:"best_ask"`
}

type sdkEditPreview struct {
	EditErrors []*struct {
		EditFailureReason    string `json:"edit_failure_reason"`
		PreviewFailureReason string `json:"preview_failure_reason"`
	} `json:"errors"`
	Slippage        string `json:"slippage"`
	OrderTotal      string `json:"order_total"`
	CommissionTotal string `json:"commission_total"`
	QuoteSize       string `json:"quote_size"`
	BaseSize        string `json:"base_size"`
	BestBid         string `json:"best_bid"`
	BestAsk         string `json:"best_ask"`
}

type sdkPermissions struct {
	CanView       bool   `json:"can_view"`
	CanTrade      bool   `json:"can_trade"`
	CanTransfer   bool   `json:"can_transfer"`
	PortfolioUUID string `json:"portfolio_uuid"`
	PortfolioType string `json:"portfolio_type"`
}

// sdkDecode gets path from the emulator and decodes it the way the SDK
// does (encoding/json into its types), failing the test on any error.
func sdkDecode[T any](v *env, method, path, body string) T {
	v.t.Helper()
	code, raw := v.do(method, path, body)
	if code != 200 {
		v.t.Fatalf("%s %s: %d %s", method, path, code, raw)
	}
	var out T
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		v.t.Fatalf("%s %s does not decode into the SDK's types: %v\n%s", method, path, err, raw)
	}
	return out
}

func TestEmulatorAnswersDecodeIntoTheOfficialSDKsTypes(t *testing.T) {
	ctx := context.Background()
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	var candles []exchange.Candle
	for i := range 5 {
		p := decimal.NewFromInt(int64(50000 + i))
		candles = append(candles, exchange.Candle{ProductID: "BTC-USD", Start: start.Add(time.Duration(i) * time.Minute), Interval: time.Minute,
			Open: p, High: p.Add(d("5")), Low: p.Sub(d("5")), Close: p, Volume: d("1.5")})
	}
	v := startEnv(t, config{opts: Options{PartialFills: true, MaxFillSize: d("0.004"), Candles: candles}})
	v.market("50000", "50001", "50000.5")
	lim, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "sdk-limit", ProductID: "BTC-USD", Type: exchange.Limit,
		Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("49950")})
	if err != nil {
		t.Fatal(err)
	}
	v.trade("49900")
	v.trade("49900") // two parts of 0.004: OPEN, number_of_fills "2"
	if _, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "sdk-market", ProductID: "BTC-USD", Type: exchange.Market,
		Side: exchange.Buy, BaseSize: d("0.001")}); err != nil {
		t.Fatal(err)
	}

	got := sdkDecode[sdkGetOrder](v, "GET", "/orders/historical/"+lim.ID, "")
	if o := got.Order; o == nil || o.NumberOfFills != "2" || o.FilledSize != "0.008" || o.Status != "OPEN" ||
		o.OrderConfiguration.LimitLimitGtc == nil || o.OrderConfiguration.LimitLimitGtc.LimitPrice != "49950" {
		t.Fatalf("GetOrder through the SDK's types: %+v", o)
	}
	list := sdkDecode[sdkListOrders](v, "GET", "/orders/historical/batch", "")
	if len(list.Orders) != 2 {
		t.Fatalf("ListOrders: %d orders, want 2", len(list.Orders))
	}
	from, to := start.Unix(), start.Add(5*time.Minute).Unix()
	cs := sdkDecode[sdkCandles](v, "GET", fmt.Sprintf("/products/BTC-USD/candles?start=%d&end=%d&granularity=ONE_MINUTE", from, to), "")
	if cs.Candles == nil || len(*cs.Candles) == 0 || (*cs.Candles)[0].Start == "" {
		t.Fatalf("GetProductCandles: %+v", cs.Candles)
	}
	for _, c := range *cs.Candles {
		if _, err := time.Parse(time.RFC3339, c.Start); err == nil || strings.Trim(c.Start, "0123456789") != "" {
			t.Fatalf("candle start %q, want unix seconds as a string", c.Start)
		}
	}
	if f := sdkDecode[sdkFills](v, "GET", "/orders/historical/fills", ""); len(f.Fills) != 3 {
		t.Fatalf("ListFills: %d fills, want 3 (two parts and the market buy)", len(f.Fills))
	}
	if a := sdkDecode[sdkAccounts](v, "GET", "/accounts", ""); len(a.Accounts) == 0 || a.Size != len(a.Accounts) {
		t.Fatalf("ListAccounts: %+v", a)
	}
	if p := sdkDecode[sdkProducts](v, "GET", "/products", ""); len(p.Products) == 0 || p.Products[0].Price == "" {
		t.Fatalf("ListProducts: %+v", p)
	}
	if p := sdkDecode[sdkProduct](v, "GET", "/products/BTC-USD", ""); p.ProductID != "BTC-USD" || p.BaseIncrement == "" {
		t.Fatalf("GetProduct: %+v", p)
	}
	if b := sdkDecode[sdkBestBidAsk](v, "GET", "/best_bid_ask?product_ids=BTC-USD", ""); len(b.Pricebooks) != 1 {
		t.Fatalf("GetBestBidAsk: %+v", b)
	}
	if b := sdkDecode[sdkProductBook](v, "GET", "/product_book?product_id=BTC-USD", ""); b.Pricebook == nil || len(b.Pricebook.Bids) == 0 {
		t.Fatalf("GetProductBook: %+v", b)
	}
	if tr := sdkDecode[sdkMarketTrades](v, "GET", "/products/BTC-USD/ticker?limit=5", ""); len(tr.Trades) == 0 {
		t.Fatalf("GetMarketTrades: %+v", tr)
	}
	if p := sdkDecode[sdkPermissions](v, "GET", "/key_permissions", ""); !p.CanView {
		t.Fatalf("GetApiKeyPermissions: %+v", p)
	}
	if ep := sdkDecode[sdkEditPreview](v, "POST", "/orders/edit_preview", `{"order_id":"`+lim.ID+`","price":"49000","size":"0.02"}`); ep.OrderTotal == "" || ep.BaseSize != "0.02" {
		t.Fatalf("PreviewEditOrder: %+v", ep)
	}

	// The check has teeth: the numbers the emulator used to write are
	// refused by the SDK's types.
	var o sdkOrder
	if err := json.Unmarshal([]byte(`{"number_of_fills":1}`), &o); err == nil {
		t.Fatal("a bare number_of_fills decoded into the SDK's string field; this test could not fail")
	}
}
