package daemon

import (
	"context"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// runCoinbase paper-trades on Coinbase's public market data: the ticker
// (best bid and ask) and market_trades channels, the ones the live daemon
// trades on, so that the simulated exchange fills against the live book's
// top and the live trades. The feed reconnects with backoff and resyncs
// exactly as in live mode; no key is needed, since no order leaves the
// process.
func (p *paper) runCoinbase(ctx context.Context, eng *engine.Engine) error {
	products := eng.Products()
	feed, err := coinbase.NewFeed(coinbase.FeedConfig{
		MarketURL: p.cfg.Coinbase.MarketDataURL, Products: products,
		Channels: []string{coinbase.ChannelTicker, coinbase.ChannelMarketTrades},
		OnTick: func(t exchange.Tick) {
			p.started.Store(true)
			p.x.OnTick(&t)
			eng.OnTick(t)
		},
		Observer: p.obs, Logger: p.log,
	})
	if err != nil {
		return err
	}
	p.log.Info("paper trading on Coinbase's public feed", "products", products)
	return feed.Run(ctx)
}
