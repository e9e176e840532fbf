package server

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// readAheadPair returns both ends of a loopback TCP connection, the
// accepted one wrapped as kvsd wraps it.
func readAheadPair(t *testing.T) (client net.Conn, server *readAheadConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	c, err := readAheadListener{ln}.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { client.Close(); c.Close() })
	return client, c.(*readAheadConn)
}

// TestReadAheadConnKeepsTheStream reads a stream written in pieces of
// every size with reads of every size, smaller and larger than the
// read-ahead, and gets the same bytes in order.
func TestReadAheadConnKeepsTheStream(t *testing.T) {
	client, server := readAheadPair(t)
	rng := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 4<<20)
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	go func() {
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(3*readAheadSize))
			if _, err := client.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
		client.Close()
	}()
	var got bytes.Buffer
	sizes := []int{1, 7, 4096, readAheadSize - 1, readAheadSize, 2 * readAheadSize}
	for i := 0; ; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n, err := server.Read(p)
		got.Write(p[:n])
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	require.True(t, bytes.Equal(want, got.Bytes()), "read %d of %d bytes, or other bytes", got.Len(), len(want))
}

// TestReadAheadConnWrites checks what net/http finds on the connection for
// writing: ReadFrom copies to the peer, and CloseWrite ends the peer's
// reads while the connection can still be read.
func TestReadAheadConnWrites(t *testing.T) {
	client, server := readAheadPair(t)
	n, err := server.ReadFrom(bytes.NewReader([]byte("response")))
	require.NoError(t, err)
	require.EqualValues(t, 8, n)
	require.NoError(t, server.CloseWrite())
	got, err := io.ReadAll(client)
	require.NoError(t, err)
	require.Equal(t, "response", string(got))

	_, err = client.Write([]byte("after"))
	require.NoError(t, err)
	p := make([]byte, 16)
	n2, err := io.ReadAtLeast(server, p, 5)
	require.NoError(t, err)
	require.Equal(t, "after", string(p[:n2]))
}
