package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/internal/mediasource"
	"github.com/openkvs/openkvs/internal/mediasource/rtsptest"
	"github.com/openkvs/openkvs/producer"
)

// ffmpegFile makes a test file with ffmpeg and returns its path.
func ffmpegFile(t *testing.T, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-loglevel", "error"}, args...), out)...)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	return out
}

// kvsctlIn runs one kvsctl command line with stdin, as main does.
func kvsctlIn(ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	var o, e bytes.Buffer
	cmd := newRootCmd(&o, &e)
	cmd.SetIn(stdin)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(ctx)
	return o.String(), e.String(), err
}

// sourceFrames reads every frame of a media file the way put does.
func sourceFrames(t *testing.T, path string) map[uint64][]producer.Frame {
	t.Helper()
	ctx := context.Background()
	src, err := mediasource.Open(ctx, path, nil, mediasource.Options{})
	require.NoError(t, err)
	defer src.Close()
	frames := map[uint64][]producer.Frame{}
	for {
		f, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return frames
		}
		require.NoError(t, err)
		frames[f.TrackID] = append(frames[f.TrackID], f)
	}
}

// requireSameFrames checks that the stream holds every frame of the file
// once, per track in order, with the same bytes and the same spacing of
// timestamps (to the millisecond Matroska stores).
func requireSameFrames(t *testing.T, srv *kvsdtest.Server, stream, path string) kvsdtest.Stored {
	t.Helper()
	want := sourceFrames(t, path)
	st := srv.ReadBack(t, stream)
	got := map[uint64][]kvsdtest.StoredFrame{}
	for _, f := range st.Frames {
		got[f.Track] = append(got[f.Track], f)
	}
	require.Len(t, got, len(want), "tracks")
	for track, wf := range want {
		gf := got[track]
		require.Len(t, gf, len(wf), "frames of track %d", track)
		for i := range wf {
			require.True(t, bytes.Equal(wf[i].Data, gf[i].Data), "track %d frame %d: bytes differ", track, i)
			require.Equal(t, (wf[i].PTS - wf[0].PTS).Milliseconds(), (gf[i].Timestamp - gf[0].Timestamp).Milliseconds(),
				"track %d frame %d: timestamp", track, i)
		}
	}
	return st
}

// TestPutMP4 uploads a 2-minute H.264 + AAC MP4 with `kvsctl put` as fast
// as kvsd acknowledges it and reads every frame back.
func TestPutMP4(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	src := ffmpegFile(t, "two-minutes.mp4", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=120",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=120", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")

	start := time.Now()
	_, stderr, err := kvsctlIn(context.Background(), nil, "--endpoint-url", srv.URL, "put", "cam", src, "--retention", "1")
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "fragments 60 made / 60 acked")

	st := requireSameFrames(t, srv, "cam", src)
	// A 2 s GOP gives 60 fragments of 2 s, and a file sent faster than it
	// plays is laid out to end when the upload started: no producer
	// timestamp in the future (ErrorId 4007).
	require.Len(t, st.Fragments, 60)
	for _, f := range st.Fragments {
		require.InDelta(t, 2000, f.FragmentLengthInMilliseconds, 50)
		require.False(t, aws.ToTime(f.ProducerTimestamp).After(start.Add(time.Second)), "producer timestamp %s in the future",
			aws.ToTime(f.ProducerTimestamp))
	}
	kinds := map[string]int{}
	for _, tr := range st.Chunks[0].Tracks {
		kinds[tr.CodecID]++
	}
	require.Equal(t, map[string]int{producer.CodecH264: 1, producer.CodecAAC: 1}, kinds)
}

// TestPutStdin pipes ffmpeg's Matroska output into `kvsctl put STREAM -`.
func TestPutStdin(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ff := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=6",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-f", "matroska", "-")
	pipe, err := ff.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, ff.Start())
	_, stderr, err := kvsctlIn(context.Background(), pipe, "--endpoint-url", srv.URL, "put", "pipe", "-", "--fragment-duration", "1s")
	require.NoError(t, err, stderr)
	require.NoError(t, ff.Wait())
	st := srv.ReadBack(t, "pipe")
	require.Len(t, st.Fragments, 6)
	require.Len(t, st.Frames, 150)
}

