package risk

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"
)

// FuzzParseState: any text either parses to one of the three states or is
// an error, and a parsed state prints back to itself.
func FuzzParseState(f *testing.F) {
	for _, s := range []string{"ACTIVE", "reducing", " Halted ", "", "HALT", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseState(s)
		if err != nil {
			return
		}
		if back, err := ParseState(st.String()); err != nil || back != st {
			t.Fatalf("%q parsed to %s, which does not parse back (%v)", s, st, err)
		}
	})
}

// FuzzConfigYAML: any risk block decodes strictly or fails with an error,
// and whatever Validate accepts makes a guard.
func FuzzConfigYAML(f *testing.F) {
	def, err := yaml.Marshal(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte("loss:\n  daily_loss: {limit: 100, action: reducing}\n"))
	f.Add([]byte("limits:\n  max_order_notional: -1\n  price_collar_pct: 1e400\n"))
	f.Add([]byte("time_zone: America/New_York\nstale_after: 1h\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		cfg := DefaultConfig()
		dec := yaml.NewDecoder(bytes.NewReader(doc))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return
		}
		errs := cfg.Validate()
		for _, e := range errs {
			field, _, ok := strings.Cut(e.Error(), ": ")
			if !ok || strings.ContainsAny(field, " \t") {
				t.Fatalf("error %q does not start with a field path", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		if _, err := NewGuard(cfg, fixedClock{}); err != nil {
			t.Fatalf("Validate accepted a config NewGuard refuses: %v", err)
		}
	})
}

// FuzzKillSwitchRequest: whatever a client sends, the guard ends ACTIVE or
// HALTED, the answer is JSON, and the reason kept is short and printable.
func FuzzKillSwitchRequest(f *testing.F) {
	for _, s := range [][2]string{
		{"POST", "reason=maintenance"}, {"POST", "flatten=true"}, {"POST", "flatten=true&confirm=" + FlattenConfirmation}, {"POST", "resume=true&reason=ok"},
		{"GET", ""}, {"PUT", "x=1"}, {"POST", "reason=%00%0a" + strings.Repeat("x", 300)},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, method, query string) {
		clk := fixedClock{}
		g, err := NewGuard(looseConfig(), clk)
		if err != nil {
			t.Fatal(err)
		}
		h := g.KillSwitchHandler(KillSwitchControl{Flatten: func(string) error { return nil }})
		req, err := http.NewRequest(method, "http://127.0.0.1/killswitch?"+query, nil)
		if err != nil {
			return
		}
		req.Header.Set(ControlHeader, "1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		info := g.StateInfo()
		if (method == http.MethodGet || method == http.MethodHead) && info.State != Active {
			t.Fatalf("%s ?%s changed the state to %s", method, query, info.State)
		}
		if info.State != Active && info.State != Halted {
			t.Fatalf("state %s after %s ?%s", info.State, method, query)
		}
		if len(info.Reason) > maxReasonLen || strings.IndexFunc(info.Reason, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			t.Fatalf("reason %q kept", info.Reason)
		}
		if rec.Code < 400 {
			var a stateAnswer
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Fatalf("answer %q is not JSON: %v", rec.Body.String(), err)
			}
		}
	})
}

// FuzzCountersJSON: counters read back from a damaged journal restore
// without panicking, and the state stays one of the three with a known
// rule.
func FuzzCountersJSON(f *testing.F) {
	fx := newFixture(f, nil)
	fx.hold("s1", "AAA-USD", "1", "100")
	fx.g.Halt("seed")
	seed, err := json.Marshal(fx.g.Snapshot())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"state":"REDUCING","state_rule":"nonsense","positions":[{"strategy":"s","product_id":"X-Y","size":"0","cost":"5"}]}`))
	f.Add([]byte(`{"day_start":"2300-01-01T00:00:00Z","cooldown_until":{"A-B":"0001-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var c Counters
		if err := json.Unmarshal(raw, &c); err != nil {
			return
		}
		g, err := NewGuard(looseConfig(), fixedClock{})
		if err != nil {
			t.Fatal(err)
		}
		g.Restore(c)
		info := g.StateInfo()
		if info.State > Halted {
			t.Fatalf("restored state %d", info.State)
		}
		found := false
		for _, r := range Rules {
			found = found || r == info.Rule
		}
		if !found {
			t.Fatalf("restored rule %q is not one of Rules", info.Rule)
		}
		g.Snapshot()
	})
}

// FuzzStateFileRecord: whatever bytes a trading-state file holds, reading
// it never panics, and what reads back as a state is one of the three
// with a known rule and records the same again.
func FuzzStateFileRecord(f *testing.F) {
	for _, info := range []StateInfo{{State: Halted, Rule: RuleJournal, Reason: "the journal cannot write (intent: disk full)"},
		{State: Active, Rule: RuleManual, Reason: "resumed over http"}} {
		rec, err := stateRecord(info)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rec)
	}
	f.Add([]byte("{\"state\":\"HALTED\",\"rule\":\"nonsense\"}\ncrc32 00000000\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		info, err := parseStateRecord(raw)
		if err != nil {
			return
		}
		if info.State > Halted || !slices.Contains(Rules, info.Rule) {
			t.Fatalf("read %+v", info)
		}
		if _, err := stateRecord(info); err != nil {
			t.Fatalf("a state read back does not record again: %v", err)
		}
	})
}
