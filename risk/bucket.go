package risk

import "time"

// bucket is a token bucket in its GCRA form: count orders per period, all
// of them at once if need be, refilled evenly. It keeps one instant (the
// theoretical arrival time) in integer nanoseconds, so it allocates
// nothing and runs on the guard's clock, simulated or not. The guard's
// mutex protects it.
type bucket struct {
	interval int64 // nanoseconds per token; 0 means no limit
	burst    int64 // how far tat may run ahead of now: period - interval
	tat      int64
}

func newBucket(count int, period time.Duration) bucket {
	if count <= 0 {
		return bucket{}
	}
	iv := int64(period) / int64(count)
	return bucket{interval: iv, burst: int64(period) - iv}
}

// allows reports whether one token is available at now, without taking it.
func (b *bucket) allows(now int64) bool {
	if b.interval == 0 {
		return true
	}
	return max(b.tat, now)-b.burst <= now
}

// take consumes one token at now; callers check allows first.
func (b *bucket) take(now int64) {
	if b.interval == 0 {
		return
	}
	b.tat = max(b.tat, now) + b.interval
}

// wait returns how long until a token is available at now.
func (b *bucket) wait(now int64) time.Duration {
	if b.allows(now) {
		return 0
	}
	return time.Duration(max(b.tat, now) - b.burst - now)
}
