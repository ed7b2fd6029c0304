package coinbase

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// ToProduct converts a product answer into exchange.Product. Older
// answers lack price_increment; then quote_increment is the price tick,
// as Coinbase documents. is_disabled counts as trading disabled.
func ToProduct(p Product) exchange.Product {
	base, quote := p.BaseCurrencyID, p.QuoteCurrencyID
	if base == "" || quote == "" {
		if b, q, ok := strings.Cut(p.ProductID, "-"); ok {
			base, quote = orDefault(base, b), orDefault(quote, q)
		}
	}
	priceInc := p.PriceIncrement.Decimal
	if !priceInc.IsPositive() {
		priceInc = p.QuoteIncrement.Decimal
	}
	return exchange.Product{
		ID: p.ProductID, BaseCurrency: base, QuoteCurrency: quote,
		BaseIncrement: p.BaseIncrement.Decimal, QuoteIncrement: p.QuoteIncrement.Decimal, PriceIncrement: priceInc,
		BaseMinSize: p.BaseMinSize.Decimal, BaseMaxSize: p.BaseMaxSize.Decimal,
		QuoteMinSize: p.QuoteMinSize.Decimal, QuoteMaxSize: p.QuoteMaxSize.Decimal,
		TradingDisabled: p.TradingDisabled || p.IsDisabled,
		CancelOnly:      p.CancelOnly, LimitOnly: p.LimitOnly, PostOnly: p.PostOnly,
	}
}

// ToBalance converts an account into exchange.Balance.
func ToBalance(a Account) exchange.Balance {
	return exchange.Balance{Currency: a.Currency, Available: a.AvailableBalance.Value.Decimal, Hold: a.Hold.Value.Decimal}
}

func candleFromREST(productID string, c RESTCandle, interval time.Duration) exchange.Candle {
	return exchange.Candle{
		ProductID: productID, Start: time.Unix(int64(c.Start), 0).UTC(), Interval: interval,
		Open: c.Open.Decimal, High: c.High.Decimal, Low: c.Low.Decimal, Close: c.Close.Decimal, Volume: c.Volume.Decimal,
	}
}

// BuildCreateOrder turns an order request into the POST /orders body:
//
//   - Market: market_market_ioc with base_size, or quote_size for a buy.
//   - Limit: limit_limit_gtc (GTC or unset), limit_limit_gtd (GTD, needs
//     EndTime), sor_limit_ioc (IOC), limit_limit_fok (FOK).
//   - StopLimit: stop_limit_stop_limit_gtc or _gtd. An unset
//     StopDirection defaults to the protective one: STOP_DOWN for a sell
//     (a stop-loss below the market), STOP_UP for a buy.
//   - Bracket: trigger_bracket_gtc or _gtd.
//   - Attached: attached_order_configuration.trigger_bracket_gtc, no size.
func BuildCreateOrder(r exchange.OrderRequest) (CreateOrderRequest, error) {
	out := CreateOrderRequest{ClientOrderID: r.ClientOrderID, ProductID: r.ProductID, Side: string(r.Side)}
	if !r.Side.Valid() {
		return out, fmt.Errorf("coinbase order %s: side %q is not BUY or SELL", r.ClientOrderID, r.Side)
	}
	gtd := r.TimeInForce == exchange.GoodTilDate
	if gtd && r.EndTime.IsZero() {
		return out, fmt.Errorf("coinbase order %s: time in force %s needs an end time", r.ClientOrderID, r.TimeInForce)
	}
	end := Time{r.EndTime.UTC()}
	base, quote, limit, stop := D(r.BaseSize), D(r.QuoteSize), D(r.LimitPrice), D(r.StopPrice)
	cfg := &out.OrderConfiguration
	switch r.Type {
	case exchange.Market:
		cfg.MarketMarketIOC = &MarketIOC{BaseSize: base, QuoteSize: quote}
	case exchange.Limit:
		switch r.TimeInForce {
		case "", exchange.GoodTilCancelled:
			cfg.LimitLimitGTC = &LimitGTC{BaseSize: base, LimitPrice: limit, PostOnly: r.PostOnly}
		case exchange.GoodTilDate:
			cfg.LimitLimitGTD = &LimitGTD{BaseSize: base, LimitPrice: limit, EndTime: end, PostOnly: r.PostOnly}
		case exchange.ImmediateOrCancel:
			cfg.SORLimitIOC = &LimitIOC{BaseSize: base, LimitPrice: limit}
		case exchange.FillOrKill:
			cfg.LimitLimitFOK = &LimitIOC{BaseSize: base, LimitPrice: limit}
		default:
			return out, fmt.Errorf("coinbase order %s: time in force %q", r.ClientOrderID, r.TimeInForce)
		}
	case exchange.StopLimit:
		dir := r.StopDirection
		if dir == "" {
			dir = exchange.StopUp
			if r.Side == exchange.Sell {
				dir = exchange.StopDown
			}
		}
		if gtd {
			cfg.StopLimitStopLimitGTD = &StopLimitGTD{BaseSize: base, LimitPrice: limit, StopPrice: stop, EndTime: end, StopDirection: string(dir)}
		} else {
			cfg.StopLimitStopLimitGTC = &StopLimitGTC{BaseSize: base, LimitPrice: limit, StopPrice: stop, StopDirection: string(dir)}
		}
	case exchange.Bracket:
		if gtd {
			cfg.TriggerBracketGTD = &TriggerBracketGTD{BaseSize: base, LimitPrice: limit, StopTriggerPrice: stop, EndTime: end}
		} else {
			cfg.TriggerBracketGTC = &TriggerBracketGTC{BaseSize: base, LimitPrice: limit, StopTriggerPrice: stop}
		}
	default:
		return out, fmt.Errorf("coinbase order %s: order type %q is not supported", r.ClientOrderID, r.Type)
	}
	if a := r.Attached; a != nil {
		if r.Type != exchange.Market && r.Type != exchange.Limit {
			return out, fmt.Errorf("coinbase order %s: attached take-profit/stop-loss only on market or limit entries, not %s", r.ClientOrderID, r.Type)
		}
		out.AttachedOrderConfiguration = &OrderConfiguration{TriggerBracketGTC: &TriggerBracketGTC{
			LimitPrice: D(a.LimitPrice), StopTriggerPrice: D(a.StopTriggerPrice)}}
	}
	return out, nil
}

