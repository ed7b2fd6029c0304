package indicator

import (
	"math"
	"time"
)

// settleWeight is what the bars before the first one read may still weigh
// in a settled value: 0.1 %.
const settleWeight = 1e-3

// Settle returns the bars of interval an indicator needs before its
// value no longer depends on where its series started, to within
// settleWeight: what a warm-up feeds so that a run started at --from, or
// a restarted daemon, reads the values a run over all the history reads.
//
// For a window (SMA, Bollinger, Donchian ...) that is its Lookback. An
// exponential average never forgets its seed: EMA(200) is Ready after
// 200 bars, but its seed still weighs 13 % after 400 and 0.1 % only
// after 891; RSI, ATR and ADX (Wilder's averages) likewise. A session
// VWAP since the session's start needs a session's bars of interval, so
// that they reach back to the session's start. Parabolic SAR, OBV and
// the VWAP of the whole series depend on the whole path and never
// settle: they get their Lookback.
func Settle(ind Indicator, interval time.Duration) int {
	switch s := ind.(type) {
	case settler:
		return s.settle()
	case *VWAP:
		return max(s.Lookback(), s.sessionBars(interval))
	}
	return ind.Lookback()
}

// settler is an indicator that remembers its seed.
type settler interface{ settle() int }

// sessionBars returns the bars of interval that cover a session, when
// the VWAP is since the start of one (0 otherwise: a window of Period
// bars forgets the rest by itself, and without a session it never does).
func (w *VWAP) sessionBars(interval time.Duration) int {
	if w.session == 0 || w.period > 0 || interval <= 0 {
		return 0
	}
	session := time.Duration(w.session) * time.Second
	return int((session + interval - 1) / interval)
}

// forget returns the bars after which a seed smoothed with weight alpha
// per bar (the new value's) weighs under settleWeight.
func forget(alpha float64) int {
	if alpha >= 1 {
		return 0
	}
	return int(math.Ceil(math.Log(settleWeight) / math.Log1p(-alpha)))
}

func (e *EMA) settle() int { return e.Lookback() + forget(e.k) }

func (d *DEMA) settle() int { return d.Lookback() + 2*forget(d.e1.k) }

func (t *TEMA) settle() int { return t.Lookback() + 3*forget(t.e1.k) }

func (m *MACD) settle() int { return m.Lookback() + forget(m.slow.k) + forget(m.sig.k) }

func (r *RSI) settle() int { return r.Lookback() + forget(1/float64(r.period)) }

func (a *ATR) settle() int { return a.Lookback() + forget(1/float64(a.avg.period)) }

func (a *ADX) settle() int { return a.Lookback() + 2*forget(1/float64(a.period)) }

func (k *Keltner) settle() int { return max(k.ema.settle(), k.atr.settle()) }

func (s *SuperTrend) settle() int { return s.atr.settle() }

func (s *StochRSI) settle() int { return s.Lookback() + forget(1/float64(s.rsi.period)) }
