package producer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// closeCtx closes s within a generous deadline.
func closeStream(t testing.TB, s *Stream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Close(ctx))
}

// TestUploadH264 creates the stream, uploads 10 fragments of real H.264
// (Annex B, codec private data from the first key frame) with metadata,
// and reads every frame back with identical bytes and timestamps.
func TestUploadH264(t *testing.T) {
	srv := kvsdtest.Start(t)
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	var persisted atomic.Int64
	var states []ConnectionState
	var mu sync.Mutex
	origin := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	s, err := p.NewStream(context.Background(), StreamDefinition{
		Name:   "h264",
		Origin: origin,
		Tags:   map[string]string{"camera": "front"},
		Callbacks: Callbacks{
			FragmentAck: func(a Ack) {
				if a.Event == EventPersisted {
					persisted.Add(1)
				}
			},
			ConnectionState: func(st ConnectionState, _ error) {
				mu.Lock()
				states = append(states, st)
				mu.Unlock()
			},
		},
	})
	require.NoError(t, err)
	require.NoError(t, s.PutFragmentMetadata("site", "lab", true))
	require.NoError(t, s.PutFragmentMetadata("once", "first", false))
	putH264(t, s, frames, 0, len(frames))
	closeStream(t, s)

	requireFrames(t, srv, "h264", origin, frames, len(frames))
	require.EqualValues(t, 10, persisted.Load())
	m := s.Metrics()
	require.EqualValues(t, 10, m.FragmentsPut)
	require.EqualValues(t, 10, m.FragmentsAcked)
	require.EqualValues(t, 250, m.FramesPut)
	require.Zero(t, m.OverallViewSize)
	require.Positive(t, m.AvgPersistedLatency)
	require.EqualValues(t, 1, m.Connections)
	mu.Lock()
	require.Equal(t, []ConnectionState{StateConnecting, StateConnected, StateDisconnected, StateClosed}, states)
	mu.Unlock()

	// Tags, retention and the stream's header as created.
	tags, err := srv.KinesisVideo().ListTagsForStream(context.Background(), &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("h264")})
	require.NoError(t, err)
	require.Equal(t, "front", tags.Tags["camera"])
	_, _, chunks := readBack(t, srv, "h264")
	require.Len(t, chunks, 10)
	tr := chunks[0].Tracks[0]
	require.Equal(t, CodecH264, tr.CodecID)
	require.EqualValues(t, 640, tr.Video.PixelWidth)
	require.EqualValues(t, 360, tr.Video.PixelHeight)
	require.NotEmpty(t, tr.CodecPrivate)
	for i, c := range chunks {
		var names []string
		for _, st := range c.Tags {
			names = append(names, st.Name+"="+st.String)
		}
		if i == 0 {
			require.Equal(t, []string{"site=lab", "once=first"}, names)
		} else {
			require.Equal(t, []string{"site=lab"}, names, "chunk %d", i)
		}
	}
}

