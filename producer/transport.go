package producer

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// readErrHookKey carries, in a PutMedia request's context, the function
// its connection calls when a read fails.
type readErrHookKey struct{}

// newTransport returns the PutMedia transport: HTTP/1.1, one TCP
// connection per request, and connections that report read errors.
//
// Why: while no media is ready, Go's transport sits in a Read of the
// request body, and when the response fails it waits for that Read to
// return before RoundTrip does (so that the caller may reuse the request).
// A connection cut by the network or the server would then go unnoticed
// until the next frame. The connection's read error closes the body pipe
// at once instead.
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	// A hook belongs to one request: connections are not reused.
	tr.DisableKeepAlives = true
	// The transport flushes after every chunk of the body. With the
	// default 4 KiB buffer a frame of more than that went out in three
	// writes (the buffer, the rest, the chunk's end); 64 KiB sends a
	// typical frame in one.
	tr.WriteBufferSize = 64 << 10
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 15 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if hook, ok := ctx.Value(readErrHookKey{}).(func(error)); ok {
			return &watchedConn{Conn: c, onReadErr: hook}, nil
		}
		return c, nil
	}
	return tr
}

// watchedConn calls onReadErr once when a read fails.
type watchedConn struct {
	net.Conn
	once      sync.Once
	onReadErr func(error)
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.once.Do(func() { c.onReadErr(err) })
	}
	return n, err
}
