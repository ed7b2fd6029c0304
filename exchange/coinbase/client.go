package coinbase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/tradebot/tradebot/clock"
)

// DefaultBaseURL is the REST root of Advanced Trade.
const DefaultBaseURL = "https://api.coinbase.com/api/v3/brokerage"

// Default client-side rates, below Coinbase's documented 30/s (private)
// and 10/s (public) so that bursts from other tools on the same key or IP
// leave headroom.
const (
	DefaultPrivateRate = 25
	DefaultPublicRate  = 8
)

// Config configures a Client. The zero value of every field but
// Credentials has a working default; without Credentials only the public
// endpoints work.
type Config struct {
	// BaseURL is the REST root, DefaultBaseURL unless a test or an
	// emulator serves on loopback ("http://127.0.0.1:port/api/v3/brokerage").
	BaseURL     string
	Credentials *Credentials
	// HTTPClient carries the requests; its own Timeout, if any, also applies.
	HTTPClient *http.Client
	// RequestTimeout bounds one attempt (default 10s).
	RequestTimeout time.Duration
	// PrivateRate and PublicRate are requests per second (defaults 25 and 8).
	PrivateRate, PublicRate float64
	// MaxAttempts bounds the attempts of a retryable request (default 4).
	MaxAttempts int
	// RetryMinDelay and RetryMaxDelay bound the jittered exponential
	// backoff between attempts (defaults 250ms and 8s). A Retry-After
	// header longer than the backoff wins, up to MaxRetryAfter (30s).
	RetryMinDelay, RetryMaxDelay time.Duration
	// ClientIDLookback is how far back OrderByClientID searches (default 72h).
	ClientIDLookback time.Duration
	Observer         Observer
	// Clock stamps JWTs; tests may set it.
	Clock  clock.Clock
	Logger *slog.Logger
}

// MaxRetryAfter caps a server's Retry-After so that a wrong header cannot
// stall the bot.
const MaxRetryAfter = 30 * time.Second

