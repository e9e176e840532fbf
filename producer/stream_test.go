package producer

import (
	"context"
	"errors"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// offlineStream returns a stream with no uploader: nothing is ever
// acknowledged, so the content store's bounds decide what stays.
func offlineStream(t *testing.T, def StreamDefinition) *Stream {
	t.Helper()
	if def.Name == "" {
		def.Name = "unit"
	}
	def = def.withDefaults(time.Unix(1_800_000_000, 0))
	require.NoError(t, def.validate())
	s, err := newStream(def)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = s.Close(ctx)
	})
	return s
}

// putSynthetic puts frame i of a 25 fps stream with a key frame every gop
// frames and size octets of opaque data (no NAL adaptation).
func putSynthetic(s *Stream, i, gop, size int) error {
	ts := time.Duration(i) * 40 * time.Millisecond
	f := Frame{TrackID: 1, DTS: ts, PTS: ts, Data: make([]byte, size)}
	if i%gop == 0 {
		f.Flags = FrameKey
	}
	return s.PutFrame(context.Background(), f)
}

func rawTrack() []Track {
	return []Track{{ID: 1, Name: "v", CodecID: "V_MJPEG", Type: TrackVideo, Width: 64, Height: 64}}
}

func TestContentStoreDurationBoundDropsOldestFragments(t *testing.T) {
	var dropped []FragmentInfo
	done := make(chan struct{}, 100)
	s := offlineStream(t, StreamDefinition{Tracks: rawTrack(), BufferDuration: 20 * time.Second,
		Callbacks: Callbacks{FragmentDropped: func(f FragmentInfo, err error) {
			if errors.Is(err, ErrStorageFull) { // not the ones Close reports
				dropped = append(dropped, f)
				done <- struct{}{}
			}
		}}})
	for i := range 30 * 25 { // 30 s, one fragment per second
		require.NoError(t, putSynthetic(s, i, 25, 100))
	}
	m := s.Metrics()
	require.LessOrEqual(t, m.OverallViewDuration, 20*time.Second)
	require.GreaterOrEqual(t, m.OverallViewDuration, 19*time.Second)
	require.EqualValues(t, 10, m.FragmentsDropped)
	require.EqualValues(t, 250, m.FramesDropped)
	for range 10 {
		<-done
	}
	require.Len(t, dropped, 10)
	for i, f := range dropped { // oldest first, whole fragments
		require.Equal(t, time.Duration(i)*time.Second, f.Start)
		require.Equal(t, 25, f.Frames)
		require.False(t, f.Sent)
	}
}

func TestContentStoreByteBound(t *testing.T) {
	frameDrops := make(chan error, 10)
	s := offlineStream(t, StreamDefinition{Tracks: rawTrack(), MaxBufferBytes: 1 << 20,
		Callbacks: Callbacks{FrameDropped: func(_ uint64, _ time.Duration, err error) { frameDrops <- err }}})
	// 10 KB frames: one fragment is 250 KB; the store holds 4 of them.
	for i := range 10 * 25 {
		require.NoError(t, putSynthetic(s, i, 25, 10_000))
	}
	m := s.Metrics()
	require.LessOrEqual(t, m.OverallViewSize, int64(1<<20))
	require.EqualValues(t, 6, m.FragmentsDropped)
	// A frame larger than the whole store is refused, and so is the rest
	// of its GOP; the next key frame starts again.
	big := Frame{TrackID: 1, DTS: 10 * time.Second, PTS: 10 * time.Second, Data: make([]byte, 2<<20)}
	require.ErrorIs(t, s.PutFrame(context.Background(), big), ErrStorageFull)
	require.ErrorIs(t, <-frameDrops, ErrStorageFull)
	require.ErrorIs(t, putSynthetic(s, 251, 25, 10), ErrInvalidFrame)
	require.NoError(t, putSynthetic(s, 275, 25, 10))
}

