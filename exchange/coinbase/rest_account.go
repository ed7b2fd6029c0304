package coinbase

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// maxPages bounds every cursor loop, so that a server that always
// answers has_next cannot keep the client paging forever.
const maxPages = 1000

// ListAccounts returns every account, paging by cursor until has_next is
// false.
func (c *Client) ListAccounts(ctx context.Context) ([]Account, error) {
	var all []Account
	cursor := ""
	for page := 0; page < maxPages; page++ {
		q := url.Values{"limit": {"250"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var out ListAccountsResponse
		if err := c.call(ctx, epAccounts, "GET", "/accounts", q, nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Accounts...)
		if !out.HasNext {
			return all, nil
		}
		if out.Cursor == "" || out.Cursor == cursor {
			return nil, fmt.Errorf("coinbase GET /accounts: has_next with cursor %q after page %d", out.Cursor, page+1)
		}
		cursor = out.Cursor
	}
	return nil, fmt.Errorf("coinbase GET /accounts: more than %d pages", maxPages)
}

// KeyPermissions returns GET /key_permissions. tradebot refuses keys that
// can transfer (README: view + trade, never transfer).
func (c *Client) KeyPermissions(ctx context.Context) (KeyPermissions, error) {
	var out KeyPermissions
	return out, c.call(ctx, epKeyPermissions, "GET", "/key_permissions", nil, nil, &out)
}

// Check refuses a key tradebot should not run with: it must be able to
// view and trade, and must not be able to transfer funds, so that a
// leaked key cannot move money out (see the README).
func (k KeyPermissions) Check() error {
	switch {
	case k.CanTransfer:
		return errors.New("coinbase key can transfer funds; create a key with view and trade permission only")
	case !k.CanView || !k.CanTrade:
		return fmt.Errorf("coinbase key lacks permissions (view %v, trade %v); it needs view and trade", k.CanView, k.CanTrade)
	}
	return nil
}

// TransactionSummary returns GET /transaction_summary (the fee tier) for
// a product type such as "SPOT" ("" for Coinbase's default).
func (c *Client) TransactionSummary(ctx context.Context, productType string) (TransactionSummary, error) {
	q := url.Values{}
	if productType != "" {
		q.Set("product_type", productType)
	}
	var out TransactionSummary
	return out, c.call(ctx, epTransactionSumm, "GET", "/transaction_summary", q, nil, &out)
}

// ListPortfolios returns GET /portfolios.
func (c *Client) ListPortfolios(ctx context.Context) ([]Portfolio, error) {
	var out ListPortfoliosResponse
	if err := c.call(ctx, epPortfolios, "GET", "/portfolios", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Portfolios, nil
}
