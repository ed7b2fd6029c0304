package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// Invariant 1 of docs/INVARIANTS.md: no float64 price or size reaches an
// order. Every type that carries an order from a strategy to a venue, and
// every type a venue answers with, holds its money as decimals; a float
// field added to any of them fails here.
func TestOrderPathTypesHoldNoFloat(t *testing.T) {
	for _, v := range []any{
		Intent{}, OrderRecord{}, JournaledOrder{},
		exchange.OrderRequest{}, exchange.Order{}, exchange.OrderEdit{}, exchange.Fill{},
		exchange.OrderEvent{}, exchange.Product{}, exchange.Balance{}, exchange.Tick{},
	} {
		typ := reflect.TypeOf(v)
		for _, path := range floatFields(typ, typ.Name(), map[reflect.Type]bool{}) {
			t.Errorf("%s is a float; money on the order path is decimal.Decimal", path)
		}
	}
}

// floatFields lists the paths of the float fields reachable from typ,
// through structs, pointers, slices and maps. decimal.Decimal and
// time.Time are leaves: their insides are not money fields.
func floatFields(typ reflect.Type, path string, seen map[reflect.Type]bool) []string {
	if seen[typ] {
		return nil
	}
	seen[typ] = true
	switch typ.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return []string{path}
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return floatFields(typ.Elem(), path+"[]", seen)
	case reflect.Map:
		return append(floatFields(typ.Key(), path+"{key}", seen), floatFields(typ.Elem(), path+"{}", seen)...)
	case reflect.Struct:
		if typ == reflect.TypeOf(time.Time{}) || typ.PkgPath() == "github.com/shopspring/decimal" {
			return nil
		}
		var out []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			out = append(out, floatFields(f.Type, path+"."+f.Name, seen)...)
		}
		return out
	}
	return nil
}
