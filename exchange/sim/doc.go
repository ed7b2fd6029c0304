// Package sim is a simulated Coinbase Advanced Trade spot exchange: a
// matching engine for market, limit, stop-limit and bracket orders with
// Coinbase's fees, increments, balances and holds. It serves paper trading
// (real feed, simulated orders), backtests (replayed ticks, simulated
// clock, one goroutine, millions of ticks per second) and the Coinbase
// emulator (concurrent REST handlers over one Exchange).
//
// The market is not simulated; it is fed in with OnTick. A trade tick sets
// the last trade price, a quote tick the best bid and ask (a trade tick
// that also carries a bid or ask, like Coinbase's ticker channel, sets
// both). The last quote seen stays the best price until the next one,
// unless the last trade came after it and went through it (a trade below
// the bid shows that bid taken: a sell then takes the last trade's
// price, and a buy likewise after a trade above the ask), so a feed of
// trades only should send no quotes at all. Orders are
// matched against that stream under the assumptions below, which every
// backtest result inherits and which users should read.
//
// # Liquidity
//
// The simulated account is small next to the market, and the simulated
// orders never move the market they are matched against. By default every
// fill is a full fill of the order's remaining size: there are no partial
// fills, whatever size the market showed (see Partial fills below for
// the other rule).
//
//   - Taking liquidity (a market order, or a limit order that is marketable
//     when it is placed or when its stop triggers) fills at once at the
//     best opposite price: the ask for a buy, the bid for a sell, or the
//     last trade price while no quote has been seen or when the last trade
//     went through it. A stop that a fall through the bid triggers so sells at
//     the trade that triggered it (or at the bid its tick carried), not at
//     the bid from before the fall. That price is moved
//     SlippageBps basis points against the order and rounded to the price
//     increment in the worse direction (up for a buy, down for a sell); a
//     limit order never fills beyond its limit, so the slippage is capped
//     there. The taker fee applies.
//   - Resting limit orders fill at their own limit price as maker only when
//     the market proves a counterparty was there: a trade strictly through
//     the price (below a buy limit, above a sell limit; a trade AT the
//     limit is assumed to have gone to orders ahead in the queue), or an
//     opposite best quote at or through the price (an ask at or below a buy
//     limit means every bid at that price, ours included, was taken).
//
// # Partial fills
//
// With Config.PartialFills an order fills only as much as the market
// showed at its price, in as many parts as that takes, as on Coinbase:
//
//   - A resting limit that a quote reaches fills up to the size quoted at
//     the best ask (for a buy) or bid (for a sell); one that a trade goes
//     through fills up to the trade's size. Orders at better prices, and
//     earlier ones at one price, are served first; what one takes the
//     next cannot. The rest of the order rests on.
//   - An order that takes liquidity (market, marketable limit, triggered
//     stop, marketable take-profit) takes up to the size at the best
//     opposite quote (or of the last trade while no quote holds), and
//     that size is then used up until a tick shows more. A market order
//     is immediate-or-cancel: what the quote did not cover is cancelled
//     (CANCELLED with its partial fill, or without a fill when nothing was
//     left). So are the rest of an immediate-or-cancel limit; a
//     fill-or-kill limit fills whole or not at all. The rest of any other
//     order works on at its limit and takes, as taker at the price then
//     offered, what later quotes show.
//   - A size of zero means the size is not known (candles and trade-only
//     recordings): the order then fills whole, as without the option.
//   - The hold shrinks with each fill to what the rest needs; the order's
//     FilledSize, FilledValue, TotalFees and NumberOfFills add up its
//     fills, and AverageFilledPrice is their volume-weighted price. A
//     partly filled take-profit leaves the bracket's stop armed for the
//     rest. An entry with an attached bracket gets it at its first fill,
//     for the size bought, and each later fill grows it. An edit cannot
//     take a size to or below what has filled.
//
// Off (the default), results are byte for byte those of the whole-fill
// rule, and the backtest path does no extra work.
//
// # Queued orders and edits
//
// Coinbase accepts some orders before it can place them: they show QUEUED
// (a product in auction mode, or an exchange queue) and reach the book
// later; an edit can likewise show EDIT_QUEUED before it applies. With
// Config.QueueFor every new order is QUEUED for that long, and while a
// product is in auction mode (SetAuctionMode) until the auction ends. A
// queued order is checked and holds its funds (a market buy what it
// would cost at the price when it came) but is off the book: nothing
// fills or triggers it. It can be cancelled. At the first tick of its
// product once its time is up (or when the auction ends) it goes on the
// book as if placed then: a market order takes the price then offered
// (and fails, FAILED with INSUFFICIENT_FUND or no liquidity, when it no
// longer can), a limit takes liquidity or rests (a post-only one that
// would take is cancelled), a stop the market has passed meanwhile
// triggers at once, and a good-til-date order past its end expires. With
// Config.EditQueueFor an accepted edit waits that long: the order shows
// EDIT_QUEUED, works on (and may fill) on its old terms and holds, and
// refuses another edit with ORDER_IS_ALREADY_BEING_REPLACED; when the
// edit is due it is checked again against the order as it is then and
// applied, or dropped (the order is OPEN again on its old terms). Both
// are off by default and in backtests.
//
// # Stops and brackets
//
// Stops trigger on the last trade price only, as on Coinbase: STOP_DOWN
// when last <= stop, STOP_UP when last >= stop. Placing a stop that would
// trigger at once is rejected with STOP_PRICE_ABOVE_LAST_TRADE_PRICE or
// STOP_PRICE_BELOW_LAST_TRADE_PRICE, as Coinbase's preview does. A
// triggered stop-limit becomes a limit order at its limit price. A bracket
// (trigger_bracket_gtc) is one SELL: its take-profit rests as a maker limit
// and its stop, once the last trade reaches it, turns the order into a
// limit 5 % below the trigger (rounded up to the price increment, so the
// order never accepts less than Coinbase's rule allows) which takes the
// bid if it can; the order's LimitPrice still shows the take-profit. A
// take-profit that the bid already reaches at placement fills at once as
// taker. The first leg to fill or trigger ends the other. An
// entry with Attached take-profit and stop-loss creates such a bracket for
// its filled size when it fills; the bracket's OriginatingOrderID names
// the entry, the entry's AttachedOrderID names the bracket, and the
// bracket has no client order id of its own.
//
// # Fees and balances
//
// Unset fees mean Coinbase's entry tier (DefaultFees: maker 0.40 %, taker
// 0.60 %), so that a forgotten setting never flatters a backtest; a
// fee-free market needs Config.ZeroFees. A fee is price * size * rate,
// kept exact: no rounding to the quote increment, so that totals add up to
// the last digit and a backtest's profit is not shifted by rounding. A buy spends price*size + fee of the
// quote currency, a sell receives price*size - fee. A buy sized in quote
// buys floor(quote / price) to the base increment and pays the fee on top
// (Coinbase takes the fee out of the quote size instead; the difference is
// at most one fee on the order). Open orders hold funds: a buy holds
// limit * size * (1 + the higher fee rate) of the quote currency, a sell
// holds its base size, so only one exit can rest on a spot position.
//
// # Orders
//
// Every order needs a client order id: it is the idempotency key, and a
// repeated id returns the existing order. Sizes and prices pass the
// product's rules (exchange.Product.Validate), bounds included: a base
// size from base_min_size to base_max_size, worth from quote_min_size to
// quote_max_size (a limit, stop-limit or bracket at its limit price, a
// market order sized in base at the price it takes, before slippage:
// exchange.Product.CheckBounds; exchange.Product.Dust is the same
// minimum for the daemon's exits and strategies), and what a market buy
// sized in quote buys at the price it fills (after slippage) must be an
// order's size (exchange.Product.QuoteBuys, which the risk guard applies
// at the price the buy takes, before slippage). A refused order is not stored
// and its client order id stays free. Limit orders may be good-til-
// cancelled, good-til-date, immediate-or-cancel or fill-or-kill; the last
// two either take liquidity at once or end CANCELLED (with whole fills
// there is no partial remainder to distinguish them; see Partial fills). A good-til-date
// order ends EXPIRED at the first tick of its product at or after its end
// time, since the simulated exchange only acts when it is fed. Only open
// good-til-cancelled limits, and stop-limits and brackets whose stop has
// not triggered, can be edited. Numbers written at an absurd scale
// (exponent beyond ±64) are refused before any arithmetic, so that a
// hostile request cannot make the exchange build enormous numbers.
//
// # Events and concurrency
//
// One mutex guards the Exchange; every method is safe for concurrent use.
// Every order change (creation, trigger, fill, cancel, edit, expiry) is
// reported to the handler set with SetHandler, in the order it happened
// (an order's creation, as OPEN, comes first even when it fills at once),
// after the mutex is released, so a handler may call back into the
// Exchange. Exactly one goroutine delivers at a time: a call made while
// another goroutine (or the handler itself) is delivering leaves its events
// to that goroutine and may return before they are delivered. With one
// goroutine and no re-entry, as in a backtest, OnTick and PlaceOrder
// return after their events have been handled.
//
// Order and trade ids are counters formatted like UUIDs and timestamps
// come from the injected clock, so that the same ticks and the same orders
// give the same results byte for byte.
package sim