// TestUploadThroughCutConnections cuts the PutMedia connection 20 times at
// random points: every fragment is stored exactly once.
func TestUploadThroughCutConnections(t *testing.T) {
	// Only PutMedia is cut, somewhere in its first 600 KB: in the header, a
	// cluster or between fragments.
	addr := kvsdtest.FreeAddr(t)
	proxy := kvsdtest.NewCutProxy(t, addr, kvsdtest.CutOptions{Cuts: 20, Upstream: true, Prefix: "POST /putMedia",
		MinOctets: 100, MaxOctets: 600_100, Seed: uint64(time.Now().UnixNano())})
	// Every request goes through the proxy, which cuts only PutMedia.
	srv := kvsdtest.Start(t, func(c *config.Config) {
		c.Listen = addr
		c.AdvertiseURL = proxy.URL()
		c.PutMediaConnectionsPerSec = 1000
	})
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	origin := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	// The test puts media much faster than real time: a buffer of an hour
	// of stream time keeps the content store from dropping any.
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "cut", Origin: origin, BufferDuration: time.Hour})
	require.NoError(t, err)
	// One fragment at a time, with some pacing so that cuts land on
	// fragments in flight, until the proxy has cut 20 connections.
	n := 0
	for ; n < 10*25 || proxy.Cut() < 20 && n < 400*25; n += 25 {
		putH264(t, s, frames, n, n+25)
		time.Sleep(20 * time.Millisecond)
	}
	closeStream(t, s)
	require.EqualValues(t, 20, proxy.Cut(), "cuts")
	// Every frame arrived once, with its bytes and timestamp.
	_, got, _ := readBack(t, srv, "cut")
	byMS := map[int64][]byte{}
	for _, g := range got {
		if prev, ok := byMS[g.ms]; ok {
			require.Equal(t, prev, g.data, "copies of the frame at %d ms differ", g.ms)
		}
		byMS[g.ms] = g.data
	}
	require.Zero(t, s.Metrics().FragmentsDropped)
	require.Equal(t, n, len(byMS), "distinct frames")
	for i := range n {
		want, err := adaptFrame(nil, CodecH264, 0, frames[i%len(frames)].data)
		require.NoError(t, err)
		require.Equal(t, want, byMS[origin.UnixMilli()+int64(i*40)], "frame %d", i)
	}
	require.Len(t, got, n, "frames stored: a resent fragment was stored twice")
	m := s.Metrics()
	require.GreaterOrEqual(t, m.ConnectionErrors, uint64(20))
	require.Positive(t, m.Retransmissions)
}

// TestUploadAcrossServerRestart restarts kvsd in the middle of the upload;
// the producer reconnects and every fragment is stored once.
func TestUploadAcrossServerRestart(t *testing.T) {
	srv := kvsdtest.Start(t, func(c *config.Config) { c.ShutdownTimeout = 100 * time.Millisecond })
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	origin := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "restart", Origin: origin})
	require.NoError(t, err)
	putH264(t, s, frames, 0, 100)
	waitFor(t, func() bool { return s.Metrics().FragmentsAcked >= 2 })
	srv.Restart(t)
	putH264(t, s, frames, 100, 250)
	closeStream(t, s)
	requireFrames(t, srv, "restart", origin, frames, 250)
}

// TestRotation ends connections after a short maximum duration; nothing is
// lost or duplicated across the rotations.
func TestRotation(t *testing.T) {
	srv := kvsdtest.Start(t, func(c *config.Config) { c.PutMediaConnectionsPerSec = 1000 })
	frames := testH264(t)
	p := testProducer(t, srv, Options{MaxConnectionDuration: 150 * time.Millisecond})
	origin := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "rotate", Origin: origin})
	require.NoError(t, err)
	for i := 0; i < len(frames); i += 25 {
		putH264(t, s, frames, i, i+25)
		time.Sleep(100 * time.Millisecond)
	}
	closeStream(t, s)
	m := s.Metrics()
	require.GreaterOrEqual(t, m.Connections, uint64(3))
	require.Zero(t, m.ConnectionErrors)
	requireFrames(t, srv, "rotate", origin, frames, len(frames))
}

// TestRetentionZeroReleasedOnReceived: a stream without retention gets no
// PERSISTED; its fragments are released on RECEIVED.
func TestRetentionZeroReleasedOnReceived(t *testing.T) {
	srv := kvsdtest.Start(t)
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	var events sync.Map
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "live", NoRetention: true,
		Callbacks: Callbacks{FragmentAck: func(a Ack) { events.Store(a.Event, true) }}})
	require.NoError(t, err)
	putH264(t, s, frames, 0, 100)
	closeStream(t, s)
	m := s.Metrics()
	require.EqualValues(t, 4, m.FragmentsAcked)
	_, persisted := events.Load(EventPersisted)
	require.False(t, persisted)
	_, received := events.Load(EventReceived)
	require.True(t, received)
}

