package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestGetMediaAndFragments uploads an ffmpeg-made H.264 file with bench's
// own PutMedia path (kvsctl bench ingest --source), then reads it back with
// `kvsctl get-media` and lists it with `kvsctl fragments`.
func TestGetMediaAndFragments(t *testing.T) {
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src.mkv")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3",
		"-c:v", "libx264", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-f", "matroska", src).CombinedOutput()
	require.NoError(t, err, string(out))
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "bench", "ingest", "--streams", "1", "--stream-prefix", "cam-",
		"--duration", "3s", "--fragment", "1s", "--unthrottled", "--baselines=false", "--source", src, "--json"}, &stdout, &stderr), stderr.String())

	stdout.Reset()
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "fragments", "cam-0", "--json"}, &stdout, &stderr), stderr.String())
	var fs []fragment
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &fs))
	require.GreaterOrEqual(t, len(fs), 3)
	for _, f := range fs {
		require.Len(t, f.FragmentNumber, 47)
	}
	stdout.Reset()
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "fragments", "cam-0"}, &stdout, &stderr))
	require.True(t, strings.HasPrefix(stdout.String(), "FRAGMENT NUMBER"))
	require.Equal(t, len(fs)+1, strings.Count(stdout.String(), "\n"))

	mkv := filepath.Join(t.TempDir(), "out.mkv")
	start := time.Now()
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "get-media", "cam-0", "-o", mkv}, &stdout, &stderr), stderr.String())
	require.Less(t, time.Since(start), 30*time.Second)
	probe, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", mkv).CombinedOutput()
	require.NoError(t, err, string(probe))
	// 3 s at 25 fps: ffprobe decodes every frame that was uploaded.
	require.Equal(t, "h264,75", strings.TrimSpace(string(probe)))
	st, err := os.Stat(mkv)
	require.NoError(t, err)
	require.Positive(t, st.Size())
	require.Contains(t, stderr.String(), "frames in 1 segment(s)")
}
