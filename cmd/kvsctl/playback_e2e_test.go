package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestClipStitched uploads 220 fragments (44 s in 200 ms GOPs) with kvsctl
// put and downloads them with kvsctl clip: past GetClip's 200-fragment
// limit, so two calls are stitched into one MP4 in which ffprobe decodes
// every frame, each 40 ms long, without a warning.
func TestClipStitched(t *testing.T) {
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mkv")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=44",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-keyint_min", "5", "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-f", "matroska", src).CombinedOutput()
	require.NoError(t, err, string(out))
	before := time.Now().Add(-time.Minute)
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "put", "long", src, "--fragment-duration", "200ms", "-q"}, &stdout, &stderr), stderr.String())
	after := time.Now().Add(time.Minute)

	stdout.Reset()
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "fragments", "long", "--json"}, &stdout, &stderr), stderr.String())
	var fs []fragment
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &fs))
	require.Len(t, fs, 220)

	mp4 := filepath.Join(dir, "long.mp4")
	stderr.Reset()
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "clip", "long", "--start", before.Format(time.RFC3339Nano),
		"--end", after.Format(time.RFC3339Nano), "--timestamps", "PRODUCER_TIMESTAMP", "-o", mp4}, &stdout, &stderr), stderr.String())
	require.Contains(t, stderr.String(), "(2 GetClip calls)", "the progress bar names the calls")

	cmd := exec.Command("ffprobe", "-v", "warning", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames:packet=dts_time,duration_time", "-of", "json", mp4)
	var probeErr strings.Builder
	cmd.Stderr = &probeErr
	res, err := cmd.Output()
	require.NoError(t, err, probeErr.String())
	require.Empty(t, probeErr.String(), "ffprobe warnings")
	var probe struct {
		Streams []struct {
			NbReadFrames string `json:"nb_read_frames"`
		} `json:"streams"`
		Packets []struct {
			DTSTime      string `json:"dts_time"`
			DurationTime string `json:"duration_time"`
		} `json:"packets"`
	}
	require.NoError(t, json.Unmarshal(res, &probe))
	require.Equal(t, "1100", probe.Streams[0].NbReadFrames, "44 s at 25 fps")
	require.Len(t, probe.Packets, 1100)
	for i, p := range probe.Packets {
		d, err := strconv.ParseFloat(p.DurationTime, 64)
		require.NoError(t, err)
		require.InDelta(t, 0.04, d, 0.0005, "packet %d", i)
		if i > 0 {
			prev, _ := strconv.ParseFloat(probe.Packets[i-1].DTSTime, 64)
			dts, _ := strconv.ParseFloat(p.DTSTime, 64)
			require.InDelta(t, 0.04, dts-prev, 0.0005, "packet %d dts step", i)
		}
	}
}

// TestSessionURLCommands prints HLS and DASH session URLs and checks the
// flags' validation.
func TestSessionURLCommands(t *testing.T) {
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src.mkv")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=3",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-f", "matroska", src).CombinedOutput()
	require.NoError(t, err, string(out))
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "put", "cam", src, "-q"}, &stdout, &stderr), stderr.String())
	start := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"hls-url", "cam"}, "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken="},
		{[]string{"hls-url", "cam", "--mode", "ON_DEMAND", "--start", start, "--end", end, "--expires", "1h"}, "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken="},
		{[]string{"dash-url", "cam", "--max-fragments", "3"}, "/dash/v1/getDASHManifest.mpd?SessionToken="},
		{[]string{"dash-url", "cam", "--mode", "LIVE_REPLAY", "--start", start, "--timestamps", "PRODUCER_TIMESTAMP"}, "/dash/v1/getDASHManifest.mpd?SessionToken="},
	} {
		stdout.Reset()
		require.NoError(t, run(ctx, append([]string{"--endpoint-url", srv.URL}, tc.args...), &stdout, &stderr), "%v: %s", tc.args, stderr.String())
		u := strings.TrimSpace(stdout.String())
		require.True(t, strings.HasPrefix(u, srv.URL+tc.want), u)
		require.True(t, strings.HasSuffix(u, "~"), u)
	}
	for _, args := range [][]string{
		{"hls-url", "cam", "--container", "flv"},
		{"hls-url", "cam", "--end", end},
		{"dash-url", "cam", "--start", "yesterday"},
		{"dash-url", "cam", "--mode", "ON_DEMAND"},
		{"clip", "cam", "--start", start},
	} {
		require.Error(t, run(ctx, append([]string{"--endpoint-url", srv.URL}, args...), &stdout, &stderr), "%v", args)
	}
}
