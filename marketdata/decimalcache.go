package marketdata

import (
	"math/big"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// decimalCacheSlots is how many values a decimalCache remembers, a
// power of two. Each value has one slot, found from a hash of its
// mantissa and scale, so that a lookup is one comparison: searching the
// last eight values, as the cache first did, cost more than the parse
// on the nautilus file. Market data repeats its last few prices (a flat
// minute has four equal prices, the next candle opens at this one's
// close), and 64 slots keep those and older ones too: measured on the
// real files, new values (and so bytes allocated) fell by 12% on
// nautilus's and 6% on freqtrade's, and rose by 2% on the bundled
// recording, against the eight recent values. A reader pays 2 kB.
const decimalCacheSlots = 64

// decimalCache parses decimals like parseDecimal, at a fraction of the
// cost, for a reader that parses many. decimal.New allocates twice per
// value (its big.Int and the word behind it), and that with the garbage
// collection it caused was half of all parse time. The cache removes
// both allocations:
//
//   - A value equal to one seen recently (same mantissa and scale, so
//     "1.0" and "1.00" stay distinct) reuses that Decimal. Sharing is
//     safe because a Decimal is immutable and shares its big.Int with
//     every copy.
//   - Other values get their big.Int and word from a block of
//     decimalBlockSize, allocated at once (see newDecimal).
//
// The zero value is ready to use. A cache belongs to one reader and is
// not safe for concurrent use.
type decimalCache struct {
	slots [decimalCacheSlots]cachedDecimal

	block *decimalBlock
	taken int // entries of block handed out
}

// cachedDecimal is one slot of a decimalCache.
type cachedDecimal struct {
	mant int64
	exp  int32
	set  bool // the zero slot must not pass for the value "0"
	val  decimal.Decimal
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
	return c.value(mant, exp), nil
}

// value returns mant × 10^exp, a value scanned by scanDecimal or
// numberAt, through the cache.
func (c *decimalCache) value(mant int64, exp int32) decimal.Decimal {
	// Fibonacci hashing: the top bits of the product mix every bit of
	// the mantissa, and the scale goes into the bits a mantissa of
	// market data leaves zero.
	h := (uint64(mant) ^ uint64(uint32(exp))<<56) * 0x9e3779b97f4a7c15 >> (64 - 6)
	slot := &c.slots[h%decimalCacheSlots]
	if slot.set && slot.mant == mant && slot.exp == exp {
		return slot.val
	}
	d := c.newDecimal(mant, exp)
	*slot = cachedDecimal{mant: mant, exp: exp, set: true, val: d}
	return d
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

// newDecimal returns mant × 10^exp, as decimal.New does, with its big.Int
// taken from the current block.
func (c *decimalCache) newDecimal(mant int64, exp int32) decimal.Decimal {
	if !fitsOneWord(mant) {
		return decimal.New(mant, exp)
	}
	if c.block == nil || c.taken == decimalBlockSize {
		c.block, c.taken = new(decimalBlock), 0
	}
	i := c.taken
	c.taken++
	return oneWordDecimal(&c.block.ints[i], c.block.words[i:i+1:i+1], mant, exp)
}

// fitsOneWord reports whether oneWordDecimal can make mant's Decimal:
// not on a 32-bit platform, where a mantissa may need two words (rare
// enough for the general constructor), nor where fastdecimal does not
// know the Decimal's layout.
func fitsOneWord(mant int64) bool {
	u := uint64(mant)
	if mant < 0 {
		u = -u
	}
	return fastdecimal.LayoutKnown() && uint64(big.Word(u)) == u
}

// oneWordDecimal returns mant × 10^exp, as decimal.New does, with z (a
// zero Int) as its big.Int and w (length and capacity one) holding the
// word of its value: the caller allocates them as it can, together
// (decimal.New allocates each). fitsOneWord(mant) must hold.
func oneWordDecimal(z *big.Int, w []big.Word, mant int64, exp int32) decimal.Decimal {
	if mant != 0 {
		// Capacity one, so that nothing could ever append into a
		// neighbour's word; math/big never mutates an Int that
		// shopspring holds, which treats them as immutable.
		u := uint64(mant)
		if mant < 0 {
			u = -u
		}
		w[0] = big.Word(u)
		z.SetBits(w)
		if mant < 0 {
			z.Neg(z)
		}
	}
	d, _ := fastdecimal.Wrap(z, exp) // LayoutKnown, by fitsOneWord
	return d
}
