package notify

// The webhook's counters, for the tests of package notify_test.

// Dropped returns how many events were dropped because the queue was full.
func (w *Webhook) Dropped() uint64 { return w.dropped.Load() }

// Delivered returns how many events the webhook accepted (HTTP 2xx).
func (w *Webhook) Delivered() uint64 { return w.delivered.Load() }

// Failed returns how many events were given up after their retries.
func (w *Webhook) Failed() uint64 { return w.failed.Load() }
