package emulator

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tradebot/tradebot/exchange/coinbase"
)

// outboxSize is how many messages may wait for a slow client; beyond it
// the connection is closed, as Coinbase drops clients that do not keep up.
const outboxSize = 4096

// wsHub owns the WebSocket connections. mu guards conns and closed;
// userMu orders user-channel snapshots against order updates.
type wsHub struct {
	e        *Emulator
	upgrader websocket.Upgrader

	mu     sync.Mutex
	conns  map[*wsConn]struct{}
	closed bool
	// refuseUntil is the end of an outage (SocketOutage): until then new
	// connections are answered 503.
	refuseUntil time.Time
	wg          sync.WaitGroup

	userMu sync.Mutex
}

func newHub(e *Emulator) *wsHub {
	return &wsHub{
		e:     e,
		conns: make(map[*wsConn]struct{}),
		upgrader: websocket.Upgrader{
			ReadBufferSize: 4096, WriteBufferSize: 64 << 10,
			// Clients on loopback send no Origin, or their own; the
			// emulator has no cookies to protect.
			CheckOrigin: func(*http.Request) bool { return true },
		},
	}
}

// outMsg is one message waiting to be written: a channel message (given a
// sequence number when written) or a raw one (errors) without a number.
type outMsg struct {
	channel string
	events  any
	raw     any
}

// wsConn is one client connection. Its reader goroutine handles
// subscriptions; its writer goroutine numbers and writes messages and
// sends heartbeats. mu guards the subscription state.
type wsConn struct {
	hub  *wsHub
	c    *websocket.Conn
	user bool // connected to the user endpoint
	// remote is the client's address, for the key's IP allow-list.
	remote string

	out       chan outMsg
	quit      chan struct{}
	closeOnce sync.Once
	gapNext   atomic.Bool
	lastSend  atomic.Int64 // unix nanos of the last message written
	// userMuted holds back the user channel's order updates from this
	// connection while it stays up (MuteUserChannel).
	userMuted atomic.Bool

	mu         sync.Mutex
	subs       map[string]map[string]bool // subscribe name -> product ids
	subscribed bool
	heartbeats bool
}

// envelope is every channel message: Coinbase's Message with any events.
type envelope struct {
	Channel     string        `json:"channel"`
	ClientID    string        `json:"client_id"`
	Timestamp   coinbase.Time `json:"timestamp"`
	SequenceNum int64         `json:"sequence_num"`
	Events      any           `json:"events"`
}

// serve upgrades one request and runs the connection until it closes.
func (h *wsHub) serve(w http.ResponseWriter, r *http.Request, user bool) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		http.Error(w, "emulator is stopping", http.StatusServiceUnavailable)
		return
	}
	if time.Now().Before(h.refuseUntil) {
		h.mu.Unlock()
		http.Error(w, "503 Service Temporarily Unavailable", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	c, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c.SetReadLimit(1 << 20)
	conn := &wsConn{hub: h, c: c, user: user, remote: r.RemoteAddr, out: make(chan outMsg, outboxSize), quit: make(chan struct{}),
		subs: make(map[string]map[string]bool)}
	conn.lastSend.Store(time.Now().UnixNano())
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		c.Close()
		return
	}
	h.conns[conn] = struct{}{}
	h.mu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		conn.writeLoop()
	}()
	conn.readLoop()
	conn.close()
	h.mu.Lock()
	delete(h.conns, conn)
	h.mu.Unlock()
}

// close ends the connection at once, without a close frame: what a
// dropped socket looks like to the client.
func (c *wsConn) close() {
	c.closeOnce.Do(func() {
		close(c.quit)
		c.c.Close()
	})
}

// send queues a message; a client too slow to drain its outbox is cut off.
func (c *wsConn) send(m outMsg) {
	select {
	case <-c.quit:
	case c.out <- m:
	default:
		c.hub.e.log.Info("emulator: closing a WebSocket client that does not keep up")
		c.close()
	}
}