func TestFragmentation(t *testing.T) {
	t.Run("key frames", func(t *testing.T) {
		s := offlineStream(t, StreamDefinition{Tracks: rawTrack()})
		for i := range 100 { // key frame every 10 frames (400 ms)
			require.NoError(t, putSynthetic(s, i, 10, 10))
		}
		require.EqualValues(t, 9, s.Metrics().FragmentsPut)
	})
	t.Run("duration", func(t *testing.T) {
		s := offlineStream(t, StreamDefinition{Tracks: rawTrack(), NoKeyFrameFragmentation: true})
		for i := range 100 { // 4 s, key frame every 400 ms: fragments of 2 s
			require.NoError(t, putSynthetic(s, i, 10, 10))
		}
		require.EqualValues(t, 1, s.Metrics().FragmentsPut)
		s.mu.Lock()
		require.Len(t, s.store.frags, 2)
		require.Equal(t, 2*time.Second, s.store.frags[1].start)
		s.mu.Unlock()
	})
	t.Run("too long", func(t *testing.T) {
		s := offlineStream(t, StreamDefinition{Tracks: rawTrack(), MaxFragmentDuration: 2 * time.Second})
		require.NoError(t, putSynthetic(s, 0, 1000, 10))
		// A frame at exactly MaxFragmentDuration is too late: the
		// fragment's duration counts the last frame's duration.
		for i := 1; i < 50; i++ {
			require.NoError(t, putSynthetic(s, i, 1000, 10))
		}
		require.ErrorIs(t, putSynthetic(s, 50, 1000, 10), ErrFragmentTooLong)
		require.ErrorIs(t, putSynthetic(s, 51, 1000, 10), ErrInvalidFrame)
	})
	t.Run("forced", func(t *testing.T) {
		s := offlineStream(t, StreamDefinition{Tracks: rawTrack(), MaxFragmentDuration: 2 * time.Second, ForceFragment: true})
		for i := range 101 { // new fragments at 2 s and 4 s
			require.NoError(t, putSynthetic(s, i, 1000, 10))
		}
		require.EqualValues(t, 2, s.Metrics().FragmentsPut)
	})
}

func TestPutFrameChecks(t *testing.T) {
	s := offlineStream(t, StreamDefinition{Tracks: rawTrack()})
	ctx := context.Background()
	require.ErrorIs(t, s.PutFrame(ctx, Frame{TrackID: 9, Data: []byte{1}}), ErrInvalidFrame)
	require.ErrorIs(t, s.PutFrame(ctx, Frame{TrackID: 1, Flags: FrameKey}), ErrInvalidFrame)
	require.ErrorIs(t, s.PutFrame(ctx, Frame{TrackID: 1, Data: []byte{1}}), ErrInvalidFrame, "no key frame yet")
	require.ErrorIs(t, s.PutFrame(ctx, Frame{TrackID: 1, Flags: FrameKey, DTS: 0, PTS: 40 * time.Millisecond, Data: []byte{1}}), ErrInvalidFrame, "PTS != DTS")
	require.NoError(t, s.PutFrame(ctx, Frame{TrackID: 1, Flags: FrameKey, DTS: time.Second, PTS: time.Second, Data: []byte{1}}))
	require.ErrorIs(t, s.PutFrame(ctx, Frame{TrackID: 1, DTS: 500 * time.Millisecond, PTS: time.Second, Data: []byte{1}}), ErrTimestampOrder)
	// A key frame in the same millisecond as the previous fragment's last
	// frame would get 4004.
	require.NoError(t, s.PutFrame(ctx, Frame{TrackID: 1, DTS: 1040 * time.Millisecond, PTS: 1040 * time.Millisecond, Data: []byte{1}}))
	err := s.PutFrame(ctx, Frame{TrackID: 1, Flags: FrameKey, DTS: 1040*time.Millisecond + 300*time.Microsecond, PTS: 1040*time.Millisecond + 300*time.Microsecond, Data: []byte{1}})
	require.ErrorIs(t, err, ErrTimestampOrder)
}

