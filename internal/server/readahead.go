package server

import (
	"io"
	"net"
)

// readAheadSize is how much a connection reads from its socket at once.
// net/http reads a request body through a 4 KiB buffer, so a PutMedia
// frame of 10 KB took three or four read(2) calls (the last one often
// finding nothing yet and parking the goroutine); with this much read
// ahead, a frame that has arrived whole is read with one.
const readAheadSize = 32 << 10

// readAheadListener gives every accepted connection a read-ahead buffer.
type readAheadListener struct{ net.Listener }

func (l readAheadListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &readAheadConn{Conn: c}, nil
}

// readAheadConn reads from its socket in readAheadSize blocks and serves
// smaller reads from what it read.
type readAheadConn struct {
	net.Conn
	buf  []byte
	r, w int
}

func (c *readAheadConn) Read(p []byte) (int, error) {
	if c.r == c.w {
		if len(p) >= readAheadSize {
			return c.Conn.Read(p)
		}
		if c.buf == nil {
			c.buf = make([]byte, readAheadSize)
		}
		n, err := c.Conn.Read(c.buf)
		c.r, c.w = 0, n
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, c.buf[c.r:c.w])
	c.r += n
	return n, nil
}

// ReadFrom and CloseWrite keep what net/http finds on a *net.TCPConn:
// sendfile for responses copied from files, and a half-close before a
// connection is closed.
func (c *readAheadConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

func (c *readAheadConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
