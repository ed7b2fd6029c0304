package coinbase_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// Placing an order and resolving an unknown outcome by its client order
// id, never by placing it again under a new id.
func ExampleClient_PlaceOrder() {
	creds, ok, err := coinbase.CredentialsFromEnv()
	if err != nil || !ok {
		log.Fatal("set COINBASE_API_KEY_NAME and COINBASE_API_PRIVATE_KEY")
	}
	client, err := coinbase.NewClient(coinbase.Config{Credentials: creds})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	req := exchange.OrderRequest{ClientOrderID: "sma-btc-000042", ProductID: "BTC-USD", Side: exchange.Buy,
		Type: exchange.Market, QuoteSize: coinbase.MustDec("25").Decimal}
	order, err := client.PlaceOrder(ctx, req)
	var reject *exchange.RejectError
	switch {
	case errors.As(err, &reject):
		log.Printf("refused: %s", reject.Reason) // definite: nothing was placed
	case errors.Is(err, coinbase.ErrOutcomeUnknown):
		time.Sleep(time.Second)
		order, err = client.OrderByClientID(ctx, req.ClientOrderID)
		if errors.Is(err, exchange.ErrOrderNotFound) {
			// Safe to send again with the SAME client order id.
			order, err = client.PlaceOrder(ctx, req)
		}
	}
	log.Println(order.ID, err)
}