func TestWallClockTimecodes(t *testing.T) {
	s := offlineStream(t, StreamDefinition{Tracks: rawTrack(), NoFrameTimecodes: true, Origin: time.Now()})
	for i := range 5 { // faster than a millisecond apart: still increasing
		f := Frame{TrackID: 1, Data: []byte{byte(i)}}
		if i%2 == 0 {
			f.Flags = FrameKey
		}
		require.NoError(t, s.PutFrame(context.Background(), f))
	}
	require.EqualValues(t, 2, s.Metrics().FragmentsPut)
}

func TestFragmentMetadataLimits(t *testing.T) {
	s := offlineStream(t, StreamDefinition{Tracks: rawTrack()})
	long := func(n int) string { return string(make([]byte, n)) }
	for _, tc := range []struct{ name, value string }{
		{"", "v"}, {"AWS_X", "v"}, {"AWSfoo", "v"}, {long(129), "v"}, {"n", long(257)},
	} {
		require.ErrorIs(t, s.PutFragmentMetadata(tc.name, tc.value, false), ErrInvalidMetadata, tc.name)
	}
	require.NoError(t, s.PutFragmentMetadata(long(128), long(256), false))
	for i := range 4 {
		require.NoError(t, s.PutFragmentMetadata("p", "v", true), i) // replaces itself
	}
	for i := range 8 {
		require.NoError(t, s.PutFragmentMetadata("n", "v", false), i)
	}
	require.ErrorIs(t, s.PutFragmentMetadata("n", "v", false), ErrInvalidMetadata, "11th item")
	require.NoError(t, s.PutFragmentMetadata("p", "", true), "removing a persistent item")
	require.NoError(t, s.PutFragmentMetadata("n", "v", false))
	s.mu.Lock()
	items := s.meta.take()
	again := s.meta.take()
	s.mu.Unlock()
	require.Len(t, items, 10)
	require.Empty(t, again)
	require.NoError(t, s.PutFragmentMetadata("p2", "v", true))
	s.mu.Lock()
	require.Len(t, s.meta.take(), 1)
	require.Len(t, s.meta.take(), 1, "persistent items repeat")
	s.mu.Unlock()
}

func TestReactionFor(t *testing.T) {
	for id, want := range map[int]Reaction{
		4000: ReactionResend, 4003: ReactionResend, 4004: ReactionResend, 4006: ReactionResend, 5000: ReactionResend, 5001: ReactionResend, 9999: ReactionResend,
		4001: ReactionDropFragment, 4002: ReactionDropFragment, 4009: ReactionDropFragment, 4011: ReactionDropFragment, 4012: ReactionDropFragment,
		4005: ReactionStop, 4007: ReactionStop, 4008: ReactionStop, 4500: ReactionStop, 4507: ReactionStop,
	} {
		require.Equal(t, want, ReactionFor(id), "%d", id)
	}
	err := error(&AckError{ErrorID: 4008, Reaction: ReactionStop})
	require.True(t, errors.Is(err, ErrStreamFailed))
	require.False(t, errors.Is(&AckError{ErrorID: 5000, Reaction: ReactionResend}, ErrStreamFailed))
}

