package coinbase

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

// TestTestdataMatchesSharedSamples keeps the fuzz seeds in testdata equal
// to the originals in ../shared.
func TestTestdataMatchesSharedSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata samples: %v", err)
	}
	for _, f := range files {
		if !bytes.Equal(sample(t, filepath.Base(f)), sharedSample(t, filepath.Base(f))) {
			t.Errorf("%s differs from ../shared/coinbase/samples", f)
		}
	}
}

func decodeStrict[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	return v
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	switch g := got.(type) {
	case decimal.Decimal:
		if !g.Equal(want.(decimal.Decimal)) {
			t.Errorf("%s = %s, want %s", what, g, want)
		}
		return
	case time.Time:
		if !g.Equal(want.(time.Time)) {
			t.Errorf("%s = %s, want %s", what, g, want)
		}
		return
	}
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func ts(s string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return v
}

// TestEverySampleDecodesWithTheFieldsTradebotUses reads every payload of
// ../shared/coinbase/samples into its type and checks the fields the
// project uses.
func TestEverySampleDecodesWithTheFieldsTradebotUses(t *testing.T) {
	dir := filepath.Join(testenv.Shared(t), "coinbase", "samples")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]func(t *testing.T, b []byte){
		"rest_list_accounts.json": func(t *testing.T, b []byte) {
			r := decodeStrict[ListAccountsResponse](t, b)
			if len(r.Accounts) < 10 {
				t.Fatalf("%d accounts", len(r.Accounts))
			}
			bal := ToBalance(r.Accounts[0])
			eq(t, "currency", bal.Currency, "SAND")
			eq(t, "available", bal.Available, dec("242.21"))
			eq(t, "hold", bal.Hold, decimal.Zero)
		},
		"rest_get_product.json": func(t *testing.T, b []byte) {
			p := ToProduct(decodeStrict[Product](t, b))
			eq(t, "id", p.ID, "BTC-USD")
			eq(t, "base", p.BaseCurrency, "BTC")
			eq(t, "quote", p.QuoteCurrency, "USD")
			eq(t, "base_increment", p.BaseIncrement, dec("0.00000001"))
			eq(t, "price tick falls back to quote_increment", p.PriceIncrement, dec("0.01"))
			eq(t, "base_min_size", p.BaseMinSize, dec("0.000016"))
			eq(t, "base_max_size", p.BaseMaxSize, dec("2600"))
			eq(t, "quote_min_size", p.QuoteMinSize, dec("1"))
			eq(t, "quote_max_size", p.QuoteMaxSize, dec("50000000"))
			eq(t, "trading disabled", p.TradingDisabled, false)
		},
		"rest_best_bid_ask.json": func(t *testing.T, b []byte) {
			r := decodeStrict[BestBidAskResponse](t, b)
			eq(t, "books", len(r.Pricebooks), 2)
			eq(t, "bid", r.Pricebooks[0].Bids[0].Price.Decimal, dec("41931.59"))
			eq(t, "ask size", r.Pricebooks[1].Asks[0].Size.Decimal, dec("0.1089284"))
			eq(t, "time", r.Pricebooks[0].Time.Time, ts("2023-12-30T03:44:12.783299Z"))
		},
		"rest_product_book.json": func(t *testing.T, b []byte) {
			r := decodeStrict[ProductBookResponse](t, b)
			eq(t, "levels", len(r.Pricebook.Bids)+len(r.Pricebook.Asks), 10)
			eq(t, "ask 4", r.Pricebook.Asks[4].Price.Decimal, dec("43917.1"))
		},
		"rest_cancel.json": func(t *testing.T, b []byte) {
			r := decodeStrict[CancelOrdersResponse](t, b)
			eq(t, "first", r.Results[0], CancelResult{false, "UNKNOWN_CANCEL_ORDER", "dc98ccb7-8494-418d-99e9-651b76ca64f2"})
			eq(t, "second ok", r.Results[1].Success, true)
		},
		"rest_create_order_success.json": func(t *testing.T, b []byte) {
			r := decodeStrict[CreateOrderResponse](t, b)
			eq(t, "success", r.Success, true)
			eq(t, "order id", r.SuccessResponse.OrderID, "07f1e718-8ea8-4ece-a2e1-3f00aad7f040")
			eq(t, "client id", r.SuccessResponse.ClientOrderID, "lknalksdj89asdkl")
			eq(t, "limit", r.OrderConfiguration.LimitLimitGTC.LimitPrice.Decimal, dec("0.19"))
		},
		"rest_create_order_success_faq.json": func(t *testing.T, b []byte) {
			r := decodeStrict[CreateOrderResponse](t, b)
			eq(t, "quote size", r.OrderConfiguration.MarketMarketIOC.QuoteSize.Decimal, dec("1"))
		},
		"rest_create_order_success_stop_limit_gtd.json": func(t *testing.T, b []byte) {
			r := decodeStrict[CreateOrderResponse](t, b)
			s := r.OrderConfiguration.StopLimitStopLimitGTD
			eq(t, "stop", s.StopPrice.Decimal, dec("0.18"))
			eq(t, "direction", s.StopDirection, "STOP_DIRECTION_STOP_DOWN")
			eq(t, "end", s.EndTime.Time, ts("2023-05-09T15:00:00Z"))
		},
		"rest_create_order_failure.json": func(t *testing.T, b []byte) {
			r := decodeStrict[CreateOrderResponse](t, b)
			rej := rejectFromCreate(r)
			eq(t, "reason", rej.Reason, exchange.ReasonInsufficientFund)
			eq(t, "message", rej.Message, "Insufficient balance in source account")
		},
		"rest_edit_order.json": func(t *testing.T, b []byte) {
			r := decodeStrict[EditOrderResponse](t, b)
			eq(t, "success", r.Success, true)
			eq(t, "reason", r.Errors[0].EditFailureReason, "UNKNOWN_EDIT_ORDER_FAILURE_REASON")
		},
		"rest_get_order.json": func(t *testing.T, b []byte) {
			o := ToOrder(decodeStrict[GetOrderResponse](t, b).Order)
			eq(t, "id", o.ID, "nkj23kj234234")
			eq(t, "client id", o.ClientOrderID, "WoKEnVudA77LvxR4Uknt")
			eq(t, "status", o.Status, exchange.StatusCancelled)
			eq(t, "type", o.Type, exchange.Limit)
			eq(t, "tif", o.TimeInForce, exchange.GoodTilCancelled)
			eq(t, "side", o.Side, exchange.Buy)
			eq(t, "size", o.BaseSize, dec("5"))
			eq(t, "limit", o.LimitPrice, dec("0.15"))
			eq(t, "created", o.CreatedAt, ts("2023-12-29T02:42:39.309158Z"))
			eq(t, "reject reason unspecified reads empty", o.RejectReason, "")
		},
		"rest_key_permissions.json": func(t *testing.T, b []byte) {
			r := decodeStrict[KeyPermissions](t, b)
			eq(t, "can trade", r.CanTrade, true)
			eq(t, "can transfer", r.CanTransfer, true)
		},
		"rest_list_portfolios.json": func(t *testing.T, b []byte) {
			eq(t, "uuid", decodeStrict[ListPortfoliosResponse](t, b).Portfolios[0].UUID, "cd5d3286-b5ad-5f48-b356-1fd3e4e73f72")
		},
		"rest_market_trades_ticker.json": func(t *testing.T, b []byte) {
			r := decodeStrict[MarketTradesResponse](t, b)
			eq(t, "price", r.Trades[0].Price.Decimal, dec("66363.03"))
			eq(t, "empty bid reads zero", r.Trades[0].Bid.Decimal, decimal.Zero)
			eq(t, "best ask", r.BestAsk.Decimal, dec("66367.59"))
		},
		"rest_server_time.json": func(t *testing.T, b []byte) {
			r := decodeStrict[ServerTime](t, b)
			eq(t, "iso", r.ISO.Time, ts("2023-11-28T00:00:22Z"))
			eq(t, "epoch", r.EpochSeconds, "1701129622")
		},
		"rest_transaction_summary.json": func(t *testing.T, b []byte) {
			r := decodeStrict[TransactionSummary](t, b)
			eq(t, "taker", r.FeeTier.TakerFeeRate.Decimal, dec("0.006"))
			eq(t, "maker", r.FeeTier.MakerFeeRate.Decimal, dec("0.004"))
			eq(t, "total fees (a JSON number)", r.TotalFees.Decimal, dec("0.09837093204259872"))
		},
		"rest_errors_observed.json": func(t *testing.T, b []byte) {
			var m map[string]json.RawMessage
			json.Unmarshal(b, &m)
			eq(t, "400", decodeStrict[ErrorBody](t, m["400_invalid_product"]).Message, "ProductID is invalid")
			eq(t, "generic code", decodeStrict[ErrorBody](t, m["generic_error_schema_docs"]).Code, FlexInt(123))
		},
		"rest_attached_tpsl_request.json": func(t *testing.T, b []byte) {
			r := decodeStrict[CreateOrderRequest](t, b)
			a := r.AttachedOrderConfiguration.TriggerBracketGTC
			eq(t, "tp", a.LimitPrice.Decimal, dec("1600"))
			eq(t, "sl", a.StopTriggerPrice.Decimal, dec("1300"))
			eq(t, "no size on the attached leg", a.BaseSize.Decimal, decimal.Zero)
		},
		"ws_user.json": func(t *testing.T, b []byte) {
			m := decodeStrict[Message[UserEvent]](t, b)
			o := m.Events[0].Orders[0]
			eq(t, "cum", o.CumulativeQuantity.Decimal, dec("0.01"))
			eq(t, "filled value", o.FilledValue.Decimal, dec("500"))
			eq(t, "fees", o.TotalFees.Decimal, dec("2"))
			eq(t, "post only string", o.PostOnly, FlexBool(false))
			eq(t, "type", normalizeOrderType(o.OrderType), exchange.Limit)
			eq(t, "end time unset", o.EndTime.IsZero(), true)
		},
		"ws_heartbeats.json": func(t *testing.T, b []byte) {
			eq(t, "counter (a string)", decodeStrict[Message[HeartbeatEvent]](t, b).Events[0].HeartbeatCounter, StrInt(3049))
		},
		"ws_candles.json": func(t *testing.T, b []byte) {
			c := decodeStrict[Message[CandlesEvent]](t, b).Events[0].Candles[0]
			eq(t, "start", c.Start, StrInt(1688998200))
			eq(t, "close", c.Close.Decimal, dec("1866.81"))
		},
		"ws_status.json": func(t *testing.T, b []byte) {
			eq(t, "id", decodeStrict[Message[StatusEvent]](t, b).Events[0].Products[0].ID, "BTC-USD")
		},
		"ws_subscriptions.json": func(t *testing.T, b []byte) {
			s := decodeStrict[Message[SubscriptionsEvent]](t, b).Events[0].Subscriptions
			eq(t, "trades", len(s["market_trades"]), 2)
		},
		"ws_error_auth.json": func(t *testing.T, b []byte) {
			eq(t, "message", decodeStrict[Header](t, b).Message, "authentication failure")
		},
		"ws_subscribe_request_examples.json": func(t *testing.T, b []byte) {
			r := decodeStrict[[]SubscribeRequest](t, b)
			eq(t, "user channel", r[4].Channel, "user")
			eq(t, "jwt", r[0].JWT, "exampleJWT")
		},
		"ws_futures_balance_summary.json": func(t *testing.T, b []byte) {
			eq(t, "channel", decodeStrict[Header](t, b).Channel, "futures_balance_summary")
		},
	}
	// The hot-path messages are checked through the fast decoder, which
	// must agree with encoding/json.
	for _, name := range []string{"ws_ticker.json", "ws_market_trades.json", "ws_level2_snapshot.json", "ws_level2_update.json"} {
		checked[name] = func(t *testing.T, b []byte) { checkHotSample(t, name, b) }
	}
	for _, e := range entries {
		name := e.Name()
		if filepath.Ext(name) != ".json" {
			continue
		}
		check, ok := checked[name]
		if !ok {
			t.Errorf("sample %s has no golden check", name)
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { check(t, b) })
	}
}
