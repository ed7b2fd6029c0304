package emulator

import (
	"context"
	"crypto/sha1"
	"net/http"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// accountUUID derives a stable account uuid from the currency, shaped
// like the name-based uuids Coinbase gives wallets.
func accountUUID(currency string) string {
	sum := sha1.Sum([]byte("tradebot-emulator-account:" + currency))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return uuidString(b)
}

// accounts lists one wallet per currency the sim knows or a product
// names, sorted by currency.
func (e *Emulator) accounts() []coinbase.Account {
	bals, _ := e.sim.Balances(context.Background())
	seen := make(map[string]bool, len(bals))
	for _, b := range bals {
		seen[b.Currency] = true
	}
	for _, p := range e.opts.Products {
		for _, c := range []string{p.BaseCurrency, p.QuoteCurrency} {
			if !seen[c] {
				seen[c] = true
				bals = append(bals, exchange.Balance{Currency: c})
			}
		}
	}
	slices.SortFunc(bals, func(a, b exchange.Balance) int {
		if a.Currency < b.Currency {
			return -1
		}
		if a.Currency > b.Currency {
			return 1
		}
		return 0
	})
	created := coinbase.Time{Time: e.start.UTC()}
	out := make([]coinbase.Account, 0, len(bals))
	for _, b := range bals {
		typ := "ACCOUNT_TYPE_CRYPTO"
		if b.Currency == "USD" || b.Currency == "EUR" || b.Currency == "GBP" {
			typ = "ACCOUNT_TYPE_FIAT"
		}
		out = append(out, coinbase.Account{
			UUID: accountUUID(b.Currency), Name: b.Currency + " Wallet", Currency: b.Currency,
			AvailableBalance: coinbase.Money{Value: coinbase.D(b.Available), Currency: b.Currency},
			Default:          true, Active: true, CreatedAt: created, UpdatedAt: coinbase.Time{Time: e.clk.Now().UTC()},
			Type: typ, Ready: true, Hold: coinbase.Money{Value: coinbase.D(b.Hold), Currency: b.Currency},
			RetailPortfolioID: DefaultPortfolioUUID, Platform: "ACCOUNT_PLATFORM_CONSUMER",
		})
	}
	return out
}

// listAccounts pages by cursor: the cursor is the uuid of the last
// account of the previous page, as Coinbase's is.
func (e *Emulator) listAccounts(w http.ResponseWriter, r *http.Request, _ Key) {
	limit, ok := queryLimit(r, 49, 250)
	if !ok {
		badRequest(w, "limit is not a number")
		return
	}
	all := e.accounts()
	from := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		i := slices.IndexFunc(all, func(a coinbase.Account) bool { return a.UUID == c })
		if i < 0 {
			badRequest(w, "cursor is invalid")
			return
		}
		from = i + 1
	}
	page := all[from:min(from+limit, len(all))]
	out := coinbase.ListAccountsResponse{Accounts: page, Size: len(page), HasNext: from+len(page) < len(all)}
	if out.HasNext {
		out.Cursor = page[len(page)-1].UUID
	}
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) getAccount(w http.ResponseWriter, r *http.Request, _ Key) {
	id := r.PathValue("account_uuid")
	for _, a := range e.accounts() {
		if a.UUID == id {
			writeJSON(w, http.StatusOK, struct {
				Account coinbase.Account `json:"account"`
			}{a})
			return
		}
	}
	writeError(w, http.StatusNotFound, "NOT_FOUND", "account is not available")
}

func (e *Emulator) keyPermissions(w http.ResponseWriter, _ *http.Request, k Key) {
	writeJSON(w, http.StatusOK, coinbase.KeyPermissions{CanView: k.CanView, CanTrade: k.CanTrade, CanTransfer: k.CanTransfer,
		CanReceive: k.CanTransfer, PortfolioUUID: k.PortfolioUUID, PortfolioType: "DEFAULT"})
}

// transactionSummary reports the configured fee tier and the volume and
// fees of the fills so far.
func (e *Emulator) transactionSummary(w http.ResponseWriter, _ *http.Request, _ Key) {
	vol, fees := decimal.Zero, decimal.Zero
	for _, f := range e.sim.Fills() {
		vol = vol.Add(f.Value())
		fees = fees.Add(f.Fee)
	}
	num := func(d decimal.Decimal) coinbase.NumDec { return coinbase.NumDec{Dec: coinbase.D(d)} }
	writeJSON(w, http.StatusOK, struct {
		coinbase.TransactionSummary
		MarginRate          *string `json:"margin_rate"`
		GoodsAndServicesTax *string `json:"goods_and_services_tax"`
	}{TransactionSummary: coinbase.TransactionSummary{
		TotalVolume: num(vol), TotalFees: num(fees),
		FeeTier: coinbase.FeeTier{PricingTier: "", USDFrom: coinbase.D(decimal.Zero), USDTo: coinbase.D(decimal.New(10000, 0)),
			TakerFeeRate: coinbase.D(e.fees.Taker), MakerFeeRate: coinbase.D(e.fees.Maker)},
		AdvancedTradeOnlyVolume: num(vol), AdvancedTradeOnlyFees: num(fees),
		CoinbaseProVolume: num(decimal.Zero), CoinbaseProFees: num(decimal.Zero),
	}})
}

func (e *Emulator) listPortfolios(w http.ResponseWriter, _ *http.Request, k Key) {
	writeJSON(w, http.StatusOK, coinbase.ListPortfoliosResponse{Portfolios: []coinbase.Portfolio{
		{Name: "Default", UUID: k.PortfolioUUID, Type: "DEFAULT"}}})
}
