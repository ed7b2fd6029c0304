package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Defaults for the zero fields of Config.
const (
	DefaultQueueSize    = 256
	DefaultTimeout      = 5 * time.Second
	DefaultMaxElapsed   = 2 * time.Minute
	DefaultDrainTimeout = 2 * time.Second
)

// Config configures a Webhook.
type Config struct {
	// URL receives one JSON POST per event. It usually holds a token (a
	// Telegram bot's is in its path), so it never appears in logs or
	// errors.
	URL string
	// Format is the body's shape; empty is FormatJSON.
	Format Format
	// ChatID is the Telegram chat the bot writes to (FormatTelegram only,
	// and required there): a number or "@channelusername".
	ChatID string
	// Kinds are the event kinds to send; empty sends all.
	Kinds []Kind
	// QueueSize bounds the events waiting for delivery; when it is full,
	// new events are dropped and counted.
	QueueSize int
	// Dropped, when set, hears of each event dropped because the queue
	// was full, on the goroutine that called Notify; it must not block
	// (the daemon counts and logs the drops through it).
	Dropped func(Event)
	// Timeout bounds one delivery attempt.
	Timeout time.Duration
	// MaxElapsed bounds the retries of one event; then it is dropped.
	MaxElapsed time.Duration
	// DrainTimeout bounds the delivery of what is still queued once Run's
	// context ends (one attempt each), so that a shutdown's last events
	// (the kill switch) still go out without delaying the exit for long.
	DrainTimeout time.Duration
	// Client sends the requests; nil means a client without redirects.
	Client *http.Client
	// Logger receives delivery failures (never the URL); nil discards.
	Logger *slog.Logger
	// Now stamps each event's Time; nil is the wall clock. Every event
	// takes its time from here, whatever clock its source runs on.
	Now func() time.Time
}

// Webhook delivers events to a URL. Notify may be called from any
// goroutine and never blocks; Run, on one goroutine, delivers.
type Webhook struct {
	url     string
	format  Format
	chatID  string
	now     func() time.Time
	kinds   map[Kind]bool // nil: all
	queue   chan Event
	timeout time.Duration
	elapsed time.Duration
	drain   time.Duration
	client  *http.Client
	log     *slog.Logger
	onDrop  func(Event)

	// What became of the events, read by the tests (export_test.go):
	// dropped because the queue was full (Notify said false), delivered
	// (HTTP 2xx), failed after their retries (logged).
	dropped   atomic.Uint64
	delivered atomic.Uint64
	failed    atomic.Uint64
}

// NewWebhook checks cfg and returns a Webhook; start its Run. The error
// for a bad URL does not repeat the URL.
func NewWebhook(cfg Config) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("notify: webhook URL must be an absolute http or https URL")
	}
	format, err := ParseFormat(string(cfg.Format))
	if err != nil {
		return nil, err
	}
	if format == FormatTelegram && cfg.ChatID == "" {
		return nil, errors.New("notify: the telegram format needs a chat id")
	}
	w := &Webhook{
		url:     cfg.URL,
		format:  format,
		chatID:  cfg.ChatID,
		now:     cfg.Now,
		queue:   make(chan Event, positive(cfg.QueueSize, DefaultQueueSize)),
		timeout: positiveDuration(cfg.Timeout, DefaultTimeout),
		elapsed: positiveDuration(cfg.MaxElapsed, DefaultMaxElapsed),
		drain:   positiveDuration(cfg.DrainTimeout, DefaultDrainTimeout),
		client:  cfg.Client,
		log:     cfg.Logger,
		onDrop:  cfg.Dropped,
	}
	if len(cfg.Kinds) > 0 {
		w.kinds = map[Kind]bool{}
		for _, k := range cfg.Kinds {
			if _, err := ParseKind(string(k)); err != nil {
				return nil, err
			}
			w.kinds[k] = true
		}
	}
	if w.client == nil {
		// A redirect could carry the token elsewhere; a webhook that
		// redirects is misconfigured anyway.
		w.client = &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w, nil
}

// Notify stamps e's Time with the wall clock in UTC, queues it for
// delivery and returns at once. It returns false when e was not queued:
// its kind is not configured, or the queue is full (the event is then
// dropped).
func (w *Webhook) Notify(e Event) bool {
	if w.kinds != nil && !w.kinds[e.Kind] {
		return false
	}
	e.Time = w.now().UTC()
	select {
	case w.queue <- e:
		return true
	default:
		w.dropped.Add(1)
		if w.onDrop != nil {
			w.onDrop(e)
		}
		return false
	}
}

// Run delivers queued events in order until ctx ends, then tries what is
// still queued once each within the drain timeout, closes its idle
// connections and returns. A delivery attempt under way when ctx ends
// finishes first, so Run returns within Timeout plus DrainTimeout.
func (w *Webhook) Run(ctx context.Context) {
	defer w.client.CloseIdleConnections()
	for {
		select {
		case <-ctx.Done():
			w.drainQueue()
			return
		case e := <-w.queue:
			w.deliver(ctx, e)
		}
	}
}

func (w *Webhook) drainQueue() {
	ctx, cancel := context.WithTimeout(context.Background(), w.drain)
	defer cancel()
	for {
		select {
		case e := <-w.queue:
			if err := w.post(ctx, e); err != nil {
				w.log.Warn("notify: webhook delivery at shutdown failed", "kind", e.Kind, "error", err)
				w.failed.Add(1)
			} else {
				w.delivered.Add(1)
			}
		default:
			return
		}
	}
}

// deliver posts e, retrying with exponential backoff on network errors,
// timeouts, 429 and 5xx until MaxElapsed or ctx ends.
func (w *Webhook) deliver(ctx context.Context, e Event) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 500 * time.Millisecond
	b.MaxInterval = 30 * time.Second
	b.MaxElapsedTime = w.elapsed
	// An attempt under way when ctx ends is let finish (within Timeout),
	// so that the event that was being sent at shutdown, often the most
	// important one, is not cut off; ctx only stops further retries.
	attemptCtx := context.WithoutCancel(ctx)
	attempt := 0
	err := backoff.Retry(func() error {
		attempt++
		return w.post(attemptCtx, e)
	}, backoff.WithContext(b, ctx))
	if err != nil {
		w.log.Warn("notify: webhook delivery failed", "kind", e.Kind, "attempts", attempt, "error", err)
		w.failed.Add(1)
		return
	}
	w.delivered.Add(1)
}

// post makes one attempt. Errors never include the URL; a refusal that
// retrying cannot fix (4xx other than 429) is permanent.
func (w *Webhook) post(ctx context.Context, e Event) error {
	body, err := encode(w.format, w.chatID, e)
	if err != nil {
		return backoff.Permanent(fmt.Errorf("encode %s event: %w", e.Kind, err))
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(errors.New("build webhook request"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tradebot-notify")
	resp, err := w.client.Do(req)
	if err != nil {
		return redact(err)
	}
	// Drain a little so the connection can be reused, never much: the
	// body is of no interest.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return errors.New("webhook answered HTTP " + strconv.Itoa(resp.StatusCode))
	default:
		return backoff.Permanent(errors.New("webhook refused the event with HTTP " + strconv.Itoa(resp.StatusCode)))
	}
}

// redact strips the URL from a client error (*url.Error prints it, token
// and all) and keeps what went wrong.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("webhook request timed out")
	}
	if errors.Is(err, context.Canceled) {
		return backoff.Permanent(errors.New("webhook request canceled"))
	}
	return fmt.Errorf("webhook request failed: %w", err)
}

func positive(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func positiveDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