// TestCloseFlushesFragmentInProgress: Close ends the open fragment and
// waits for its ack; the last, short fragment is stored too.
func TestCloseFlushesFragmentInProgress(t *testing.T) {
	srv := kvsdtest.Start(t)
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	origin := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "flush", Origin: origin})
	require.NoError(t, err)
	putH264(t, s, frames, 0, 60) // 2 fragments and 10 frames of a third
	closeStream(t, s)
	frags, got, _ := readBack(t, srv, "flush")
	require.Len(t, frags, 3)
	require.Len(t, got, 60)
	require.ErrorIs(t, s.PutFrame(context.Background(), Frame{TrackID: 1, Data: []byte{1}}), ErrClosed)
	require.NoError(t, s.Close(context.Background()), "second Close")
}

// TestCloseReportsUndelivered: with the service gone, Close returns when
// its context ends and lists what was not delivered.
func TestCloseReportsUndelivered(t *testing.T) {
	srv := kvsdtest.Start(t)
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	var dropped atomic.Int64
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "gone",
		Callbacks: Callbacks{FragmentDropped: func(FragmentInfo, error) { dropped.Add(1) }}})
	require.NoError(t, err)
	srv.Stop(t)
	putH264(t, s, frames, 0, 50)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = s.Close(ctx)
	var nf *NotFlushedError
	require.ErrorAs(t, err, &nf)
	require.ErrorIs(t, err, ErrNotFlushed)
	require.Len(t, nf.Undelivered, 2)
	require.Equal(t, 50, nf.Undelivered[0].Frames+nf.Undelivered[1].Frames)
	require.EqualValues(t, 2, dropped.Load())
}

// TestErrorAckDropsFragment sends a fragment kvsd must reject (a track
// with no frames: 4011 FRAMES_MISSING_FOR_TRACK); the library drops it,
// reports it, and the next fragments are stored.
func TestErrorAckDropsFragment(t *testing.T) {
	srv := kvsdtest.Start(t)
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	var mu sync.Mutex
	var ackErrs []error
	var droppedTC []int64
	origin := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "bad", Origin: origin,
		Tracks: []Track{
			{ID: 1, Name: "video", CodecID: CodecH264, Type: TrackVideo},
			{ID: 2, Name: "audio", CodecID: CodecOpus, Type: TrackAudio, SampleRate: 48000, Channels: 2},
		},
		Callbacks: Callbacks{
			Error: func(err error) { mu.Lock(); ackErrs = append(ackErrs, err); mu.Unlock() },
			FragmentDropped: func(f FragmentInfo, _ error) {
				mu.Lock()
				droppedTC = append(droppedTC, f.Timecode)
				mu.Unlock()
			},
		}})
	require.NoError(t, err)
	audio := func(i int) {
		ts := time.Duration(i)*40*time.Millisecond + 5*time.Millisecond
		require.NoError(t, s.PutFrame(context.Background(), Frame{TrackID: 2, Flags: FrameKey, DTS: ts, PTS: ts, Data: []byte{0xfc, byte(i)}}))
	}
	for i := range 75 {
		putH264(t, s, frames, i, i+1)
		if i < 25 || i >= 50 { // the second fragment has no audio
			audio(i)
		}
	}
	closeStream(t, s)
	mu.Lock()
	require.Len(t, ackErrs, 1)
	var ae *AckError
	require.ErrorAs(t, ackErrs[0], &ae)
	require.Equal(t, 4011, ae.ErrorID)
	require.Equal(t, ReactionDropFragment, ae.Reaction)
	require.Equal(t, []int64{origin.UnixMilli() + 1000}, droppedTC)
	mu.Unlock()
	frags, got, _ := readBack(t, srv, "bad")
	require.Len(t, frags, 2)
	require.Len(t, got, 100)
	require.EqualValues(t, 1, s.Metrics().FragmentsDropped)
}

