package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/internal/store/local"
	"github.com/openkvs/openkvs/mkv"
)

// persistedFragment is one fragment the server acknowledged PERSISTED.
type persistedFragment struct {
	stream string
	number uint64
	media  []byte
}

func fragmentNumber(t *testing.T, s string) uint64 {
	t.Helper()
	require.Len(t, s, 47)
	n, err := strconv.ParseUint(s[11:], 10, 64)
	require.NoError(t, err)
	return n
}

// TestCrashKeepsPersistedFragments kills kvsd with SIGKILL while 50 streams
// ingest, then checks in the store that every fragment acknowledged
// PERSISTED is there, in order and byte for byte, and that kvsd restarts on
// the same data and ingests again.
func TestCrashKeepsPersistedFragments(t *testing.T) {
	const streams = 50
	bin := kvsdtest.BuildBinary(t)
	dir := t.TempDir()
	addr := kvsdtest.FreeAddr(t)
	kvsd := kvsdtest.StartProcess(t, bin, addr, dir)
	srv := kvsd.Server

	arns := make([]string, streams)
	for i := range arns {
		r := srv.Post(t, "/createStream", fmt.Sprintf(`{"StreamName":"crash-%d","DataRetentionInHours":1}`, i))
		require.Equal(t, 200, r.Status, r.Body)
		var out struct{ StreamARN string }
		require.NoError(t, json.Unmarshal([]byte(r.Body), &out))
		arns[i] = out.StreamARN
	}

	var (
		mu        sync.Mutex
		persisted []persistedFragment
		wg        sync.WaitGroup
	)
	header := kvsdtest.NewBody(t).Bytes()
	endOfFragment := kvsdtest.NewBody(t).Tags(mkv.TagEndOfFragment, "").Bytes()[len(header):]
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders(fmt.Sprintf("crash-%d", i)), header)
			if conn.Status != 200 {
				t.Errorf("stream %d: status %d", i, conn.Status)
				return
			}
			sent := map[int64][]byte{} // by cluster timecode
			var sentMu sync.Mutex
			go func() {
				for a := range conn.Acks {
					if a.EventType != "PERSISTED" {
						continue
					}
					sentMu.Lock()
					media := sent[*a.FragmentTimecode]
					sentMu.Unlock()
					mu.Lock()
					persisted = append(persisted, persistedFragment{arns[i], fragmentNumber(t, a.FragmentNumber), media})
					mu.Unlock()
				}
			}()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for k := 0; ; k++ {
				tc := int64(1_000_000 + k*1000)
				frames := kvsdtest.Video(3, 1000+rng.IntN(20000))
				// kvsd keeps the cluster and its metadata verbatim, and not
				// the END_OF_FRAGMENT marker.
				cluster := kvsdtest.NewBody(t).Cluster(uint64(tc), frames, map[string]string{"k": strconv.Itoa(k)}, true).Bytes()[len(header):]
				sentMu.Lock()
				sent[tc] = cluster
				sentMu.Unlock()
				if conn.TryWrite(append(cluster, endOfFragment...)) != nil {
					return // kvsd is gone
				}
				time.Sleep(time.Duration(5+rng.IntN(20)) * time.Millisecond)
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	kvsd.Kill(t)
	wg.Wait()

	mu.Lock()
	acked := append([]persistedFragment(nil), persisted...)
	mu.Unlock()
	require.Greater(t, len(acked), streams, "fragments were persisted before the kill")

	// The store opens cleanly on what the killed process left.
	ctx := context.Background()
	media, err := local.OpenFragments(ctx, dir, local.FragmentsOptions{})
	require.NoError(t, err)
	for _, p := range acked {
		f, err := media.Get(ctx, p.stream, p.number)
		require.NoError(t, err, "acked fragment %d of %s", p.number, p.stream)
		got, err := media.ReadMedia(ctx, f, nil)
		require.NoError(t, err)
		require.Equal(t, p.media, got, "fragment %d is byte-identical", p.number)
	}
	for _, arn := range arns {
		fs, err := media.List(ctx, store.FragmentQuery{Stream: arn})
		require.NoError(t, err)
		for i := 1; i < len(fs); i++ {
			require.Greater(t, fs[i].Number, fs[i-1].Number, "listed in order")
			require.True(t, fs[i].ProducerTimestamp.After(fs[i-1].ProducerTimestamp))
		}
	}
	require.NoError(t, media.Close())
	t.Logf("%d fragments acked PERSISTED before SIGKILL; all present and identical", len(acked))

	// kvsd restarts on the same data and ingest continues.
	kvsdtest.StartProcess(t, bin, addr, dir)
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("crash-0"), kvsdtest.NewBody(t).Cluster(9_000_000, video(3), nil, false).Bytes())
	require.Equal(t, 200, conn.Status, conn.ErrorBody)
	got := conn.Until(ackWait, isPersisted)
	require.Equal(t, "PERSISTED", got[len(got)-1].EventType)
	conn.Close()
}