func (c *wsConn) readLoop() {
	for {
		_, b, err := c.c.ReadMessage()
		if err != nil {
			return
		}
		c.handleMessage(b)
	}
}

// handleMessage decodes one client message and applies it.
func (c *wsConn) handleMessage(b []byte) {
	var req coinbase.SubscribeRequest
	if err := json.Unmarshal(b, &req); err != nil {
		c.send(errMsg("failed to parse message"))
		return
	}
	c.hub.e.handleSubscribe(c, req)
}

// writeLoop is the connection's only writer. It numbers channel messages
// with one counter across channels starting at 0, sends heartbeats while
// subscribed to them, and closes the connection when it has not
// subscribed in time or has stayed silent too long without heartbeats.
func (c *wsConn) writeLoop() {
	e := c.hub.e
	opts := e.opts
	var seq, beats int64
	connected := time.Now()
	hb := time.NewTicker(opts.HeartbeatInterval)
	defer hb.Stop()
	check := time.NewTicker(min(opts.SubscribeTimeout, opts.IdleTimeout, time.Second) / 4)
	defer check.Stop()
	write := func(v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := c.c.WriteMessage(websocket.TextMessage, b); err != nil {
			return false
		}
		c.lastSend.Store(time.Now().UnixNano())
		return true
	}
	channel := func(name string, events any) bool {
		if c.gapNext.Swap(false) {
			seq++
		}
		ok := write(envelope{Channel: name, Timestamp: coinbase.Time{Time: e.clk.Now().UTC()}, SequenceNum: seq, Events: events})
		seq++
		return ok
	}
	for {
		select {
		case <-c.quit:
			return
		case m := <-c.out:
			ok := true
			if m.raw != nil {
				ok = write(m.raw)
			} else {
				ok = channel(m.channel, m.events)
			}
			if !ok {
				c.close()
				return
			}
		case <-hb.C:
			c.mu.Lock()
			on := c.heartbeats
			c.mu.Unlock()
			if !on {
				continue
			}
			now := e.clk.Now().UTC()
			if !channel(coinbase.ChannelHeartbeats, []coinbase.HeartbeatEvent{{CurrentTime: now.String(), HeartbeatCounter: coinbase.StrInt(beats)}}) {
				c.close()
				return
			}
			beats++
		case <-check.C:
			c.mu.Lock()
			subscribed, on := c.subscribed, c.heartbeats
			c.mu.Unlock()
			now := time.Now()
			if !subscribed && now.Sub(connected) >= opts.SubscribeTimeout {
				c.close()
				return
			}
			if subscribed && !on && now.Sub(time.Unix(0, c.lastSend.Load())) >= opts.IdleTimeout {
				c.close()
				return
			}
		}
	}
}

// closeAll drops every connection; used by DropSockets and at shutdown.
func (h *wsHub) closeAll() {
	h.mu.Lock()
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// shutdown refuses new connections and drops the open ones.
func (h *wsHub) shutdown() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.closeAll()
}

// wait returns when every connection goroutine has ended.
func (h *wsHub) wait() { h.wg.Wait() }

// gap makes every open connection skip a sequence number.
func (h *wsHub) gap() {
	for _, c := range h.list() {
		c.gapNext.Store(true)
	}
}

// muteUser mutes (on) or unmutes the user channel's order updates of
// every open connection.
func (h *wsHub) muteUser(on bool) {
	for _, c := range h.list() {
		c.userMuted.Store(on)
	}
}

func (h *wsHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

func (h *wsHub) list() []*wsConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	return out
}

// wants reports whether c is subscribed to name for productID (a user
// subscription without products takes every product).
func (c *wsConn) wants(name, productID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	set, ok := c.subs[name]
	if !ok {
		return false
	}
	if name == coinbase.ChannelUser && len(set) == 0 {
		return true
	}
	return set[productID]
}