// requestFromConfig recovers the order request fields from an order's
// configuration.
func requestFromConfig(c OrderConfiguration, r *exchange.OrderRequest) {
	switch {
	case c.MarketMarketIOC != nil:
		r.Type, r.TimeInForce = exchange.Market, exchange.ImmediateOrCancel
		r.BaseSize, r.QuoteSize = c.MarketMarketIOC.BaseSize.Decimal, c.MarketMarketIOC.QuoteSize.Decimal
	case c.LimitLimitGTC != nil:
		v := c.LimitLimitGTC
		r.Type, r.TimeInForce = exchange.Limit, exchange.GoodTilCancelled
		r.BaseSize, r.QuoteSize, r.LimitPrice, r.PostOnly = v.BaseSize.Decimal, v.QuoteSize.Decimal, v.LimitPrice.Decimal, v.PostOnly
	case c.LimitLimitGTD != nil:
		v := c.LimitLimitGTD
		r.Type, r.TimeInForce = exchange.Limit, exchange.GoodTilDate
		r.BaseSize, r.LimitPrice, r.PostOnly, r.EndTime = v.BaseSize.Decimal, v.LimitPrice.Decimal, v.PostOnly, v.EndTime.Time
	case c.SORLimitIOC != nil:
		r.Type, r.TimeInForce = exchange.Limit, exchange.ImmediateOrCancel
		r.BaseSize, r.LimitPrice = c.SORLimitIOC.BaseSize.Decimal, c.SORLimitIOC.LimitPrice.Decimal
	case c.LimitLimitFOK != nil:
		r.Type, r.TimeInForce = exchange.Limit, exchange.FillOrKill
		r.BaseSize, r.LimitPrice = c.LimitLimitFOK.BaseSize.Decimal, c.LimitLimitFOK.LimitPrice.Decimal
	case c.StopLimitStopLimitGTC != nil:
		v := c.StopLimitStopLimitGTC
		r.Type, r.TimeInForce = exchange.StopLimit, exchange.GoodTilCancelled
		r.BaseSize, r.LimitPrice, r.StopPrice, r.StopDirection = v.BaseSize.Decimal, v.LimitPrice.Decimal, v.StopPrice.Decimal, exchange.StopDirection(v.StopDirection)
	case c.StopLimitStopLimitGTD != nil:
		v := c.StopLimitStopLimitGTD
		r.Type, r.TimeInForce = exchange.StopLimit, exchange.GoodTilDate
		r.BaseSize, r.LimitPrice, r.StopPrice, r.StopDirection, r.EndTime = v.BaseSize.Decimal, v.LimitPrice.Decimal, v.StopPrice.Decimal, exchange.StopDirection(v.StopDirection), v.EndTime.Time
	case c.TriggerBracketGTC != nil:
		v := c.TriggerBracketGTC
		r.Type, r.TimeInForce = exchange.Bracket, exchange.GoodTilCancelled
		r.BaseSize, r.LimitPrice, r.StopPrice = v.BaseSize.Decimal, v.LimitPrice.Decimal, v.StopTriggerPrice.Decimal
	case c.TriggerBracketGTD != nil:
		v := c.TriggerBracketGTD
		r.Type, r.TimeInForce = exchange.Bracket, exchange.GoodTilDate
		r.BaseSize, r.LimitPrice, r.StopPrice, r.EndTime = v.BaseSize.Decimal, v.LimitPrice.Decimal, v.StopTriggerPrice.Decimal, v.EndTime.Time
	}
}

