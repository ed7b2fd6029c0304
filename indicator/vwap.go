package indicator

import (
	"fmt"
	"time"
)

// VWAP is the volume-weighted average of the typical price (H+L+C)/3:
// over every bar since the first when Period is 0, over the last Period
// bars otherwise. With a session it starts again at each session
// boundary, as traders' session VWAP does each UTC midnight.
type VWAP struct {
	period int
	// session is the session's length in seconds, 0 for none; cur is
	// the session of the last bar read (its Start's Unix seconds divided
	// by session, rounded down), valid once n > 0.
	session int64
	cur     int64
	pv, v   ring
	sumPV   float64
	sumV    float64
	tp      float64
	n       int
}

// NewVWAP returns a VWAP since the first bar (period 0) or over period
// bars, without a session: it never starts again.
func NewVWAP(period int) *VWAP {
	w := &VWAP{period: period}
	if period > 0 {
		w.pv, w.v = newRing(period), newRing(period)
	}
	return w
}

// NewSessionVWAP returns a VWAP that starts again at each session
// boundary: since the session's first bar (period 0) or over the last
// period bars of the session. Sessions are aligned to UTC midnight, so
// session must divide a day: 24h (daily), 12h, 8h, 6h, 4h, 3h, 2h or 1h.
// A bar belongs to the session its Candle.Start falls in; a session VWAP
// fed candles without Start (the zero time) never starts again.
func NewSessionVWAP(period int, session time.Duration) (*VWAP, error) {
	if err := checkSession(session); err != nil {
		return nil, err
	}
	return newVWAP(period, session), nil
}

// newVWAP is NewSessionVWAP with a session already checked (0: none).
func newVWAP(period int, session time.Duration) *VWAP {
	w := NewVWAP(period)
	w.session = int64(session / time.Second)
	return w
}

// sessionHours are the session lengths that divide a day, in hours.
const sessionHours = "1, 2, 3, 4, 6, 8, 12 or 24"

// checkSession refuses a session that does not divide a day into whole
// hours: its boundaries would not fall at UTC midnight every day.
func checkSession(session time.Duration) error {
	if !dividesDay(session) {
		return fmt.Errorf("session must be %s hours, got %s", sessionHours, session)
	}
	return nil
}

func dividesDay(session time.Duration) bool {
	return session >= time.Hour && session%time.Hour == 0 && (24*time.Hour)%session == 0
}

// Update reads one closed bar.
func (w *VWAP) Update(c Candle) {
	if w.session > 0 {
		s := floorDiv(c.Start.Unix(), w.session)
		if w.n > 0 && s != w.cur {
			w.startSession()
		}
		w.cur = s
	}
	w.tp = (c.High + c.Low + c.Close) / 3
	pv := w.tp * c.Volume
	if w.period > 0 {
		if old, full := w.pv.push(pv); full {
			w.sumPV -= old
		}
		if old, full := w.v.push(c.Volume); full {
			w.sumV -= old
		}
	}
	w.sumPV += pv
	w.sumV += c.Volume
	w.n++
}

// startSession forgets the bars of the session that ended.
func (w *VWAP) startSession() {
	w.sumPV, w.sumV = 0, 0
	w.pv.clear()
	w.v.clear()
}

// floorDiv is a / b rounded down (b > 0), also for times before 1970.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// Ready reports whether Period bars (1 when cumulative) were seen. A new
// session does not make it unready: its first bar is its VWAP.
func (w *VWAP) Ready() bool { return w.n >= w.Lookback() }

// Lookback is Period, or 1 when cumulative.
func (w *VWAP) Lookback() int { return max(w.period, 1) }

// Value is the VWAP (0 before Ready); the last typical price when no
// volume traded in the window.
func (w *VWAP) Value() float64 {
	if !w.Ready() {
		return 0
	}
	if w.sumV <= 0 {
		return w.tp
	}
	return w.sumPV / w.sumV
}
