package hlsload

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// liveServer lists a sliding window of 5 segments that grows by one every
// step, and counts the requests for each segment.
type liveServer struct {
	newest  atomic.Int64
	mu      sync.Mutex
	fetched map[string]int
}

func (s *liveServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/master.m3u8":
		fmt.Fprint(w, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nmedia.m3u8?TrackNumber=1\n")
	case r.URL.Path == "/media.m3u8":
		n := s.newest.Load()
		var b strings.Builder
		fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:%d\n", n-4)
		for i := n - 4; i <= n; i++ {
			fmt.Fprintf(&b, "#EXTINF:1,\nseg%d.mp4\n", i)
		}
		fmt.Fprint(w, b.String())
	case strings.HasPrefix(r.URL.Path, "/seg"):
		s.mu.Lock()
		s.fetched[r.URL.Path]++
		s.mu.Unlock()
		fmt.Fprint(w, "0123456789")
	default:
		http.NotFound(w, r)
	}
}

func TestWatch(t *testing.T) {
	defer goleak.VerifyNone(t)
	live := &liveServer{fetched: map[string]int{}}
	live.newest.Store(10)
	srv := httptest.NewServer(live)
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()

	media, err := MediaPlaylistURL(t.Context(), client, srv.URL+"/master.m3u8")
	require.NoError(t, err)
	require.Equal(t, srv.URL+"/media.m3u8?TrackNumber=1", media)

	ctx, cancel := context.WithTimeout(t.Context(), 350*time.Millisecond)
	defer cancel()
	go func() {
		time.Sleep(150 * time.Millisecond)
		live.newest.Store(11)
	}()
	res := Watch(ctx, client, []string{media}, 4, 50*time.Millisecond)
	require.Zero(t, res.Errors, "%v", res.FirstError)
	require.GreaterOrEqual(t, len(res.Playlists), 4*5, "each viewer polls every 50 ms")

	// Each viewer joined with the last 3 segments (8, 9, 10) and then
	// fetched the new one (11), each once; older ones never.
	live.mu.Lock()
	defer live.mu.Unlock()
	require.Equal(t, map[string]int{"/seg8.mp4": 4, "/seg9.mp4": 4, "/seg10.mp4": 4, "/seg11.mp4": 4}, live.fetched)
	require.Len(t, res.Segments, 16)
	require.Equal(t, int64(16*10), res.Bytes)
}

func TestWatchCountsErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Millisecond)
	defer cancel()
	res := Watch(ctx, client, []string{srv.URL + "/media.m3u8"}, 2, 50*time.Millisecond)
	require.GreaterOrEqual(t, res.Errors, 2)
	require.ErrorContains(t, res.FirstError, "HTTP 404")
	require.Empty(t, res.Playlists)

	_, err := MediaPlaylistURL(t.Context(), client, srv.URL+"/master.m3u8")
	require.Error(t, err)
}
