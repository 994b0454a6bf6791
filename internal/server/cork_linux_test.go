package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
)

func corked(t *testing.T, c *corkConn) bool {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK) }); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if (v != 0) != c.corked.Load() {
		t.Fatalf("TCP_CORK is %d on the socket, but the connection thinks corked=%v", v, c.corked.Load())
	}
	return v != 0
}

// accept returns the server side of a fresh loopback connection, as the server's listener hands it out.
func accept(t *testing.T) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := corkListener{ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCorkOnlyASmallAnswerWithABodyUntilIdle(t *testing.T) {
	c := accept(t)
	cc, ok := c.(*corkConn)
	if !ok {
		t.Fatalf("the listener handed out a %T", c)
	}
	req := func(method string) *http.Request {
		return httptest.NewRequest(method, "/x", nil).WithContext(corkContext(context.Background(), c))
	}
	length := func(v string) http.Header { return http.Header{"Content-Length": {v}} }
	for _, tc := range []struct {
		name   string
		r      *http.Request
		h      http.Header
		status int
		want   bool
	}{
		{"4.8 KB", req("GET"), length("4818"), 200, true},
		{"no length (chunked)", req("GET"), http.Header{}, 200, false},
		{"under 2 KiB: one write anyway", req("GET"), length("1500"), 200, false},
		{"over 64 KiB: full segments anyway", req("GET"), length("131547"), 200, false},
		{"HEAD: no body", req("HEAD"), length("4818"), 200, false},
		{"304: no body", req("GET"), length("4818"), 304, false},
		{"not a number", req("GET"), length("x"), 200, false},
		{"no corkable connection", httptest.NewRequest("GET", "/x", nil), length("4818"), 200, false},
	} {
		corkFor(tc.r, tc.h, tc.status)
		if got := corked(t, cc); got != tc.want {
			t.Errorf("%s: corked %v, want %v", tc.name, got, tc.want)
		}
		uncorkIdle(c, http.StateActive) // not the end of the answer
		if got := corked(t, cc); got != tc.want {
			t.Errorf("%s: uncorked before the connection was idle", tc.name)
		}
		uncorkIdle(c, http.StateIdle)
		if corked(t, cc) {
			t.Errorf("%s: still corked once idle", tc.name)
		}
	}
}

func TestTLSConnectionsAreNotWrapped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tl := tls.NewListener(corkListener{ln}, &tls.Config{})
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			defer c.Close()
		}
	}()
	c, err := tl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*tls.Conn); !ok {
		t.Fatalf("a TLS listener over the cork listener hands out %T", c)
	}
	if ctx := corkContext(context.Background(), c); ctx.Value(corkKey{}) != nil {
		t.Fatal("a TLS connection can be corked")
	}
}