// ToOrder converts a historical order into exchange.Order.
func ToOrder(o Order) exchange.Order {
	out := exchange.Order{
		ID: o.OrderID, Status: exchange.OrderStatus(o.Status),
		FilledSize: o.FilledSize.Decimal, FilledValue: o.FilledValue.Decimal,
		AverageFilledPrice: o.AverageFilledPrice.Decimal, TotalFees: o.TotalFees.Decimal,
		NumberOfFills: int(o.NumberOfFills),
		CreatedAt:     o.CreatedTime.Time, UpdatedAt: o.LastUpdateTime.Time,
		Triggered:       o.TriggerStatus == "STOP_TRIGGERED",
		AttachedOrderID: o.AttachedOrderID, OriginatingOrderID: o.OriginatingOrderID,
	}
	out.ClientOrderID, out.ProductID, out.Side = o.ClientOrderID, o.ProductID, exchange.Side(o.Side)
	requestFromConfig(o.OrderConfiguration, &out.OrderRequest)
	if t := normalizeOrderType(o.OrderType); t != "" {
		out.Type = t
	}
	if tif := exchange.TimeInForce(o.TimeInForce); tif != "" && !strings.HasPrefix(o.TimeInForce, "UNKNOWN") {
		out.TimeInForce = tif
	}
	if c := o.OrderConfiguration; c.Unsupported != "" && c.Key() == c.Unsupported {
		// Only a configuration tradebot does not know: its sizes are not
		// zero but unknown, whatever order_type says ("MARKET" for a
		// market_market_fok).
		out.OrderRequest = exchange.OrderRequest{ClientOrderID: o.ClientOrderID, ProductID: o.ProductID,
			Side: exchange.Side(o.Side), Type: exchange.Unsupported, TimeInForce: out.TimeInForce}
		out.VenueConfig = c.Unsupported
	}
	if a := o.AttachedOrderConfiguration; a != nil && a.TriggerBracketGTC != nil {
		out.Attached = &exchange.AttachedBracket{LimitPrice: a.TriggerBracketGTC.LimitPrice.Decimal, StopTriggerPrice: a.TriggerBracketGTC.StopTriggerPrice.Decimal}
	}
	if o.RejectReason != "" && o.RejectReason != "REJECT_REASON_UNSPECIFIED" {
		out.RejectReason = o.RejectReason
	}
	if out.UpdatedAt.IsZero() && o.LastFillTime != nil {
		out.UpdatedAt = o.LastFillTime.Time
	}
	if out.FilledValue.IsZero() && o.FilledSize.IsPositive() {
		out.FilledValue = o.FilledSize.Mul(o.AverageFilledPrice.Decimal)
	}
	return out
}

// normalizeOrderType reads order_type case-insensitively ("Limit",
// "LIMIT", "Stop Limit") into the exchange enum; unknown types give "".
func normalizeOrderType(s string) exchange.OrderType {
	switch strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(s)), " ", "_") {
	case "MARKET":
		return exchange.Market
	case "LIMIT":
		return exchange.Limit
	case "STOP_LIMIT", "STOPLIMIT":
		return exchange.StopLimit
	case "BRACKET", "TRIGGER_BRACKET":
		return exchange.Bracket
	}
	return ""
}

// fillDivisionPrecision is the number of decimal places kept when a
// quote-denominated fill size is turned into base size.
const fillDivisionPrecision = 16

// ToFill converts a REST fill into exchange.Fill. A fill whose size is in
// quote currency (size_in_quote, seen on quote-sized market buys) is
// converted to base size: quote size / price, rounded to 16 places.
func ToFill(f Fill) exchange.Fill {
	size := f.Size.Decimal
	if f.SizeInQuote && f.Price.IsPositive() {
		size = size.DivRound(f.Price.Decimal, fillDivisionPrecision)
	}
	return exchange.Fill{
		TradeID: f.TradeID, OrderID: f.OrderID, ProductID: f.ProductID, Side: exchange.Side(f.Side),
		Price: f.Price.Decimal, Size: size, Fee: f.Commission.Decimal,
		Liquidity: exchange.Liquidity(f.LiquidityIndicator), Time: f.TradeTime.Time,
	}
}

// printable returns s cut to maxConfigName bytes and quoted as Go would,
// without the quotes: a name from the venue that reaches a log stays one
// short printable token.
func printable(s string) string {
	if len(s) > maxConfigName {
		s = s[:maxConfigName]
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
