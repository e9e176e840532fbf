package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/internal/prefault"
)

// Ingest takes its fragment and Matroska buffers from prefault's pool,
// outside the Go heap, so nothing but the session gives them back: it must
// do so for a fragment that outgrew its buffer, one dropped for its size,
// and at the end of the body; the store gives its batch blocks back when
// it closes. A buffer given back while still in use would be handed to
// the next session, so the acks and the stored bytes are checked too.
func TestPutMediaGivesPooledBuffersBack(t *testing.T) {
	before := prefault.ReadStats().InUse
	srv := kvsdtest.Start(t, func(c *config.Config) { c.MaxFragmentSize = 1_000_000 })
	require.Equal(t, 200, srv.Post(t, "/createStream", `{"StreamName":"pooled","DataRetentionInHours":1}`).Status)

	first, last := patterned(kvsdtest.Video(3, 200_000), 1), patterned(video(3), 2)
	body := kvsdtest.NewBody(t).
		Cluster(1000, first, nil, false).                      // 600 KB: outgrows 256 KiB, then 512 KiB
		Cluster(2000, kvsdtest.Video(3, 400_000), nil, false). // 1.2 MB: over the limit, dropped
		Cluster(3000, last, nil, false).Bytes()
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("pooled"), body)
	var events []string
	acks := conn.Until(10*time.Second, func(a kvsdtest.Ack) bool {
		events = append(events, a.EventType)
		return a.EventType == "PERSISTED" && a.FragmentTimecode != nil && *a.FragmentTimecode == 3000
	})
	require.Len(t, acks, len(events))
	require.Contains(t, events, "ERROR")
	if pooled := prefault.ReadStats().InUse - before; pooled < 256<<10 {
		t.Fatalf("%d bytes of pooled buffers in use during the session: ingest does not use the pool, nothing to check", pooled)
	}
	conn.Close()
	for _, ok := conn.Next(10 * time.Second); ok; _, ok = conn.Next(10 * time.Second) {
	}

	got := srv.ReadBack(t, "pooled")
	require.Len(t, got.Fragments, 2, "the first and the last fragment are stored")
	want := append(first, last...)
	require.Len(t, got.Frames, len(want))
	for i, f := range got.Frames {
		require.Equal(t, want[i].Data, f.Data, "frame %d", i)
	}

	srv.Stop(t)
	require.Eventually(t, func() bool { return prefault.ReadStats().InUse == before }, 5*time.Second, 10*time.Millisecond,
		"pooled buffers still out after kvsd stopped: %d bytes", prefault.ReadStats().InUse-before)
}

// patterned gives each frame its own bytes, so that a frame stored from the
// wrong buffer cannot pass for the right one.
func patterned(frames []kvsdtest.Frame, seed int) []kvsdtest.Frame {
	for i := range frames {
		for j := range frames[i].Data {
			frames[i].Data[j] = byte(seed*31 + i*7 + j)
		}
	}
	return frames
}
