package emulator

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
)

// permission is what a private endpoint needs of the key.
type permission uint8

const (
	permView permission = iota
	permTrade
)

// route is one REST endpoint below RESTPath.
type route struct {
	method, path string
	public       bool
	perm         permission
	handle       func(w http.ResponseWriter, r *http.Request, k Key)
}

// routes builds the emulator's HTTP handler: REST, WebSocket and admin.
func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	rs := []route{
		{method: "GET", path: "/accounts", handle: e.listAccounts},
		{method: "GET", path: "/accounts/{account_uuid}", handle: e.getAccount},
		{method: "GET", path: "/products", handle: e.listProducts},
		{method: "GET", path: "/products/{product_id}", handle: e.getProduct},
		{method: "GET", path: "/products/{product_id}/candles", handle: e.candles},
		{method: "GET", path: "/products/{product_id}/ticker", handle: e.marketTrades},
		{method: "GET", path: "/best_bid_ask", handle: e.bestBidAsk},
		{method: "GET", path: "/product_book", handle: e.productBook},
		{method: "GET", path: "/market/products", public: true, handle: e.listProducts},
		{method: "GET", path: "/market/products/{product_id}", public: true, handle: e.getProduct},
		{method: "GET", path: "/market/products/{product_id}/candles", public: true, handle: e.candles},
		{method: "GET", path: "/market/products/{product_id}/ticker", public: true, handle: e.marketTrades},
		{method: "GET", path: "/market/product_book", public: true, handle: e.productBook},
		{method: "GET", path: "/time", public: true, handle: e.serverTime},
		{method: "POST", path: "/orders", perm: permTrade, handle: e.createOrder},
		{method: "POST", path: "/orders/preview", handle: e.previewOrder},
		{method: "POST", path: "/orders/batch_cancel", perm: permTrade, handle: e.cancelOrders},
		{method: "POST", path: "/orders/edit", perm: permTrade, handle: e.editOrder},
		{method: "POST", path: "/orders/edit_preview", perm: permTrade, handle: e.editPreview},
		{method: "GET", path: "/orders/historical/{order_id}", handle: e.getOrder},
		{method: "GET", path: "/orders/historical/batch", handle: e.listOrders},
		{method: "GET", path: "/orders/historical/fills", handle: e.listFills},
		{method: "GET", path: "/key_permissions", handle: e.keyPermissions},
		{method: "GET", path: "/transaction_summary", handle: e.transactionSummary},
		{method: "GET", path: "/portfolios", handle: e.listPortfolios},
	}
	for _, rt := range rs {
		mux.Handle(rt.method+" "+RESTPath+rt.path, e.wrap(rt))
	}
	mux.HandleFunc("GET "+MarketDataPath, func(w http.ResponseWriter, r *http.Request) { e.ws.serve(w, r, false) })
	mux.HandleFunc("GET "+UserPath, func(w http.ResponseWriter, r *http.Request) { e.ws.serve(w, r, true) })
	mux.HandleFunc("POST "+FaultsPath, loopbackOnly(e.handleFaults))
	mux.HandleFunc("GET "+StatsPath, loopbackOnly(e.handleStats))
	mux.HandleFunc("POST "+TickPath, loopbackOnly(e.handleTick))
	mux.HandleFunc(RESTPath+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Not Found")
	})
	return mux
}

// wrap puts one endpoint behind the request counter, the injected faults,
// authentication, the rate limit and the permission check, in the order
// Coinbase's gateway applies them.
func (e *Emulator) wrap(rt route) http.Handler {
	name := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.stats.request(name)
		token := e.bearer(r)
		if !e.faults.gate(w, r) {
			return
		}
		var k Key
		if rt.public {
			if !e.limits.allow(true, clientIP(r)) {
				tooManyRequests(w)
				return
			}
		} else {
			var ok bool
			if k, ok = e.authenticate(r, token); !ok {
				unauthorized(w)
				return
			}
			if !e.limits.allow(false, k.Name) {
				tooManyRequests(w)
				return
			}
			if !k.CanView || (rt.perm == permTrade && !k.CanTrade) {
				writeError(w, http.StatusForbidden, "PERMISSION_DENIED", "Missing required scopes")
				return
			}
		}
		rt.handle(w, r, k)
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// unauthorized answers 401 with the plain-text body Coinbase sends.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte("Unauthorized\n"))
}

// tooManyRequests answers the emulator's own rate limit in the gRPC
// gateway's JSON shape; injected bursts use the HTML page instead.
func tooManyRequests(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Too many requests")
}

// errorBody is the gRPC-gateway error shape of real 4xx answers.
type errorBody struct {
	Error        string `json:"error"`
	ErrorDetails string `json:"error_details"`
	Message      string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: code, ErrorDetails: msg, Message: msg})
}

func badRequest(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg)
}

// writeJSON answers v as JSON, without escaping <, > and & (Go's
// default), since Coinbase's messages do not.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// decodeBody reads a JSON request body of at most 1 MiB into v. Unknown
// fields are accepted, as Coinbase accepts them.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		badRequest(w, "request body: "+err.Error())
		return false
	}
	return true
}

// queryLimit reads the limit parameter: def when absent, at most max.
func queryLimit(r *http.Request, def, maxLimit int) (int, bool) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	if n == 0 {
		return def, true
	}
	return min(n, maxLimit), true
}