// TestPutLongGOP sends a source with a key frame every 24 s: put refuses it
// with the fix spelled out, and --force-fragment cuts it into fragments the
// service accepts.
func TestPutLongGOP(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	src := ffmpegFile(t, "long-gop.mkv", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=30",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "600", "-keyint_min", "600", "-sc_threshold", "0", "-pix_fmt", "yuv420p")

	_, _, err := kvsctlIn(context.Background(), nil, "--endpoint-url", srv.URL, "put", "gop", src)
	require.Error(t, err)
	require.Contains(t, err.Error(), "no key frame for more than 20 s")
	require.Contains(t, err.Error(), "-g 50")
	require.Contains(t, err.Error(), "--force-fragment")
	require.NotContains(t, err.Error(), "\n")

	_, stderr, err := kvsctlIn(context.Background(), nil, "--endpoint-url", srv.URL, "put", "gop2", src, "--force-fragment")
	require.NoError(t, err, stderr)
	st := srv.ReadBack(t, "gop2")
	require.Len(t, st.Frames, 750)
	require.GreaterOrEqual(t, len(st.Fragments), 2)
	for _, f := range st.Fragments {
		require.LessOrEqual(t, f.FragmentLengthInMilliseconds, int64(20_000))
	}
}

// TestPutErrors checks that what a user gets wrong ends with one line that
// says what to do, and a non-zero exit.
func TestPutErrors(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ctx := context.Background()
	text := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("not a video\n"), 0o644))
	clip := ffmpegFile(t, "ok.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=2", "-c:v", "libx264",
		"-preset", "ultrafast", "-pix_fmt", "yuv420p")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"--endpoint-url", srv.URL, "put", "s", "/nonexistent.mp4"}, "no such file"},
		{"not media", []string{"--endpoint-url", srv.URL, "put", "s", text}, "unsupported"},
		{"nothing listening", []string{"--endpoint-url", "http://127.0.0.1:1", "put", "s", clip}, "127.0.0.1:1"},
		{"bad stream name", []string{"--endpoint-url", srv.URL, "put", "bad name!", clip}, "bad name!"},
		{"bad retention", []string{"--endpoint-url", srv.URL, "put", "s", clip, "--retention", "soon"}, "want whole hours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := kvsctlIn(ctx, nil, tc.args...)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "\n")
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		setAWSEnv(t, kvsdtest.AccessKeyID, "wrong-secret")
		_, _, err := kvsctlIn(ctx, nil, "--endpoint-url", srv.URL, "put", "s", clip)
		require.Error(t, err)
		require.Contains(t, strings.ToLower(err.Error()), "credentials")
	})
}

// TestPutRTSP points `kvsctl put` at gortsplib's RTSP server looping an
// ffmpeg-made H.264 + AAC file, stops it after a few seconds as a user
// would (Ctrl-C), and reads the stream back: every fragment put made was
// acknowledged and holds the camera's frames.
func TestPutRTSP(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	file := ffmpegFile(t, "camera.mkv", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=2:sample_rate=48000", "-c:v", "libx264", "-preset", "ultrafast",
		"-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", "aac")
	src, err := mediasource.Open(context.Background(), file, nil, mediasource.Options{})
	require.NoError(t, err)
	in := rtsptest.Input{Tracks: src.Tracks(), Loop: 2 * time.Second}
	for {
		f, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		in.Frames = append(in.Frames, f)
	}
	require.NoError(t, src.Close())
	// A camera that sends no SPS/PPS at all: its video cannot be decoded.
	broken := rtsptest.Start(t, in, rtsptest.Options{NoParameterSets: true})
	start := time.Now()
	_, _, err = kvsctlIn(context.Background(), nil, "--endpoint-url", srv.URL, "put", "broken", broken+"/cam", "--rtsp-tcp", "--rtsp-timeout", "2s")
	require.ErrorContains(t, err, "no video frame for 2s")
	require.ErrorContains(t, err, "SPS/PPS")
	require.Less(t, time.Since(start), 10*time.Second)
	require.NotContains(t, err.Error(), "\n")

	// 4 ms a frame: about five times real time.
	url := rtsptest.Start(t, in, rtsptest.Options{SDPParameterSets: true, FrameInterval: 4 * time.Millisecond})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, stderr, err := kvsctlIn(ctx, nil, "--endpoint-url", srv.URL, "put", "door", url+"/cam", "--rtsp-tcp", "--fragment-duration", "1s")
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "put "+url+"/cam: ")

	st := srv.ReadBack(t, "door")
	require.GreaterOrEqual(t, len(st.Fragments), 3)
	video := map[string]bool{}
	for _, f := range in.Frames {
		if f.TrackID == in.Tracks[0].ID {
			video[string(f.Data)] = true
		}
	}
	var frames, audio int
	for _, f := range st.Frames {
		if f.Track == in.Tracks[0].ID {
			require.True(t, video[string(f.Data)], "a video frame that the camera did not send")
			frames++
		} else {
			audio++
		}
	}
	require.GreaterOrEqual(t, frames, 75)
	require.Positive(t, audio)
	require.Regexp(t, `fragments (\d+) made / \d+ acked`, stderr)
	made, acked := 0, 0
	_, err = fmt.Sscanf(stderr[strings.Index(stderr, "fragments "):], "fragments %d made / %d acked", &made, &acked)
	require.NoError(t, err)
	require.Equal(t, made, acked, stderr)
	require.Equal(t, made, len(st.Fragments))
}
