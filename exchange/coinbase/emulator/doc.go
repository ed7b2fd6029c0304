// Package emulator is a Coinbase Advanced Trade emulator: it speaks the
// REST and WebSocket protocol of api.coinbase.com and
// advanced-trade-ws(-user).coinbase.com on loopback, over the project's
// simulated exchange (exchange/sim), so that live mode is proven end to
// end without real money and without the internet.
//
// What it does, in the order a request meets it:
//
//   - Faults injected on demand (faults.go): a delay, a burst of 429s with
//     the HTML body seen in the wild, a burst of 5xx, the loss of the next
//     create-order response after the order was placed, a sequence gap,
//     dropped sockets.
//   - Authentication (auth.go): every private request carries a CDP JWT
//     that is verified (signature, kid/sub, iss, nbf/exp, two-minute
//     lifetime, uri "METHOD host/path"); failures are 401 "Unauthorized",
//     missing permissions 403 PERMISSION_DENIED. Every JWT seen is
//     recorded, so that tests can check none leaks into a log.
//   - Rate limits: 30 requests/s per key on private endpoints, 10/s per IP
//     on public ones, 429 beyond.
//   - The endpoints (rest_*.go) over the sim, with the JSON shapes of the
//     exchange/coinbase wire types, which are those of the real samples.
//
// The market is a marketdata.TickSource replayed at a speed, or ticks a
// test hands to Tick. Each tick feeds the sim (fills, stops), a synthetic
// order book built from the best bid and ask (market.go), one-minute
// candles and the recent trades, and the WebSocket channels (ws.go).
//
// Order states follow Coinbase's: PENDING first on the user channel,
// QUEUED while an order waits off the book (Options.QueueFor, auction
// mode), EDIT_QUEUED while an accepted edit waits (Options.EditQueueFor),
// CANCEL_QUEUED while a cancel waits (CancelDelay); all are off unless
// asked for.
//
// The emulator is not Coinbase: docs/EMULATOR.md lists what differs
// (single account, partial fills only on request, a book two-sided only
// as deep as the bid/ask history, no futures).
package emulator
