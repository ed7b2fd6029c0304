package coinbase

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// MaxCandlesPerRequest is Coinbase's limit on candles in one answer.
const MaxCandlesPerRequest = 350

func productPath(prefix, productID, suffix string) (string, error) {
	if productID == "" {
		return "", errors.New("coinbase: empty product id")
	}
	return prefix + url.PathEscape(productID) + suffix, nil
}

// GetProduct returns GET /products/{id} (authenticated).
func (c *Client) GetProduct(ctx context.Context, productID string) (Product, error) {
	p, err := productPath("/products/", productID, "")
	if err != nil {
		return Product{}, err
	}
	var out Product
	return out, c.call(ctx, epProduct, "GET", p, nil, nil, &out)
}

// GetPublicProduct returns GET /market/products/{id}, which needs no key.
func (c *Client) GetPublicProduct(ctx context.Context, productID string) (Product, error) {
	p, err := productPath("/market/products/", productID, "")
	if err != nil {
		return Product{}, err
	}
	var out Product
	return out, c.call(ctx, epPublicProduct, "GET", p, nil, nil, &out)
}

// ListProducts returns GET /products, optionally of one product type
// ("SPOT").
func (c *Client) ListProducts(ctx context.Context, productType string) ([]Product, error) {
	q := url.Values{}
	if productType != "" {
		q.Set("product_type", productType)
	}
	var out ListProductsResponse
	if err := c.call(ctx, epProducts, "GET", "/products", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Products, nil
}

// BestBidAsk returns GET /best_bid_ask for the products (all when none).
func (c *Client) BestBidAsk(ctx context.Context, productIDs ...string) ([]PriceBook, error) {
	q := url.Values{}
	for _, id := range productIDs {
		q.Add("product_ids", id)
	}
	var out BestBidAskResponse
	if err := c.call(ctx, epBestBidAsk, "GET", "/best_bid_ask", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Pricebooks, nil
}

// ProductBook returns GET /product_book with at most limit levels a side
// (0 leaves Coinbase's default).
func (c *Client) ProductBook(ctx context.Context, productID string, limit int) (ProductBookResponse, error) {
	if productID == "" {
		return ProductBookResponse{}, errors.New("coinbase: empty product id")
	}
	q := url.Values{"product_id": {productID}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out ProductBookResponse
	return out, c.call(ctx, epProductBook, "GET", "/product_book", q, nil, &out)
}

// PublicProductBook returns GET /market/product_book, which needs no key.
func (c *Client) PublicProductBook(ctx context.Context, productID string, limit int) (ProductBookResponse, error) {
	if productID == "" {
		return ProductBookResponse{}, errors.New("coinbase: empty product id")
	}
	q := url.Values{"product_id": {productID}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out ProductBookResponse
	return out, c.call(ctx, epPublicBook, "GET", "/market/product_book", q, nil, &out)
}

// MarketTrades returns the last trades of a product from the public GET
// /market/products/{id}/ticker.
func (c *Client) MarketTrades(ctx context.Context, productID string, limit int) (MarketTradesResponse, error) {
	p, err := productPath("/market/products/", productID, "/ticker")
	if err != nil {
		return MarketTradesResponse{}, err
	}
	q := url.Values{"limit": {strconv.Itoa(max(limit, 1))}}
	var out MarketTradesResponse
	return out, c.call(ctx, epMarketTrades, "GET", p, q, nil, &out)
}

// Granularity returns Coinbase's name for a candle interval, or an error
// naming the supported ones.
func Granularity(interval time.Duration) (string, error) {
	switch interval {
	case time.Minute:
		return "ONE_MINUTE", nil
	case 5 * time.Minute:
		return "FIVE_MINUTE", nil
	case 15 * time.Minute:
		return "FIFTEEN_MINUTE", nil
	case 30 * time.Minute:
		return "THIRTY_MINUTE", nil
	case time.Hour:
		return "ONE_HOUR", nil
	case 2 * time.Hour:
		return "TWO_HOUR", nil
	case 4 * time.Hour:
		return "FOUR_HOUR", nil
	case 6 * time.Hour:
		return "SIX_HOUR", nil
	case 24 * time.Hour:
		return "ONE_DAY", nil
	}
	return "", fmt.Errorf("coinbase: candle interval %s is not one of 1m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 24h", interval)
}

// Candles returns the candles of a product that start in [start, end),
// oldest first, from the public candles endpoint. Long ranges are split
// into requests of at most MaxCandlesPerRequest candles.
func (c *Client) Candles(ctx context.Context, productID string, start, end time.Time, interval time.Duration) ([]exchange.Candle, error) {
	gran, err := Granularity(interval)
	if err != nil {
		return nil, err
	}
	p, err := productPath("/market/products/", productID, "/candles")
	if err != nil {
		return nil, err
	}
	start = start.Truncate(interval)
	var all []exchange.Candle
	for from := start; from.Before(end); {
		to := from.Add(interval * MaxCandlesPerRequest)
		if to.After(end) {
			to = end
		}
		// Coinbase's end is inclusive of a candle starting at end; ask
		// for one second less so that chunks do not overlap.
		q := url.Values{
			"start":       {strconv.FormatInt(from.Unix(), 10)},
			"end":         {strconv.FormatInt(to.Unix()-1, 10)},
			"granularity": {gran},
			"limit":       {strconv.Itoa(MaxCandlesPerRequest)},
		}
		var out CandlesResponse
		if err := c.call(ctx, epCandles, "GET", p, q, nil, &out); err != nil {
			return nil, err
		}
		for _, rc := range out.Candles {
			cd := candleFromREST(productID, rc, interval)
			if !cd.Start.Before(from) && cd.Start.Before(to) {
				all = append(all, cd)
			}
		}
		from = to
	}
	slices.SortFunc(all, func(a, b exchange.Candle) int { return a.Start.Compare(b.Start) })
	return slices.CompactFunc(all, func(a, b exchange.Candle) bool { return a.Start.Equal(b.Start) }), nil
}

// ServerTime returns GET /time.
func (c *Client) ServerTime(ctx context.Context) (ServerTime, error) {
	var out ServerTime
	return out, c.call(ctx, epServerTime, "GET", "/time", nil, nil, &out)
}
