package live

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runTradebot runs the binary to completion (bounded) and returns its
// exit code, stdout and stderr.
func runTradebot(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("tradebot %s did not end within 30s\nstderr:\n%s", strings.Join(args, " "), errb.String())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestStartupChecksKeyAndProducts runs `tradebot run` and `tradebot check`
// in live mode against emulators whose key has different permissions:
// a key that can transfer is refused with an explanation unless the config
// accepts it, a key that cannot trade is refused, a product Coinbase does
// not list is refused, and neither command places an order. check prints
// what it verified.
func TestStartupChecksKeyAndProducts(t *testing.T) {
	cases := []struct {
		name        string
		emu         emuOptions
		extra       string
		instances   []string
		wantOK      bool
		wantInError []string
		wantOut     []string
	}{
		{name: "view and trade key is accepted", wantOK: true,
			wantOut: []string{"config OK: mode live", "ok    authentication", "ok    permissions     view and trade, no transfer", "ok    products        BTC-USDT"}},
		{name: "transfer key is refused", emu: emuOptions{canTransfer: true},
			wantInError: []string{"transfer permission", "least privilege", "allow_transfer_permission: true"}},
		{name: "transfer key is accepted when the config allows it", emu: emuOptions{canTransfer: true},
			extra: "  allow_transfer_permission: true", wantOK: true,
			wantOut: []string{"ok    permissions     view, trade and transfer", "warning: the API key can transfer funds"}},
		{name: "view-only key is refused", emu: emuOptions{noTrade: true},
			wantInError: []string{"cannot trade", "view and trade permissions"}},
		{name: "a product Coinbase does not list is refused",
			instances:   []string{strings.ReplaceAll(brkInstance, "BTC-USDT", "BTC-EUR")},
			wantInError: []string{"strategy brk: product BTC-EUR"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startEmulator(t, tc.emu)
			cfg := liveConfig(t, e, tc.extra, tc.instances...)

			code, out, errOut := runTradebot(t, "check", "--config", cfg)
			if tc.wantOK != (code == 0) {
				t.Fatalf("check exit code %d, want success %v\nstdout:\n%s\nstderr:\n%s", code, tc.wantOK, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("check stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantInError {
				if !strings.Contains(errOut, w) {
					t.Errorf("check stderr lacks %q:\n%s", w, errOut)
				}
			}
			if n := e.Requests("POST /orders"); n != 0 {
				t.Errorf("check sent %d create-order requests; it must not trade", n)
			}
			texts := map[string]string{"check stdout": out}
			if errOut != "" {
				texts["check stderr"] = errOut
			}

			if !tc.wantOK {
				// run refuses the same key, before trading, with the same reason.
				code, runOut, runErr := runTradebot(t, "run", "--config", cfg, "--web.listen-address", "127.0.0.1:0")
				if code == 0 {
					t.Fatalf("run accepted the key\n%s", runErr)
				}
				for _, w := range tc.wantInError {
					if !strings.Contains(runErr, w) {
						t.Errorf("run stderr lacks %q:\n%s", w, runErr)
					}
				}
				if n := e.Requests("POST /orders"); n != 0 {
					t.Errorf("a refused run sent %d create-order requests", n)
				}
				texts["run stderr"] = runErr + runOut
			}
			assertNoSecrets(t, e, texts)
		})
	}
}
