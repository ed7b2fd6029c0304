package marketdata

import (
	"math/big"
	"reflect"
	"unsafe"

	"github.com/shopspring/decimal"
)

// decimalCacheSize is how many recent values a decimalCache remembers.
// Measured on the real candle files in ../shared, the last eight values
// already hold the repeat of about half of all prices (freqtrade), a
// third (nautilus) or a quarter (gocryptotrader); more entries add
// little and cost a longer search on every miss.
const decimalCacheSize = 8

// decimalCache parses decimals like parseDecimal, at a fraction of the
// cost, for a reader that parses many. decimal.New allocates twice per
// value (its big.Int and the word behind it), and that with the garbage
// collection it caused was half of all parse time. The cache removes
// both allocations:
//
//   - A value equal to one of the last few (same mantissa and scale, so
//     "1.0" and "1.00" stay distinct) reuses that Decimal: market data
//     repeats itself (a flat minute has four equal prices, the next
//     candle opens at this one's close). Sharing is safe because a
//     Decimal is immutable and shares its big.Int with every copy.
//   - Other values get their big.Int and word from a block of
//     decimalBlockSize, allocated at once (see newDecimal).
//
// The zero value is ready to use. A cache belongs to one reader and is
// not safe for concurrent use.
type decimalCache struct {
	mant [decimalCacheSize]int64
	exp  [decimalCacheSize]int32
	val  [decimalCacheSize]decimal.Decimal
	used int // entries filled, up to decimalCacheSize
	next int // entry to overwrite next, round robin

	block *decimalBlock
	taken int // entries of block handed out
}

// parse is parseDecimal through the cache.
func (c *decimalCache) parse(b []byte) (decimal.Decimal, error) {
	mant, exp, fast, err := scanDecimal(b)
	if err != nil {
		return decimal.Decimal{}, err
	}
	if !fast {
		// Exponents and long mantissas are rare; not worth remembering.
		return slowDecimal(b)
	}
	for i := 0; i < c.used; i++ {
		if c.mant[i] == mant && c.exp[i] == exp {
			return c.val[i], nil
		}
	}
	d := c.newDecimal(mant, exp)
	i := c.next
	c.mant[i], c.exp[i], c.val[i] = mant, exp, d
	c.next = (i + 1) % decimalCacheSize
	if c.used < decimalCacheSize {
		c.used++
	}
	return d, nil
}

// decimalBlockSize is how many values share one allocation. A Decimal
// kept alive keeps its whole block (2.5 kB) alive; a reader's values
// are mostly kept or dropped together, and a backtest that keeps a few
// scattered prices keeps a few blocks.
const decimalBlockSize = 64

// decimalBlock holds the big.Ints of decimalBlockSize values and the
// one word each needs, in one allocation instead of 2*decimalBlockSize.
type decimalBlock struct {
	ints  [decimalBlockSize]big.Int
	words [decimalBlockSize]big.Word
}

// decimalLayout mirrors shopspring's Decimal (a *big.Int coefficient and
// an int32 exponent), so that newDecimal can make a Decimal around a
// big.Int it owns: the package's constructors all allocate a fresh
// big.Int. decimalLayoutMatches checks the mirror against the real type
// at start; if a new version of the module changes it, newDecimal falls
// back to decimal.New, correct and slower, and TestDecimalLayoutMatches
// fails so that someone looks.
type decimalLayout struct {
	value *big.Int
	exp   int32
}

var blocksAllowed = decimalLayoutMatches()

// decimalLayoutMatches reports whether decimal.Decimal is laid out as
// decimalLayout: same size, same field names, types and offsets.
func decimalLayoutMatches() bool {
	real, mirror := reflect.TypeFor[decimal.Decimal](), reflect.TypeFor[decimalLayout]()
	if real.Size() != mirror.Size() || real.Align() != mirror.Align() || real.NumField() != mirror.NumField() {
		return false
	}
	for i := 0; i < real.NumField(); i++ {
		r, m := real.Field(i), mirror.Field(i)
		if r.Name != m.Name || r.Type != m.Type || r.Offset != m.Offset {
			return false
		}
	}
	return true
}

// newDecimal returns mant × 10^exp, as decimal.New does, with its big.Int
// taken from the current block.
func (c *decimalCache) newDecimal(mant int64, exp int32) decimal.Decimal {
	u := uint64(mant)
	if mant < 0 {
		u = -u
	}
	if !blocksAllowed || uint64(big.Word(u)) != u {
		// The second case: a 32-bit platform, where a mantissa may need
		// two words. Rare enough for the general constructor.
		return decimal.New(mant, exp)
	}
	if c.block == nil || c.taken == decimalBlockSize {
		c.block, c.taken = new(decimalBlock), 0
	}
	i := c.taken
	c.taken++
	z := &c.block.ints[i]
	if u != 0 {
		// Capacity one, so that nothing could ever append into the
		// next value's word; math/big never mutates an Int that
		// shopspring holds, which treats them as immutable.
		c.block.words[i] = big.Word(u)
		z.SetBits(c.block.words[i : i+1 : i+1])
		if mant < 0 {
			z.Neg(z)
		}
	}
	d := decimalLayout{value: z, exp: exp}
	return *(*decimal.Decimal)(unsafe.Pointer(&d))
}
