// Package emutest starts the project's Coinbase emulator on loopback for
// a test and stops it when the test ends, so that every test that talks
// to "Coinbase" does it the same way: over real HTTP and WebSocket.
package emutest

import (
	"context"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
)

// stopWithin is how long the emulator may take to stop once its test
// ends; longer means a goroutine of it is stuck.
const stopWithin = 5 * time.Second

// Start builds an emulator from opts, starts it on loopback and registers
// its stop with t.Cleanup. beforeStop runs first at cleanup, for what must
// let go before the emulator can stop (a gate holding its market still).
func Start(t testing.TB, opts emulator.Options, beforeStop ...func()) *emulator.Emulator {
	t.Helper()
	e, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, f := range beforeStop {
			f()
		}
		cancel()
		select {
		case <-e.Done():
		case <-time.After(stopWithin):
			t.Errorf("the emulator did not stop within %s of its test ending", stopWithin)
		}
	})
	return e
}
