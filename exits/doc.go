// Package exits protects a strategy instance's spot position from the
// moment its entry fills until it is flat again: stop-loss (percent,
// price or ATR), one or several take-profit levels, trailing stop,
// break-even and time stop, placed on the exchange (a stop-limit or a
// bracket, the one exit order a spot position can rest) or watched by
// the bot, with fallbacks when the venue refuses a stop or the feed goes
// stale. A strategy's own sells of part of the position (Sell: a grid's
// lots) go through it too, so that the resting exit never covers base
// they hold and the bot watches the stop for the whole position.
//
// A Manager does the work for one instance on one product. The engine
// feeds it ticks (OnTick), a heartbeat (OnIdle) and the events of the
// instance's orders (OnOrderEvent), and sends the orders it asks for
// through Orders. Positions are booked with package position.
//
// The rules, their exact triggers and fills, the order in which a stop is
// moved and the fallbacks are written for users in docs/EXITS.md; keep the
// two in step.
package exits
