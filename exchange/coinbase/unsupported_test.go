package coinbase

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// withConfig returns the real GetOrder sample with its
// order_configuration replaced by cfg and its order_type by typ.
func withConfig(t testing.TB, cfg, typ string) []byte {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal(sample(t, "rest_get_order.json"), &m); err != nil {
		t.Fatal(err)
	}
	var c any
	if err := json.Unmarshal([]byte(cfg), &c); err != nil {
		t.Fatal(err)
	}
	m["order"]["order_configuration"] = c
	m["order"]["order_type"] = typ
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unsupportedSeeds are configurations Coinbase has and tradebot does not
// express, as a GetOrder answer would carry them.
var unsupportedSeeds = []struct{ name, cfg, typ string }{
	{"market_market_fok", `{"market_market_fok":{"base_size":"0.5"}}`, "MARKET"},
	{"twap_limit_gtd", `{"twap_limit_gtd":{"quote_size":"1000","start_time":"2024-01-01T00:00:00Z","end_time":"2024-01-01T01:00:00Z","limit_price":"50000","number_buckets":"12","bucket_size":"83.33","bucket_duration":"300s"}}`, "TWAP"},
	{"scaled_limit_gtc", `{"scaled_limit_gtc":{"orders":[{"base_size":"0.1","limit_price":"50000"}],"quote_size":"","base_size":"0.1","num_orders":2,"min_price":"49000","max_price":"50000","price_distribution":"FLAT","size_distribution":"FLAT","size_diff":"","size_ratio":""}}`, "SCALED"},
	{"stop_limit_stop_limit_fok", `{"stop_limit_stop_limit_fok":{"base_size":"1","limit_price":"100","stop_price":"101","stop_direction":"STOP_DIRECTION_STOP_UP"}}`, "STOP_LIMIT"},
}

func TestUnknownOrderConfigurationsAreKeptAsSuch(t *testing.T) {
	for _, c := range unsupportedSeeds {
		t.Run(c.name, func(t *testing.T) {
			var r GetOrderResponse
			if err := json.Unmarshal(withConfig(t, c.cfg, c.typ), &r); err != nil {
				t.Fatalf("a real answer with %s must decode: %v", c.name, err)
			}
			if got := r.Order.OrderConfiguration.Key(); got != c.name {
				t.Errorf("configuration = %q, want %q kept by name", got, c.name)
			}
			o := ToOrder(r.Order)
			if o.Type != exchange.Unsupported || o.VenueConfig != c.name {
				t.Fatalf("order type %q config %q, want %s naming %s (order_type %s must not make it a %s of size zero)",
					o.Type, o.VenueConfig, exchange.Unsupported, c.name, c.typ, c.typ)
			}
			if !o.BaseSize.IsZero() || !o.LimitPrice.IsZero() {
				t.Errorf("sizes and prices of an unsupported order must be left unknown, got size %s limit %s", o.BaseSize, o.LimitPrice)
			}
			if o.ID == "" || o.ProductID == "" || o.Side == "" || o.Status == "" {
				t.Errorf("identity lost: %+v", o)
			}
		})
	}
	// A known configuration beside null unknown ones stays the known one.
	var r GetOrderResponse
	if err := json.Unmarshal(withConfig(t, `{"twap_limit_gtd":null,"limit_limit_gtc":{"base_size":"1","limit_price":"10","post_only":false}}`, "LIMIT"), &r); err != nil {
		t.Fatal(err)
	}
	if o := ToOrder(r.Order); o.Type != exchange.Limit || !o.BaseSize.Equal(dec("1")) {
		t.Errorf("known configuration read as %s size %s", o.Type, o.BaseSize)
	}
}

func TestUnknownUserChannelOrderTypesAreUnsupported(t *testing.T) {
	for typ, want := range map[string]exchange.OrderType{"TWAP": exchange.Unsupported, "SCALED": exchange.Unsupported,
		"Limit": exchange.Limit, "UNKNOWN_ORDER_TYPE": ""} {
		o := userOrderToOrder(UserOrder{OrderID: "o", OrderType: typ, Status: "OPEN", OrderSide: "BUY"}, time.Now())
		if o.Type != want {
			t.Errorf("order_type %q read as %q, want %q", typ, o.Type, want)
		}
		if want == exchange.Unsupported && o.VenueConfig != typ {
			t.Errorf("order_type %q: config %q, want the venue's name", typ, o.VenueConfig)
		}
	}
}

func TestUnknownConfigurationNamesAreCutAndPrintable(t *testing.T) {
	var c OrderConfiguration
	if err := json.Unmarshal([]byte(`{"\n\"`+strings.Repeat("x", 200)+`":{}}`), &c); err != nil {
		t.Fatal(err)
	}
	if want := `\n\"` + strings.Repeat("x", maxConfigName-2); c.Unsupported != want {
		t.Errorf("unsupported name %q, want the first %d bytes, escaped: %q", c.Unsupported, maxConfigName, want)
	}
}

// FuzzOrderWithUnknownConfiguration decodes GetOrder answers, the real
// sample and variants in configurations tradebot does not know: decoding
// never panics, and an order whose only configuration is unknown is
// never converted into a known type.
func FuzzOrderWithUnknownConfiguration(f *testing.F) {
	f.Add(sample(f, "rest_get_order.json"))
	for _, c := range unsupportedSeeds {
		f.Add(withConfig(f, c.cfg, c.typ))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r GetOrderResponse
		if json.Unmarshal(b, &r) != nil {
			return
		}
		c := r.Order.OrderConfiguration
		o := ToOrder(r.Order)
		if c.Unsupported != "" && c.Key() == c.Unsupported && o.Type != exchange.Unsupported {
			t.Fatalf("configuration %q only, read as %q", c.Unsupported, o.Type)
		}
		if bytes.ContainsAny([]byte(o.VenueConfig), "\n\r") || len(o.VenueConfig) > 4*maxConfigName {
			t.Fatalf("venue config %q is not one short token", o.VenueConfig)
		}
	})
}