// Client talks to the Advanced Trade REST API. It is safe for concurrent
// use. It implements exchange.Venue and exchange.Editor (venue.go).
type Client struct {
	base      *url.URL
	creds     *Credentials
	http      *http.Client
	timeout   time.Duration
	private   *rate.Limiter
	public    *rate.Limiter
	attempts  int
	minDelay  time.Duration
	maxDelay  time.Duration
	lookback  time.Duration
	obs       Observer
	clock     clock.Clock
	log       *slog.Logger
	userAgent string
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("coinbase client: base URL %q is not an http(s) URL with a host", cfg.BaseURL)
	}
	c := &Client{
		base: base, creds: cfg.Credentials, http: cfg.HTTPClient, timeout: cfg.RequestTimeout,
		attempts: cfg.MaxAttempts, minDelay: cfg.RetryMinDelay, maxDelay: cfg.RetryMaxDelay,
		lookback: cfg.ClientIDLookback, obs: cfg.Observer, clock: cfg.Clock, log: cfg.Logger,
		userAgent: "tradebot",
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	if c.attempts <= 0 {
		c.attempts = 4
	}
	if c.minDelay <= 0 {
		c.minDelay = 250 * time.Millisecond
	}
	if c.maxDelay < c.minDelay {
		c.maxDelay = max(8*time.Second, c.minDelay)
	}
	if c.lookback <= 0 {
		c.lookback = 72 * time.Hour
	}
	if c.obs == nil {
		c.obs = NopObserver{}
	}
	if c.clock == nil {
		c.clock = clock.Wall{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	priv, pub := cfg.PrivateRate, cfg.PublicRate
	if priv <= 0 {
		priv = DefaultPrivateRate
	}
	if pub <= 0 {
		pub = DefaultPublicRate
	}
	// A burst of one keeps the rate honest over every window; the limits
	// are per second, and a larger burst could exceed them inside one.
	c.private = rate.NewLimiter(rate.Limit(priv), 1)
	c.public = rate.NewLimiter(rate.Limit(pub), 1)
	return c, nil
}

// retryPolicy says when a request may be sent again.
type retryPolicy uint8

const (
	// retryOnlyRateLimited repeats only on 429, which the gateway sends
	// before the request reaches the matching engine.
	retryOnlyRateLimited retryPolicy = iota
	// retrySafe repeats on 429, 5xx and transport errors: reads, and
	// writes that are idempotent (create with the same client_order_id,
	// cancel).
	retrySafe
)

// endpoint is one REST operation: its metric label, whether it is public
// and how it may be retried.
type endpoint struct {
	name   string
	public bool
	retry  retryPolicy
	// unknownOutcome marks create order: a failure after sending leaves
	// the order's existence unknown.
	unknownOutcome bool
}

// Endpoint labels as reported to the Observer.
var (
	epAccounts        = endpoint{name: "accounts", retry: retrySafe}
	epProducts        = endpoint{name: "products", retry: retrySafe}
	epProduct         = endpoint{name: "product", retry: retrySafe}
	epPublicProduct   = endpoint{name: "public_product", public: true, retry: retrySafe}
	epBestBidAsk      = endpoint{name: "best_bid_ask", retry: retrySafe}
	epProductBook     = endpoint{name: "product_book", retry: retrySafe}
	epPublicBook      = endpoint{name: "public_product_book", public: true, retry: retrySafe}
	epCandles         = endpoint{name: "candles", public: true, retry: retrySafe}
	epMarketTrades    = endpoint{name: "market_trades", public: true, retry: retrySafe}
	epCreateOrder     = endpoint{name: "create_order", retry: retrySafe, unknownOutcome: true}
	epPreviewOrder    = endpoint{name: "preview_order", retry: retrySafe}
	epCancelOrders    = endpoint{name: "cancel_orders", retry: retrySafe}
	epEditOrder       = endpoint{name: "edit_order", retry: retryOnlyRateLimited}
	epGetOrder        = endpoint{name: "get_order", retry: retrySafe}
	epListOrders      = endpoint{name: "list_orders", retry: retrySafe}
	epListFills       = endpoint{name: "list_fills", retry: retrySafe}
	epKeyPermissions  = endpoint{name: "key_permissions", retry: retrySafe}
	epTransactionSumm = endpoint{name: "transaction_summary", retry: retrySafe}
	epServerTime      = endpoint{name: "server_time", public: true, retry: retrySafe}
	epPortfolios      = endpoint{name: "portfolios", retry: retrySafe}
)

// maxBody bounds a response body; the largest real answers (product
// lists) are a few megabytes.
const maxBody = 32 << 20

// call performs one operation with rate limiting, authentication, retries
// and decoding of out. in, when not nil, is sent as the JSON body.
func (c *Client) call(ctx context.Context, ep endpoint, method, path string, query url.Values, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("coinbase %s %s: encode request: %w", method, path, err)
		}
	}
	if !ep.public && c.creds == nil {
		return fmt.Errorf("coinbase %s %s: no credentials configured for a private endpoint", method, path)
	}
	// maybeSent is sticky: once an attempt may have reached the server
	// without a definite answer, a later 429 or a cancelled wait does not
	// make the outcome known.
	maybeSent := false
	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := c.waitRate(ctx, ep); err != nil {
			return c.finalError(ep, maybeSent, errors.Join(lastErr, err))
		}
		res, err := c.attempt(ctx, ep, method, path, query, body, out)
		if err == nil {
			return nil
		}
		lastErr = err
		switch res.reason {
		case "transport", "5xx", "decode":
			maybeSent = true
		}
		if !res.retryable || attempt >= c.attempts {
			return c.finalError(ep, maybeSent, err)
		}
		if ctx.Err() != nil {
			return c.finalError(ep, maybeSent, retryCutShort(ctx, err))
		}
		c.obs.Retry(ep.name, res.reason)
		d := c.backoff(attempt, res.retryAfter)
		c.log.Debug("coinbase retry", "endpoint", ep.name, "attempt", attempt, "reason", res.reason, "delay", d)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return c.finalError(ep, maybeSent, retryCutShort(ctx, err))
		}
	}
}

