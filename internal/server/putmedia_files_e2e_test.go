package server_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// sendFile posts body in 16 KB chunks, pacing it to realtime over the
// given duration when it is not zero, and returns every ack.
func sendFile(t *testing.T, srv *kvsdtest.Server, stream, timecodeType string, body []byte, realtime time.Duration) []kvsdtest.Ack {
	t.Helper()
	hdr := kvsdtest.PutMediaHeaders(stream)
	hdr["x-amzn-fragment-timecode-type"] = timecodeType
	const chunk = 16 << 10
	conn := srv.PutMedia(t, hdr, body[:min(chunk, len(body))])
	require.Equal(t, 200, conn.Status, conn.ErrorBody)
	start := time.Now()
	for off := chunk; off < len(body); off += chunk {
		if realtime > 0 {
			due := start.Add(time.Duration(float64(realtime) * float64(off) / float64(len(body))))
			time.Sleep(time.Until(due))
		}
		conn.Write(body[off:min(off+chunk, len(body))])
	}
	conn.Close()
	return conn.Until(30*time.Second, never)
}

// requireAllPersisted checks that n fragments were received and persisted
// and that no ERROR came.
func requireAllPersisted(t *testing.T, acks []kvsdtest.Ack, n int) {
	t.Helper()
	counts := map[string]int{}
	for _, a := range acks {
		counts[a.EventType]++
	}
	want := map[string]int{}
	if n > 0 {
		want = map[string]int{"BUFFERING": n, "RECEIVED": n, "PERSISTED": n}
	}
	require.Equal(t, want, counts, "acks: %v", events(acks))
}

// TestPutMediaRealProducerFiles ingests the producer-side files of
// shared/fixtures/kvs-real: ffmpeg-written (relative timecodes, known-size
// clusters, Cues), kvssink-written (absolute timecodes, tags between
// clusters) and a PIC stream start with no cluster at all.
func TestPutMediaRealProducerFiles(t *testing.T) {
	srv := kvsdtest.Start(t)
	for i, tc := range []struct {
		file, timecodes string
		fragments       int
	}{
		{"amazon-kinesis-video-streams-parser-library/clusters.mkv", "RELATIVE", 8},
		{"amazon-kinesis-video-streams-producer-sdk-cpp/test-stream-1_0.mkv", "ABSOLUTE", -1},
		{"amazon-kinesis-video-streams-parser-library/test_tags_empty_cluster.mkv", "ABSOLUTE", 0},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(fixtures, "kvs-real", tc.file))
			require.NoError(t, err)
			name := fmt.Sprintf("real-%d", i)
			createStream(t, srv, name, 1)
			acks := sendFile(t, srv, name, tc.timecodes, body, 0)
			n := tc.fragments
			if n < 0 {
				_, timecodes := clusterSplit(t, body)
				n = len(timecodes)
			}
			requireAllPersisted(t, acks, n)
		})
	}
}

// ffmpegMKV makes an MKV with ffmpeg's test sources.
func ffmpegMKV(t *testing.T, seconds int, videoCodec string, audio bool) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "in.mkv")
	args := []string{"-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=320x240:rate=25:duration=%d", seconds)}
	if audio {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=%d", seconds), "-c:a", "aac")
	}
	args = append(args, "-c:v", videoCodec, "-g", "25", "-pix_fmt", "yuv420p", "-f", "matroska", out)
	if videoCodec == "libx265" {
		args = append(args[:len(args)-3], "-x265-params", "log-level=error", "-f", "matroska", out)
	}
	cmd := exec.Command("ffmpeg", args...)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "ffmpeg (Debian package ffmpeg, installed by .ci/run): %s", msg)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	return b
}

func TestPutMediaFFmpegFiles(t *testing.T) {
	srv := kvsdtest.Start(t)
	for i, tc := range []struct {
		name     string
		codec    string
		audio    bool
		realtime bool
	}{
		{"h264 video and aac, faster than realtime", "libx264", true, false},
		{"h265 video and aac, faster than realtime", "libx265", true, false},
		{"h264 video, realtime", "libx264", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const seconds = 4
			body := ffmpegMKV(t, seconds, tc.codec, tc.audio)
			_, timecodes := clusterSplit(t, body)
			require.GreaterOrEqual(t, len(timecodes), 2)
			name := fmt.Sprintf("ffmpeg-%d", i)
			createStream(t, srv, name, 1)
			pace := time.Duration(0)
			if tc.realtime {
				pace = seconds * time.Second
			}
			acks := sendFile(t, srv, name, "RELATIVE", body, pace)
			requireAllPersisted(t, acks, len(timecodes))
			require.True(t, bytes.HasPrefix(body, []byte{0x1A, 0x45, 0xDF, 0xA3}))
		})
	}
}
