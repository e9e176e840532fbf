package producer

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/parser"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// h264Frame is one Annex B access unit of the test video.
type h264Frame struct {
	data []byte
	key  bool
}

var (
	h264Once   sync.Once
	h264Frames []h264Frame
	h264Err    error
)

// testH264 returns 10 s of 640x360 H.264 at 25 fps with a key frame every
// 25 frames (one per second, so one fragment per second), encoded by ffmpeg
// once per test run.
func testH264(t testing.TB) []h264Frame {
	t.Helper()
	h264Once.Do(func() { h264Frames, h264Err = encodeH264(10, 25, 25, 1_000_000) })
	require.NoError(t, h264Err)
	return h264Frames
}

// encodeH264 runs ffmpeg on its test pattern and splits the Annex B output
// into access units: x264 writes one slice per picture, so every VCL unit
// ends an access unit, with the parameter sets and SEI before it.
func encodeH264(seconds, fps, gop int, bitrate int) ([]h264Frame, error) {
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=640x360:rate=%d", fps), "-t", fmt.Sprint(seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
		"-g", fmt.Sprint(gop), "-keyint_min", fmt.Sprint(gop), "-sc_threshold", "0", "-bf", "0",
		"-b:v", fmt.Sprint(bitrate), "-f", "h264", "-")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %w: %s", err, stderr.String())
	}
	var frames []h264Frame
	var cur h264Frame
	for u := range parser.AnnexBUnits(out.Bytes()) {
		cur.data = append(append(cur.data, 0, 0, 0, 1), u...)
		switch parser.H264NALType(u) {
		case 5:
			cur.key = true
			fallthrough
		case 1:
			frames = append(frames, cur)
			cur = h264Frame{}
		}
	}
	if len(frames) != seconds*fps {
		return nil, fmt.Errorf("ffmpeg gave %d access units, want %d", len(frames), seconds*fps)
	}
	return frames, nil
}

// putH264 puts frames from index from to to (exclusive) at 40 ms steps.
func putH264(t testing.TB, s *Stream, frames []h264Frame, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		f := frames[i%len(frames)]
		ts := time.Duration(i) * 40 * time.Millisecond
		fr := Frame{TrackID: 1, DTS: ts, PTS: ts, Data: f.data}
		if f.key {
			fr.Flags = FrameKey
		}
		require.NoError(t, s.PutFrame(context.Background(), fr), "frame %d", i)
	}
}

// gotFrame is a frame read back from kvsd.
type gotFrame struct {
	fragment string
	track    uint64
	ms       int64
	key      bool
	data     []byte
}

// readBack lists every fragment of the stream and reads all of them with
// GetMediaForFragmentList, in producer-timestamp order.
func readBack(t testing.TB, srv *kvsdtest.Server, stream string) (frags []amtypes.Fragment, frames []gotFrame, chunks []*parser.Chunk) {
	t.Helper()
	st := srv.ReadBack(t, stream)
	for _, f := range st.Frames {
		frames = append(frames, gotFrame{fragment: f.Fragment, track: f.Track, ms: f.Timestamp.Milliseconds(), key: f.Key, data: f.Data})
	}
	return st.Fragments, frames, st.Chunks
}

// requireFrames checks that the stream holds exactly frames[0:n] of the
// test video, once each, in order, with the same bytes (as AVCC) and
// timestamps, in fragments of one second.
func requireFrames(t testing.TB, srv *kvsdtest.Server, stream string, origin time.Time, frames []h264Frame, n int) {
	t.Helper()
	frags, got, _ := readBack(t, srv, stream)
	if len(frags) != n/25 {
		for _, f := range frags {
			t.Logf("fragment %s producer %s size %d", aws.ToString(f.FragmentNumber), aws.ToTime(f.ProducerTimestamp).Format("05.000"), f.FragmentSizeInBytes)
		}
	}
	require.Equal(t, n/25, len(frags), "fragments")
	require.Len(t, got, n, "frames")
	seen := map[int64]bool{}
	for _, f := range frags {
		ms := aws.ToTime(f.ProducerTimestamp).UnixMilli()
		require.False(t, seen[ms], "two fragments at %d", ms)
		seen[ms] = true
	}
	for i, g := range got {
		want, err := adaptFrame(nil, CodecH264, 0, frames[i%len(frames)].data)
		require.NoError(t, err)
		require.Equal(t, origin.UnixMilli()+int64(i*40), g.ms, "frame %d timestamp", i)
		require.Equal(t, frames[i%len(frames)].key, g.key, "frame %d key flag", i)
		require.True(t, bytes.Equal(want, g.data), "frame %d bytes differ", i)
	}
}

// testProducer returns a producer for srv with short backoffs.
func testProducer(t testing.TB, srv *kvsdtest.Server, opts Options) *Producer {
	t.Helper()
	opts.Endpoint = srv.URL
	if opts.MinBackoff == 0 {
		opts.MinBackoff, opts.MaxBackoff = 20*time.Millisecond, 300*time.Millisecond
	}
	p, err := New(srv.AWSConfig(), opts)
	require.NoError(t, err)
	return p
}
