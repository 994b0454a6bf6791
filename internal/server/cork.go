package server

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
)

// An answer of a few kilobytes leaves net/http in two writes: its 4 KiB connection buffer fills with
// the header and the start of the body and is written, and the rest follows when the handler returns.
// On a connection with TCP_NODELAY (Go's default) each write is a segment of its own, and the client
// wakes for each. A corked connection (TCP_CORK, what nginx's tcp_nopush sets) holds back partial
// segments until it is uncorked, so the header and a small body leave together — one segment on
// loopback, full ones on a network. Stella corks only for an answer whose Content-Length says it will
// take more than one write and that is small (corkMin..corkMax): a larger one is written by the
// kernel in full segments anyway, and measured slower corked (docs/performance.md, "Stop 25").
const (
	corkMin = 2 << 10
	corkMax = 64 << 10
)

// corkListener hands out plain TCP connections as corkConns. A TLS listener wraps it, so a TLS
// connection (whose records net/http writes, and which may carry HTTP/2's interleaved streams) is
// never corked: the ConnState hook and the handler see the *tls.Conn.
type corkListener struct{ net.Listener }

func (l corkListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &corkConn{TCPConn: tc}, nil
	}
	return c, err
}

// corkConn is an accepted TCP connection that the handler of one answer may cork; the server's
// ConnState hook uncorks it when the answer is complete (http.StateIdle, after net/http's last write)
// and closing it sends whatever is held. It keeps *net.TCPConn's methods, ReadFrom (sendfile) among them.
type corkConn struct {
	*net.TCPConn
	corked atomic.Bool
}

func (c *corkConn) setCork(on bool) {
	if c.corked.Load() == on {
		return
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return
	}
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = setCorkFD(fd, on) }); err == nil && serr == nil {
		c.corked.Store(on)
	}
}

type corkKey struct{}

// corkContext is the http.Server's ConnContext: it lets a handler reach its corkable connection.
func corkContext(ctx context.Context, c net.Conn) context.Context {
	if cc, ok := c.(*corkConn); ok {
		return context.WithValue(ctx, corkKey{}, cc)
	}
	return ctx
}

// uncorkIdle is the http.Server's ConnState hook: an answer is complete when its connection is idle.
func uncorkIdle(c net.Conn, st http.ConnState) {
	if cc, ok := c.(*corkConn); ok && st == http.StateIdle {
		cc.setCork(false)
	}
}

// corkFor corks the request's connection when the answer's header says it is between corkMin and
// corkMax bytes long and has a body. Called once, as the header is written.
func corkFor(r *http.Request, h http.Header, status int) {
	cc, ok := r.Context().Value(corkKey{}).(*corkConn)
	if !ok || r.Method == http.MethodHead || status < http.StatusOK || status == http.StatusNoContent || status == http.StatusNotModified {
		return
	}
	v := h["Content-Length"]
	if len(v) != 1 {
		return
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < corkMin || n > corkMax {
		return
	}
	cc.setCork(true)
}
