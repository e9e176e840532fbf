package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/internal/store/local"
)

// streamARN returns the ARN of a stream.
func streamARN(t *testing.T, srv *kvsdtest.Server, name string) string {
	t.Helper()
	r := srv.Post(t, "/describeStream", `{"StreamName":"`+name+`"}`)
	require.Equal(t, 200, r.Status, r.Body)
	var out struct{ StreamInfo struct{ StreamARN string } }
	require.NoError(t, json.Unmarshal([]byte(r.Body), &out))
	return out.StreamInfo.StreamARN
}

// stored stops the server and returns what its fragment store holds for
// each stream.
func stored(t *testing.T, srv *kvsdtest.Server, arns ...string) map[string][]store.Fragment {
	t.Helper()
	srv.Stop(t)
	media, err := local.OpenFragments(context.Background(), srv.DataDir, local.FragmentsOptions{})
	require.NoError(t, err)
	defer media.Close()
	out := map[string][]store.Fragment{}
	for _, arn := range arns {
		fs, err := media.List(context.Background(), store.FragmentQuery{Stream: arn})
		require.NoError(t, err)
		out[arn] = fs
	}
	return out
}

// TestPutMediaTimestamps checks the stored timestamps: ABSOLUTE cluster
// timecodes are the producer timestamps; RELATIVE ones count from
// x-amzn-producer-start-timestamp; the server timestamp is when the
// fragment started to arrive.
func TestPutMediaTimestamps(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "abs", 1)
	createStream(t, srv, "rel", 1)
	before := time.Now()

	abs := srv.PutMedia(t, kvsdtest.PutMediaHeaders("abs"),
		kvsdtest.NewBody(t).Cluster(1795620729825, video(3), nil, false).Cluster(1795620730825, video(3), nil, false).Bytes())
	abs.Close()
	requireAllPersisted(t, abs.Until(ackWait, never), 2)

	hdr := kvsdtest.PutMediaHeaders("rel")
	hdr["x-amzn-fragment-timecode-type"] = "RELATIVE"
	hdr["x-amzn-producer-start-timestamp"] = "1700000000.94" // the C SDK's unpadded 94 ms
	rel := srv.PutMedia(t, hdr, kvsdtest.NewBody(t).Cluster(0, video(3), nil, false).Cluster(2000, video(3), nil, false).Bytes())
	rel.Close()
	requireAllPersisted(t, rel.Until(ackWait, never), 2)
	after := time.Now()

	absARN, relARN := streamARN(t, srv, "abs"), streamARN(t, srv, "rel")
	got := stored(t, srv, absARN, relARN)
	require.Len(t, got[absARN], 2)
	require.Equal(t, time.UnixMilli(1795620729825), got[absARN][0].ProducerTimestamp.Local())
	require.Equal(t, time.UnixMilli(1795620730825), got[absARN][1].ProducerTimestamp.Local())
	require.Len(t, got[relARN], 2)
	require.Equal(t, time.UnixMilli(1700000000094), got[relARN][0].ProducerTimestamp.Local())
	require.Equal(t, time.UnixMilli(1700000002094), got[relARN][1].ProducerTimestamp.Local())
	for _, f := range append(got[absARN], got[relARN]...) {
		require.WithinRange(t, f.ServerTimestamp, before.Add(-time.Millisecond), after)
		require.Equal(t, 120*time.Millisecond, f.Duration, "3 frames 40 ms apart")
		require.NotZero(t, f.HeaderID)
	}
}

// TestPutMediaResentFragmentStoredOnce checks the store after a producer
// re-sent a persisted fragment on a new connection.
func TestPutMediaResentFragmentStoredOnce(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "once", 1)
	header := len(kvsdtest.NewBody(t).Bytes())
	fragB := kvsdtest.NewBody(t).Cluster(2000, video(3), nil, false).Bytes()[header:]
	first := srv.PutMedia(t, kvsdtest.PutMediaHeaders("once"), append(kvsdtest.NewBody(t).Cluster(1000, video(3), nil, false).Bytes(), fragB...))
	first.Close()
	requireAllPersisted(t, first.Until(ackWait, never), 2)
	second := srv.PutMedia(t, kvsdtest.PutMediaHeaders("once"), append(append(kvsdtest.NewBody(t).Bytes(), fragB...),
		kvsdtest.NewBody(t).Cluster(3000, video(3), nil, false).Bytes()[header:]...))
	second.Close()
	requireAllPersisted(t, second.Until(ackWait, never), 2)
	arn := streamARN(t, srv, "once")
	fs := stored(t, srv, arn)[arn]
	require.Len(t, fs, 3, "the re-sent fragment is kept once")
	for i, want := range []int64{1000, 2000, 3000} {
		require.Equal(t, want, fs[i].ProducerTimestamp.UnixMilli())
	}
}
