package journal

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// nanos stores a time as Unix nanoseconds, NULL for the zero time (whose
// UnixNano is out of range).
func nanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// fromNanos is the inverse of nanos; times come back in UTC.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// decoder collects the first parse error while a row's columns are
// converted, so that a row reader stays a list of assignments and the
// error still names the row and the column.
type decoder struct {
	what string // "order \"abc\"", "fill BTC-USD/123"
	err  error
}

func (d *decoder) dec(column, s string) decimal.Decimal {
	if d.err != nil {
		return decimal.Zero
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		d.err = fmt.Errorf("%s column %s: %w", d.what, column, err)
	}
	return v
}

// requestDoc is the stored form of an exchange.OrderRequest. It has its
// own JSON names so that renaming a Go field in package exchange cannot
// silently empty the requests of journals already written. Decimals are
// strings, as Coinbase sends them.
type requestDoc struct {
	ClientOrderID string `json:"client_order_id"`
	ProductID     string `json:"product_id"`
	Side          string `json:"side"`
	Type          string `json:"type"`
	TimeInForce   string `json:"time_in_force,omitempty"`
	BaseSize      string `json:"base_size,omitempty"`
	QuoteSize     string `json:"quote_size,omitempty"`
	LimitPrice    string `json:"limit_price,omitempty"`
	StopPrice     string `json:"stop_price,omitempty"`
	StopDirection string `json:"stop_direction,omitempty"`
	PostOnly      bool   `json:"post_only,omitempty"`
	EndTime       int64  `json:"end_time_ns,omitempty"`
	// AttachedLimit and AttachedStop are the attached bracket's prices;
	// both empty when none is attached.
	AttachedLimit string `json:"attached_limit_price,omitempty"`
	AttachedStop  string `json:"attached_stop_trigger_price,omitempty"`
}

func decString(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func encodeRequest(r exchange.OrderRequest) ([]byte, error) {
	doc := requestDoc{
		ClientOrderID: r.ClientOrderID,
		ProductID:     r.ProductID,
		Side:          string(r.Side),
		Type:          string(r.Type),
		TimeInForce:   string(r.TimeInForce),
		BaseSize:      decString(r.BaseSize),
		QuoteSize:     decString(r.QuoteSize),
		LimitPrice:    decString(r.LimitPrice),
		StopPrice:     decString(r.StopPrice),
		StopDirection: string(r.StopDirection),
		PostOnly:      r.PostOnly,
	}
	if !r.EndTime.IsZero() {
		doc.EndTime = r.EndTime.UnixNano()
	}
	if r.Attached != nil {
		doc.AttachedLimit = r.Attached.LimitPrice.String()
		doc.AttachedStop = r.Attached.StopTriggerPrice.String()
	}
	return json.Marshal(doc)
}

// decodeRequest parses a stored request. It is strict: an unknown field or
// a malformed decimal is an error rather than a zero, because a request
// read back after a crash may be re-sent.
func decodeRequest(b []byte) (exchange.OrderRequest, error) {
	var doc requestDoc
	if err := strictUnmarshal(b, &doc); err != nil {
		return exchange.OrderRequest{}, err
	}
	d := decoder{what: "request"}
	opt := func(field, s string) decimal.Decimal {
		if s == "" {
			return decimal.Zero
		}
		return d.dec(field, s)
	}
	r := exchange.OrderRequest{
		ClientOrderID: doc.ClientOrderID,
		ProductID:     doc.ProductID,
		Side:          exchange.Side(doc.Side),
		Type:          exchange.OrderType(doc.Type),
		TimeInForce:   exchange.TimeInForce(doc.TimeInForce),
		BaseSize:      opt("base_size", doc.BaseSize),
		QuoteSize:     opt("quote_size", doc.QuoteSize),
		LimitPrice:    opt("limit_price", doc.LimitPrice),
		StopPrice:     opt("stop_price", doc.StopPrice),
		StopDirection: exchange.StopDirection(doc.StopDirection),
		PostOnly:      doc.PostOnly,
	}
	if doc.EndTime != 0 {
		r.EndTime = time.Unix(0, doc.EndTime).UTC()
	}
	if doc.AttachedLimit != "" || doc.AttachedStop != "" {
		r.Attached = &exchange.AttachedBracket{
			LimitPrice:       d.dec("attached_limit_price", doc.AttachedLimit),
			StopTriggerPrice: d.dec("attached_stop_trigger_price", doc.AttachedStop),
		}
	}
	return r, d.err
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}