// retryCutShort is the error of a call whose retry ctx ended: the last
// attempt's err, which was not the final word, wrapped with ctx's error,
// so that a caller stopping (a SIGTERM during the daemon's start-up) can
// tell its own cancellation from a failure (errors.Is context.Canceled).
func retryCutShort(ctx context.Context, err error) error {
	return fmt.Errorf("%w (not retried: %w)", err, ctx.Err())
}

// finalError marks a create-order failure whose outcome is unknown.
func (c *Client) finalError(ep endpoint, maybeSent bool, err error) error {
	if ep.unknownOutcome && maybeSent {
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return err
}

// attemptResult classifies a failed attempt for the retry decision and
// the observer; reason is "transport", "429", "5xx", "decode", "status",
// "request" or "auth".
type attemptResult struct {
	retryable  bool
	retryAfter time.Duration
	reason     string
}

// attempt sends the request once.
func (c *Client) attempt(ctx context.Context, ep endpoint, method, path string, query url.Values, body []byte, out any) (attemptResult, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u.String(), rd)
	if err != nil {
		return attemptResult{reason: "request"}, fmt.Errorf("coinbase %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !ep.public {
		tok, err := c.creds.RESTToken(RequestURI(method, u.Host, u.Path), c.clock.Now())
		if err != nil {
			return attemptResult{reason: "auth"}, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	safe := ep.retry == retrySafe
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.obs.ObserveRequest(ep.name, 0, time.Since(start))
		// net/http's errors name the URL, which holds no secret.
		return attemptResult{retryable: safe, reason: "transport"}, fmt.Errorf("coinbase %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	c.obs.ObserveRequest(ep.name, resp.StatusCode, time.Since(start))
	if rerr != nil {
		return attemptResult{retryable: safe, reason: "transport"}, fmt.Errorf("coinbase %s %s: read body after HTTP %d: %w", method, path, resp.StatusCode, rerr)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil {
			return attemptResult{}, nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return attemptResult{reason: "decode"}, &APIError{Endpoint: ep.name, Method: method, Path: path, Status: resp.StatusCode,
				Message: "response does not decode: " + err.Error(), Snippet: sanitizeSnippet(raw)}
		}
		return attemptResult{}, nil
	}
	apiErr := newAPIError(ep, method, path, resp, raw)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// The gateway refuses before the request reaches the engine, so
		// every endpoint may repeat it.
		return attemptResult{retryable: true, retryAfter: apiErr.RetryAfter, reason: "429"}, apiErr
	case resp.StatusCode >= 500:
		return attemptResult{retryable: safe, retryAfter: apiErr.RetryAfter, reason: "5xx"}, apiErr
	}
	return attemptResult{reason: "status"}, apiErr
}

func newAPIError(ep endpoint, method, path string, resp *http.Response, raw []byte) *APIError {
	e := &APIError{Endpoint: ep.name, Method: method, Path: path, Status: resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	var eb ErrorBody
	if json.Unmarshal(raw, &eb) == nil && (eb.Error != "" || eb.Message != "") {
		e.Code, e.Message = eb.Error, eb.Message
		if e.Message == "" {
			e.Message = eb.ErrorDetails
		}
		e.Code, e.Message = sanitizeSnippet([]byte(e.Code)), sanitizeSnippet([]byte(e.Message))
		return e
	}
	e.Snippet = sanitizeSnippet(raw)
	return e
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// backoff returns the pause before attempt+1: exponential from
// minDelay, capped at maxDelay, with equal jitter so that many clients
// that failed together do not retry together; a longer Retry-After wins.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := c.minDelay << min(attempt-1, 20)
	if d > c.maxDelay || d <= 0 {
		d = c.maxDelay
	}
	d = d/2 + rand.N(d/2+1)
	return max(d, retryAfter)
}

// waitRate blocks until the endpoint's limiter admits a request and
// reports any wait to the observer.
func (c *Client) waitRate(ctx context.Context, ep endpoint) error {
	lim := c.private
	if ep.public {
		lim = c.public
	}
	r := lim.Reserve()
	d := r.Delay()
	if d <= 0 {
		return nil
	}
	c.obs.RateLimitWait(ep.name, d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return fmt.Errorf("coinbase %s: waiting for the rate limiter: %w", ep.name, ctx.Err())
	}
}
