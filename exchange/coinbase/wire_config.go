package coinbase

import (
	"bytes"
	"encoding/json"
	"strings"
)

// knownConfigs are the order_configuration keys OrderConfiguration has a
// field for.
var knownConfigs = map[string]bool{
	"market_market_ioc": true, "sor_limit_ioc": true, "limit_limit_gtc": true, "limit_limit_gtd": true,
	"limit_limit_fok": true, "stop_limit_stop_limit_gtc": true, "stop_limit_stop_limit_gtd": true,
	"trigger_bracket_gtc": true, "trigger_bracket_gtd": true,
}

// maxConfigName bounds the name of an unknown configuration kept in
// Unsupported; it reaches logs.
const maxConfigName = 80

// UnmarshalJSON reads the union, keeping the names of the configurations
// tradebot does not know in Unsupported: a twap_limit_gtd must stay a
// TWAP order of unknown size, not become an order with no configuration
// and zero sizes.
func (c *OrderConfiguration) UnmarshalJSON(b []byte) error {
	type plain OrderConfiguration // the same fields, without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = OrderConfiguration(p)
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // the opening brace, checked by Unmarshal above
		return err
	}
	var unknown []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
		if knownConfigs[key] || bytes.Equal(bytes.TrimSpace(skip), []byte("null")) {
			continue
		}
		unknown = append(unknown, printable(key))
	}
	c.Unsupported = strings.Join(unknown, ",")
	return nil
}
