package server_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// openGetMedia starts a GetMedia request and returns its streaming body.
func openGetMedia(t testing.TB, srv *kvsdtest.Server, stream, selector string) io.ReadCloser {
	t.Helper()
	resp := srv.Open(t, http.MethodPost, "/getMedia", `{"StreamName":"`+stream+`","StartSelector":`+selector+`}`, kvsdtest.DefaultSigning(), nil)
	require.Equal(t, 200, resp.StatusCode)
	t.Cleanup(func() { resp.Body.Close() })
	return resp.Body
}

// liveEvent is what a reader saw, and when.
type liveEvent struct {
	kind mkv.Kind
	tags []string
}

// watch parses a GetMedia body as it streams and reports each event.
func watch(body io.Reader) <-chan liveEvent {
	out := make(chan liveEvent, 1024)
	go func() {
		defer close(out)
		r := mkv.NewReader(body, mkv.ReaderOptions{})
		for {
			kind, err := r.Next()
			if err != nil {
				return
			}
			ev := liveEvent{kind: kind}
			if kind == mkv.KindTags {
				if tags, err := r.Tags(); err == nil {
					for st := range tags.All() {
						ev.tags = append(ev.tags, st.Name)
					}
				}
			}
			out <- ev
		}
	}()
	return out
}

func waitFor(t *testing.T, events <-chan liveEvent, what string, match func(liveEvent) bool) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "stream ended before %s", what)
			if match(ev) {
				return
			}
		case <-timeout:
			t.Fatalf("no %s within 5 s", what)
		}
	}
}

// TestGetMediaForwardsFramesBeforeTheFragmentEnds checks that a live reader
// gets each frame as it arrives, for a stream with retention and for a
// stream without (whose media lives only in the live path).
func TestGetMediaForwardsFramesBeforeTheFragmentEnds(t *testing.T) {
	for _, retention := range []int{1, 0} {
		t.Run(map[int]string{1: "retention", 0: "no retention"}[retention], func(t *testing.T) {
			srv := kvsdtest.Start(t)
			createStream(t, srv, "live", retention)
			header := kvsdtest.NewBody(t).Bytes()
			conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("live"), header)
			events := watch(openGetMedia(t, srv, "live", `{"StartSelectorType":"NOW"}`))
			time.Sleep(100 * time.Millisecond)

			// One cluster, written frame by frame; the fragment ends only
			// with its END_OF_FRAGMENT tag.
			full := kvsdtest.NewBody(t).Cluster(7000, video(3), nil, true).Bytes()[len(header):]
			frame1 := 60 // cluster header, timecode and most of the first block are well within this
			conn.Write(full[:len(full)/3+frame1])
			waitFor(t, events, "the first frame", func(ev liveEvent) bool { return ev.kind == mkv.KindBlock })
			conn.Write(full[len(full)/3+frame1:])
			conn.Write(kvsdtest.NewBody(t).Tags(mkv.TagEndOfFragment, "").Bytes()[len(header):])
			waitFor(t, events, "the trailing KVS tags", func(ev liveEvent) bool {
				return ev.kind == mkv.KindTags && len(ev.tags) == 2 && ev.tags[1] == mkv.TagContinuationToken
			})
			conn.Close()
		})
	}
}
