package emulator

import (
	"reflect"

	"github.com/tradebot/tradebot/exchange/coinbase"
)

// maxExponent bounds the decimal exponent of any number a client sends,
// as the sim does: "1e999999999" is a few bytes of JSON, but printing it,
// or comparing it with a price, builds a number of a billion digits.
const maxExponent = 64

// maxDigits bounds the digits of any such number: real prices and sizes
// have fewer than 20.
const maxDigits = 64

var decType = reflect.TypeFor[coinbase.Dec]()

// saneDecimals reports whether every coinbase.Dec reachable from v
// (structs, pointers to structs) has an exponent within ±maxExponent and
// at most maxDigits digits.
func saneDecimals(v any) bool {
	return saneValue(reflect.ValueOf(v))
}

func saneValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil() || saneValue(v.Elem())
	case reflect.Struct:
		if v.Type() == decType {
			d := v.Interface().(coinbase.Dec)
			e := d.Exponent()
			return e <= maxExponent && e >= -maxExponent && d.NumDigits() <= maxDigits
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !saneValue(v.Field(i)) {
				return false
			}
		}
	}
	return true
}
