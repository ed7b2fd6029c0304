package coinbase

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsServer is a loopback WebSocket server that hands each accepted
// connection to the test, checks the JWT of every subscribe message that
// carries one, and records what the client sent.
type wsServer struct {
	t     testing.TB
	srv   *httptest.Server
	creds *Credentials
	conns chan *wsConn
	mu    sync.Mutex
	all   []*wsConn
}

// wsConn is the server side of one client connection.
type wsConn struct {
	ws   *websocket.Conn
	subs chan SubscribeRequest
	wmu  sync.Mutex
	seq  int64
}

func newWSServer(t testing.TB, creds *Credentials) *wsServer {
	s := &wsServer{t: t, creds: creds, conns: make(chan *wsConn, 16)}
	up := websocket.Upgrader{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &wsConn{ws: ws, subs: make(chan SubscribeRequest, 64)}
		s.mu.Lock()
		s.all = append(s.all, c)
		s.mu.Unlock()
		s.conns <- c
		defer ws.Close()
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var req SubscribeRequest
			if err := json.Unmarshal(msg, &req); err != nil {
				t.Errorf("client sent a non-JSON message: %s", msg)
				return
			}
			if req.JWT != "" && s.creds != nil {
				if err := VerifyJWT(req.JWT, s.creds.PublicKey(), s.creds.KeyName(), "", time.Now()); err != nil {
					t.Errorf("subscribe %s: %v", req.Channel, err)
				}
			}
			select {
			case c.subs <- req:
			default:
				t.Errorf("too many subscribe messages")
			}
		}
	}))
	t.Cleanup(func() {
		s.mu.Lock()
		for _, c := range s.all {
			c.ws.Close()
		}
		s.mu.Unlock()
		s.srv.Close()
	})
	return s
}

func (s *wsServer) url() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// accept waits for the next client connection.
func (s *wsServer) accept(t testing.TB) *wsConn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no client connection")
		return nil
	}
}

// expectSub waits for the next subscribe or unsubscribe message.
func (c *wsConn) expectSub(t testing.TB) SubscribeRequest {
	t.Helper()
	select {
	case r := <-c.subs:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no subscribe message")
		return SubscribeRequest{}
	}
}

// send writes a message with the connection's next sequence number.
func (c *wsConn) send(t testing.TB, raw []byte) {
	t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var m map[string]any
	if json.Unmarshal(raw, &m) == nil {
		if _, ok := m["channel"]; ok {
			m["sequence_num"] = c.seq
			c.seq++
			raw, _ = json.Marshal(m)
		}
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, raw); err != nil {
		t.Logf("server write: %v", err)
	}
}

// sendRaw writes a message as it is.
func (c *wsConn) sendRaw(t testing.TB, raw []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.WriteMessage(websocket.TextMessage, raw)
}

// skipSeq makes the next message jump n sequence numbers.
func (c *wsConn) skipSeq(n int64) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.seq += n
}
