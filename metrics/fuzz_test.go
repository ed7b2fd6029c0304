package metrics_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/metrics"
)

// labelSafe is what a free-form label value may look like once admitted.
var labelSafe = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// FuzzOutsideStringsNeverWidenTheLabelSets feeds strings that come from
// outside (venue reject reasons and error codes, rule names, order
// statuses, endpoints) to the recording methods, and checks that every
// label value that reaches the exposition is a short identifier, that the
// exposition still parses, and that the series stay few. The seeds are the
// reasons and error codes of the real Coinbase samples.
func FuzzOutsideStringsNeverWidenTheLabelSets(f *testing.F) {
	for _, r := range []string{exchange.ReasonInsufficientFund, exchange.ReasonPostOnlyWouldCross, exchange.ReasonStopBelowLastTrade, "", "a b", "x\n# HELP", `"}`, "\xff"} {
		f.Add(r, "FILLED")
	}
	for _, name := range []string{"coinbase/samples/rest_create_order_failure.json", "coinbase/samples/rest_errors_observed.json"} {
		raw, err := os.ReadFile(testenv.SharedFile(f, name))
		if err != nil {
			f.Fatal(err)
		}
		// Every string value in the sample is a plausible outside label.
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				f.Add(v, v)
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		walk(doc)
	}
	f.Fuzz(func(t *testing.T, reason, status string) {
		reg := prometheus.NewRegistry()
		m, err := metrics.New(reg, metrics.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m.OrderRejected(reason)
		m.RiskDecision(reason, status)
		m.Exit("s", "BTC-USD", reason)
		m.OrderEnded("s", "BTC-USD", exchange.Side(reason), exchange.OrderType(status), status)
		m.ObserveREST(reason, 0, time.Millisecond, nil)
		m.FeedMalformed(reason)
		m.TradingState(status)
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		for _, fam := range fams {
			for _, s := range fam.GetMetric() {
				for _, l := range s.GetLabel() {
					switch l.GetName() {
					case "strategy", "product", "version", "goversion", "revision":
					default:
						if !labelSafe.MatchString(l.GetValue()) {
							t.Errorf("%s{%s=%q}: not a short identifier", fam.GetName(), l.GetName(), l.GetValue())
						}
					}
				}
			}
			if _, err := expfmt.MetricFamilyToText(&buf, fam); err != nil {
				t.Fatal(err)
			}
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		if _, err := parser.TextToMetricFamilies(&buf); err != nil {
			t.Fatalf("exposition does not parse: %v", err)
		}
	})
}