// TestStreamDeletedStops: ERROR 4008 (stream not active) stops the
// stream; PutFrame and Close return ErrStreamFailed.
func TestStreamDeletedStops(t *testing.T) {
	srv := kvsdtest.Start(t)
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "deleted"})
	require.NoError(t, err)
	putH264(t, s, frames, 0, 30)
	waitFor(t, func() bool { return s.Metrics().FragmentsAcked >= 1 })
	kv := srv.KinesisVideo()
	d, err := kv.DescribeStream(context.Background(), &kinesisvideo.DescribeStreamInput{StreamName: aws.String("deleted")})
	require.NoError(t, err)
	_, err = kv.DeleteStream(context.Background(), &kinesisvideo.DeleteStreamInput{StreamARN: d.StreamInfo.StreamARN})
	require.NoError(t, err)
	i := 30
	waitFor(t, func() bool {
		// Key frames, so that fragments complete and get acks.
		ts := time.Duration(i) * 40 * time.Millisecond
		i++
		err := s.PutFrame(context.Background(), Frame{TrackID: 1, Flags: FrameKey, Data: frames[0].data, PTS: ts, DTS: ts})
		return errors.Is(err, ErrStreamFailed)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.ErrorIs(t, s.Close(ctx), ErrStreamFailed)
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUploadAcrossKill kills kvsd with SIGKILL in the middle of a
// 100-fragment upload and starts it again 5 s later on the same address and
// data: the producer keeps buffering, reconnects, resends what was not
// acknowledged, and the stream holds each fragment exactly once.
func TestUploadAcrossKill(t *testing.T) {
	bin := kvsdtest.BuildBinary(t)
	addr, dir := kvsdtest.FreeAddr(t), t.TempDir()
	kvsd := kvsdtest.StartProcess(t, bin, addr, dir)
	frames := testH264(t)
	p := testProducer(t, kvsd.Server, Options{})
	origin := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "killed", Origin: origin, BufferDuration: time.Hour})
	require.NoError(t, err)
	const fragments = 100
	var killed time.Time
	for k := range fragments {
		if k == fragments/2 {
			waitFor(t, func() bool { return s.Metrics().FragmentsAcked >= 10 })
			kvsd.Kill(t)
			killed = time.Now()
		}
		putH264(t, s, frames, k*25, (k+1)*25)
		time.Sleep(10 * time.Millisecond)
	}
	// The second half was put while kvsd was down.
	require.Less(t, s.Metrics().FragmentsAcked, uint64(fragments))
	time.Sleep(time.Until(killed.Add(5 * time.Second)))
	kvsdtest.StartProcess(t, bin, addr, dir)
	closeStream(t, s)
	requireFrames(t, kvsd.Server, "killed", origin, frames, fragments*25)
	m := s.Metrics()
	require.Positive(t, m.ConnectionErrors)
	require.Zero(t, m.FragmentsDropped)
}

// TestUploadRelativeTimecodes sends cluster timecodes relative to the
// stream's Origin, which PutMedia carries as the producer start timestamp:
// kvsd stores the absolute producer times, and the chunks keep the
// relative timecodes as they were sent.
func TestUploadRelativeTimecodes(t *testing.T) {
	srv := kvsdtest.Start(t)
	frames := testH264(t)
	p := testProducer(t, srv, Options{})
	origin := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	s, err := p.NewStream(context.Background(), StreamDefinition{Name: "relative", Origin: origin, RelativeFragmentTimes: true})
	require.NoError(t, err)
	putH264(t, s, frames, 0, 100)
	closeStream(t, s)

	frags, got, _ := readBack(t, srv, "relative")
	require.Len(t, frags, 4)
	for k, f := range frags {
		require.Equal(t, origin.Add(time.Duration(k)*time.Second).UnixMilli(), aws.ToTime(f.ProducerTimestamp).UnixMilli(), "fragment %d", k)
	}
	require.Len(t, got, 100)
	for i, g := range got {
		require.Equal(t, int64(i*40), g.ms, "frame %d: relative timecode as sent", i)
	}
}
