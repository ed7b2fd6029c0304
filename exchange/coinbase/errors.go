package coinbase

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/tradebot/tradebot/exchange"
)

// ErrOutcomeUnknown marks an order request whose result is not known: it
// was sent, and then the connection failed, the deadline passed or the
// server answered 5xx. The order may exist. Callers resolve it with
// OrderByClientID and the same client order id, never by placing a new
// order (docs/INVARIANTS.md invariant 2).
var ErrOutcomeUnknown = errors.New("coinbase: order outcome unknown")

// APIError is an HTTP answer other than 200, or a 200 whose body did not
// decode. Code and Message come from a JSON body; Snippet is a short,
// sanitized excerpt of a body that was not JSON (HTML from a gateway,
// plain-text "Unauthorized").
type APIError struct {
	Endpoint   string
	Method     string
	Path       string
	Status     int
	Code       string
	Message    string
	Snippet    string
	RetryAfter time.Duration
}

// Error names the request, the status and what the body said.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "coinbase %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" && e.Message != e.Code {
		b.WriteString(": " + e.Message)
	}
	if e.Snippet != "" {
		fmt.Fprintf(&b, ": body %q", e.Snippet)
	}
	if e.Status == 401 {
		// The usual causes, none of which the body names.
		b.WriteString(". " + UnauthorizedChecklist())
	}
	return b.String()
}

// Temporary reports whether the request may succeed if repeated: rate
// limited or a server error.
func (e *APIError) Temporary() bool { return e.Status == 429 || e.Status >= 500 }

// snippetLimit bounds how much of an unexpected body reaches an error.
const snippetLimit = 120

// sanitizeSnippet turns a body into a short, printable excerpt: HTML tags
// are dropped, whitespace collapsed, control and non-printable characters
// removed, and the result cut to snippetLimit runes.
func sanitizeSnippet(body []byte) string {
	var b strings.Builder
	inTag, space := false, false
	n := 0
	for _, r := range string(body) {
		switch {
		case r == '<':
			inTag = true
			continue
		case r == '>':
			inTag = false
			space = true
			continue
		case inTag:
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		case !unicode.IsPrint(r) || r == unicode.ReplacementChar:
			continue
		}
		sep := space && b.Len() > 0
		if n+1+btoi(sep) > snippetLimit {
			b.WriteString("…")
			break
		}
		if sep {
			b.WriteByte(' ')
			n++
		}
		space = false
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CancelError is a refused cancellation with Coinbase's failure reason,
// e.g. ORDER_IS_FULLY_FILLED. An unknown order wraps
// exchange.ErrOrderNotFound instead.
type CancelError struct {
	OrderID string
	Reason  string
}

// Error names the order and the reason.
func (e *CancelError) Error() string {
	return fmt.Sprintf("coinbase cancel order %s: %s", e.OrderID, e.Reason)
}

// Is makes a cancel refused because the order already ended (filled, or
// cancelled before) match exchange.ErrOrderDone.
func (e *CancelError) Is(target error) bool {
	return target == exchange.ErrOrderDone && (e.Reason == "ORDER_IS_FULLY_FILLED" || e.Reason == "DUPLICATE_CANCEL_REQUEST")
}