func TestDefinitionValidation(t *testing.T) {
	bad := []StreamDefinition{
		{},
		{Name: "bad name"},
		{Name: "x", Retention: 30 * time.Minute},
		{Name: "x", Tracks: []Track{{ID: 1, CodecID: "A", Type: TrackAudio}, {ID: 2, CodecID: "A", Type: TrackAudio}, {ID: 3, CodecID: "A", Type: TrackAudio}, {ID: 4, CodecID: "A", Type: TrackAudio}}},
		{Name: "x", Tracks: []Track{{ID: 1, CodecID: "A", Type: TrackAudio}, {ID: 1, CodecID: "A", Type: TrackAudio}}},
		{Name: "x", MaxFragmentDuration: 21 * time.Second},
		{Name: "x", BufferDuration: time.Second},
		{Name: "x", NALAdaptation: NALAdaptAnnexBFrames | NALAdaptAVCCFrames},
		{Name: "x", AverageBitrate: -1},
	}
	for i, d := range bad {
		d = d.withDefaults(time.Now())
		require.ErrorIs(t, d.validate(), ErrInvalidDefinition, "%d", i)
	}
	d := StreamDefinition{Name: "ok"}.withDefaults(time.Now())
	require.NoError(t, d.validate())
	require.Equal(t, 2*time.Second, d.FragmentDuration)
	require.Equal(t, time.Hour, d.Retention)
	require.Equal(t, "video/h264", d.ContentType)
	require.Equal(t, 120*time.Second, d.BufferDuration)
	require.Len(t, d.Tracks, 1)
	require.False(t, d.NoKeyFrameFragmentation || d.NoFrameTimecodes || d.RelativeFragmentTimes)
	require.Zero(t, StreamDefinition{Name: "x", NoRetention: true}.withDefaults(time.Now()).Retention)
}

// TestEndFragment: EndFragment completes the fragment at once; the next
// fragment must start with a key frame.
func TestEndFragment(t *testing.T) {
	s := offlineStream(t, StreamDefinition{Tracks: rawTrack()})
	for i := range 25 {
		require.NoError(t, putSynthetic(s, i, 25, 100))
	}
	require.Zero(t, s.Metrics().FragmentsPut, "the fragment is open until its end is known")
	s.EndFragment()
	require.EqualValues(t, 1, s.Metrics().FragmentsPut)
	s.EndFragment() // nothing open: no effect
	require.EqualValues(t, 1, s.Metrics().FragmentsPut)
	// Frame 25 is a key frame; a non-key frame before it is refused.
	ts := 25 * 40 * time.Millisecond
	err := s.PutFrame(context.Background(), Frame{TrackID: 1, DTS: ts, PTS: ts, Data: make([]byte, 100)})
	require.ErrorIs(t, err, ErrInvalidFrame)
	require.NoError(t, putSynthetic(s, 25, 25, 100))
	require.NoError(t, putSynthetic(s, 26, 25, 100))
	s.EndFragment()
	require.EqualValues(t, 2, s.Metrics().FragmentsPut)
}

// TestAverageBitratePreparesBuffers: with AverageBitrate, the buffers of
// the first two fragments exist before the first frame, at the size the
// bitrate gives, and those fragments are written into them.
func TestAverageBitratePreparesBuffers(t *testing.T) {
	const frameSize = 10_000 // 25 frames a fragment: 2 Mbit/s
	s := offlineStream(t, StreamDefinition{Tracks: rawTrack(), FragmentDuration: time.Second, AverageBitrate: 2_000_000})
	require.Len(t, s.spares, 2)
	var prepared []*byte
	for _, b := range s.spares {
		require.GreaterOrEqual(t, cap(b), 25*frameSize)
		prepared = append(prepared, unsafe.SliceData(b[:1]))
	}
	for k := range 2 {
		for i := range 25 {
			require.NoError(t, putSynthetic(s, k*25+i, 25, frameSize))
		}
		require.Equal(t, prepared[k], unsafe.SliceData(s.cur.data), "fragment %d", k)
		s.EndFragment()
	}
	require.Empty(t, s.spares)

	// Without a bitrate, or with one whose buffers would not fit in the
	// content store, nothing is allocated ahead.
	require.Empty(t, offlineStream(t, StreamDefinition{Tracks: rawTrack()}).spares)
	require.Empty(t, offlineStream(t, StreamDefinition{Tracks: rawTrack(), AverageBitrate: 1 << 40}).spares)
}
