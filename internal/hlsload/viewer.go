package hlsload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// LiveSyncSegments is how many of the listed segments a viewer fetches
// when it joins (hls.js liveSyncDurationCount).
const LiveSyncSegments = 3

// Result is what a group of viewers saw.
type Result struct {
	// Playlists and Segments are the response times, request to last
	// octet, in no particular order.
	Playlists, Segments []time.Duration
	// Bytes is the segment bytes fetched.
	Bytes int64
	// Errors counts failed requests; FirstError is the first of them.
	Errors     int
	FirstError error
}

// Watch runs viewers until ctx ends. Viewer v watches the media playlist
// playlists[v%len(playlists)] and polls it every poll; the viewers start
// spread over one poll interval. Segment bodies are read and discarded.
func Watch(ctx context.Context, client *http.Client, playlists []string, viewers int, poll time.Duration) Result {
	var (
		mu  sync.Mutex
		all Result
		wg  sync.WaitGroup
	)
	for v := range viewers {
		wg.Go(func() {
			w := viewer{client: client, playlist: playlists[v%len(playlists)], poll: poll, fetched: map[string]bool{}}
			w.watch(ctx, time.Duration(v)*poll/time.Duration(viewers))
			mu.Lock()
			defer mu.Unlock()
			all.Playlists = append(all.Playlists, w.res.Playlists...)
			all.Segments = append(all.Segments, w.res.Segments...)
			all.Bytes += w.res.Bytes
			all.Errors += w.res.Errors
			if all.FirstError == nil {
				all.FirstError = w.res.FirstError
			}
		})
	}
	wg.Wait()
	return all
}

// viewer is one simulated LIVE player.
type viewer struct {
	client   *http.Client
	playlist string
	poll     time.Duration
	fetched  map[string]bool // segment URIs already fetched
	res      Result
}

// watch polls the playlist until ctx ends, starting after delay.
func (w *viewer) watch(ctx context.Context, delay time.Duration) {
	base, err := url.Parse(w.playlist)
	if err != nil {
		w.fail(err)
		return
	}
	next := time.Now().Add(delay)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		next = next.Add(w.poll)
		t0 := time.Now()
		body, err := Get(ctx, w.client, w.playlist)
		if ctx.Err() != nil {
			return // the run ended mid-request; not the server's failure
		}
		if err != nil {
			w.fail(err)
			continue
		}
		w.res.Playlists = append(w.res.Playlists, time.Since(t0))
		uris := playlistURIs(body)
		if len(w.fetched) == 0 && len(uris) > LiveSyncSegments {
			for _, u := range uris[:len(uris)-LiveSyncSegments] {
				w.fetched[u] = true
			}
		}
		for _, uri := range uris {
			if w.fetched[uri] {
				continue
			}
			w.fetched[uri] = true
			ref, err := base.Parse(uri)
			if err != nil {
				w.fail(err)
				continue
			}
			t0 := time.Now()
			n, err := fetch(ctx, w.client, ref.String(), io.Discard)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				w.fail(err)
				continue
			}
			w.res.Segments = append(w.res.Segments, time.Since(t0))
			w.res.Bytes += n
		}
	}
}

func (w *viewer) fail(err error) {
	w.res.Errors++
	if w.res.FirstError == nil {
		w.res.FirstError = err
	}
}

// MediaPlaylistURL reads a master playlist and returns the absolute URL of
// its first media playlist, as a player does once per session.
func MediaPlaylistURL(ctx context.Context, client *http.Client, master string) (string, error) {
	body, err := Get(ctx, client, master)
	if err != nil {
		return "", err
	}
	base, err := url.Parse(master)
	if err != nil {
		return "", err
	}
	uris := playlistURIs(body)
	if len(uris) == 0 {
		return "", fmt.Errorf("master playlist %s lists no media playlist", master)
	}
	ref, err := base.Parse(uris[0])
	if err != nil {
		return "", fmt.Errorf("master playlist %s: %w", master, err)
	}
	return ref.String(), nil
}

// playlistURIs returns the URI lines of an M3U8 playlist, in order: the
// lines that are neither empty nor tags or comments.
func playlistURIs(body []byte) []string {
	var uris []string
	for _, line := range strings.Split(string(body), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			uris = append(uris, line)
		}
	}
	return uris
}

// Get fetches url and fails on any status but 200.
func Get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	var body bytes.Buffer
	_, err := fetch(ctx, client, url, &body)
	return body.Bytes(), err
}

// fetch copies url's body to w and fails on any status but 200. It
// returns the body's length.
func fetch(ctx context.Context, client *http.Client, url string, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return 0, fmt.Errorf("GET %s: HTTP %d: %s", url, res.StatusCode, msg)
	}
	return io.Copy(w, res.Body)
}
