package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// setAWSEnv points the AWS credential chain at the given keys only.
func setAWSEnv(t *testing.T, id, secret string) {
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", kvsdtest.Region)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_KINESIS_VIDEO", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}

func requireFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
}

// runBench runs "kvsctl bench ingest" with args and decodes its JSON report.
func runBench(t *testing.T, ctx context.Context, args ...string) (*benchReport, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(ctx, append([]string{"bench", "ingest", "--json"}, args...), &out, &errOut)
	if out.Len() == 0 {
		return nil, errOut.String(), err
	}
	var rep benchReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
	return &rep, errOut.String(), err
}

func TestBenchIngestE2E(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)

	timeline := filepath.Join(t.TempDir(), "timeline.csv")
	rep, stderr, err := runBench(t, t.Context(), "--endpoint-url", srv.URL, "--streams", "3", "--duration", "3s", "--fragment", "1s",
		"--baseline-tcp-time", "200ms", "--baseline-disk-bytes", "4194304", "--warmup", "2500ms", "--timeline", timeline)
	require.NoError(t, err, stderr)
	require.NotNil(t, rep)
	requireTimeline(t, timeline, rep)

	f := rep.Fragments
	require.Equal(t, 3, rep.Streams)
	require.GreaterOrEqual(t, f.Sent, 6)
	require.Equal(t, 9, f.Sent, "3 streams x 3 one-second fragments")
	require.Equal(t, f.Sent, f.Persisted)
	require.Equal(t, f.Sent, f.Buffering)
	require.Equal(t, f.Sent, f.Received)
	require.Zero(t, f.Lost)
	require.Zero(t, f.Duplicated)
	require.Zero(t, f.Errored)
	require.Zero(t, f.Incomplete)
	require.Zero(t, f.UnmatchedAcks)
	require.Empty(t, rep.AckErrors)
	require.Empty(t, rep.SessionErrors)

	for name, l := range map[string]latencySummary{
		"buffering": rep.Latency.Buffering, "received": rep.Latency.Received, "persisted": rep.Latency.Persisted,
	} {
		require.Equal(t, f.Sent, l.Count, name)
		require.Positive(t, l.P50, name)
		require.GreaterOrEqual(t, l.P99, l.P50, name)
		require.GreaterOrEqual(t, l.Max, l.P99, name)
	}
	require.GreaterOrEqual(t, rep.Latency.Persisted.P50, rep.Latency.Received.P50)
	// From the PutFrame call of a fragment's last frame: the bench ends each
	// fragment right after it (Stream.EndFragment), so the figure is at
	// least the one from the last octet, and less than one frame interval
	// (40 ms) more: the fragment does not wait for the next frame.
	require.Equal(t, f.Sent-3, rep.Latency.PersistedLater.Count, "all but the first fragment of each stream")
	require.LessOrEqual(t, rep.Latency.PersistedLater.Max, rep.Latency.Persisted.Max)
	// After a 2.5 s warm-up: the streams start within one second, so every
	// stream's third fragment (last octet 3 s or more after its start)
	// counts, and no first fragment does.
	steady := rep.Latency.PersistedSteady
	require.NotNil(t, steady)
	require.Equal(t, 2.5, rep.Latency.WarmupS)
	require.GreaterOrEqual(t, steady.Count, 3)
	require.LessOrEqual(t, steady.Count, rep.Latency.PersistedLater.Count)
	require.LessOrEqual(t, steady.Max, rep.Latency.Persisted.Max)
	fi := rep.Latency.FrameInPersisted
	require.Equal(t, f.Sent, fi.Count)
	require.GreaterOrEqual(t, fi.P50, rep.Latency.Persisted.P50)
	require.GreaterOrEqual(t, fi.Max, rep.Latency.Persisted.Max)
	require.Less(t, fi.P50, rep.Latency.Persisted.P50+40)
	require.Equal(t, 3, f.Connections, "one PutMedia connection per stream")
	require.Zero(t, f.ConnectionErrors)
	require.Zero(t, f.Resent)
	require.Zero(t, f.DroppedFrames)
	require.Nil(t, rep.ServerCPU, "kvsd runs in the test process")

	// 3 streams x 3 s x 2 Mbit/s of frames, plus the Matroska overhead.
	require.Greater(t, rep.BytesSent, int64(3*3*2_000_000/8))
	require.Less(t, rep.BytesSent, int64(3*3*2_000_000/8*11/10))
	require.Positive(t, rep.ThroughputMBps)
	require.InDelta(t, rep.ThroughputMBps*8, rep.ThroughputMbit, 0.01)
	require.Positive(t, rep.ClientCPU.UserS+rep.ClientCPU.SystemS)
	require.Equal(t, 640, rep.Media.Width)

	require.NotNil(t, rep.Baselines)
	require.Positive(t, rep.Baselines.TCPMBps)
	require.Positive(t, rep.Baselines.DiskMBps)
	require.Positive(t, rep.Baselines.Fsync256KP50Ms)
	require.Nil(t, rep.Baselines.RatioToTCP, "only with --unthrottled")
	require.Contains(t, stderr, "creating 3 stream(s)")

	// A second run reuses the streams (ResourceInUseException) and prints
	// the human report.
	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"bench", "ingest", "--endpoint-url", srv.URL, "--streams", "2", "--duration", "1s",
		"--baselines=false"}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	for _, want := range []string{"fragments", "sent 2, persisted 2, errored 0, lost 0, duplicated 0", "PERSISTED from last octet",
		"PERSISTED from last PutFrame", "server CPU"} {
		require.Contains(t, out.String(), want)
	}
}

// TestBenchIngestUnthrottledSource sends a Matroska file's frames as fast as
// possible on one stream and reports the ratio to raw TCP.
// requireTimeline checks the --timeline CSV against the report: a row per
// fragment sent, each stream's fragments in order and later each time, and
// the latencies of the report's RECEIVED and PERSISTED rows.
func requireTimeline(t *testing.T, path string, rep *benchReport) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"stream", "fragment", "last_octet_s", "received_ms", "persisted_ms"}, rows[0])
	rows = rows[1:]
	require.Len(t, rows, rep.Fragments.Sent)
	var received, persisted []float64
	last, next := map[string]float64{}, map[string]int{}
	for i, r := range rows {
		at, err := strconv.ParseFloat(r[2], 64)
		require.NoError(t, err, "row %d", i)
		prev, seen := last[r[0]]
		require.True(t, !seen || at > prev, "row %d: stream %s's fragments out of order", i, r[0])
		require.Equal(t, strconv.Itoa(next[r[0]]), r[1], "row %d: stream %s's fragment index", i, r[0])
		last[r[0]], next[r[0]] = at, next[r[0]]+1
		rcv, err := strconv.ParseFloat(r[3], 64)
		require.NoError(t, err, "row %d", i)
		per, err := strconv.ParseFloat(r[4], 64)
		require.NoError(t, err, "row %d", i)
		received, persisted = append(received, rcv), append(persisted, per)
	}
	require.Len(t, last, rep.Streams)
	require.InDelta(t, rep.Latency.Received.Max, slices.Max(received), 0.01)
	require.InDelta(t, rep.Latency.Persisted.Max, slices.Max(persisted), 0.01)
}

func TestBenchIngestUnthrottledSource(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	source := filepath.Join(t.TempDir(), "in.mkv")
	ffmpeg := exec.CommandContext(t.Context(), "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
		"-pix_fmt", "yuv420p", "-g", "12", "-bf", "0", "-f", "matroska", source)
	out, err := ffmpeg.CombinedOutput()
	require.NoError(t, err, string(out))

	rep, stderr, err := runBench(t, t.Context(), "--endpoint-url", srv.URL, "--stream-prefix", "src-", "--unthrottled",
		"--bitrate", "20Mbps", "--duration", "4s", "--fragment", "500ms", "--source", source,
		"--baseline-tcp-time", "200ms", "--baseline-disk-bytes", "1048576")
	require.NoError(t, err, stderr)
	require.Equal(t, 8, rep.Fragments.Sent)
	require.Equal(t, 8, rep.Fragments.Persisted)
	require.Zero(t, rep.Fragments.Lost)
	require.Zero(t, rep.Fragments.Duplicated)
	require.Equal(t, 320, rep.Media.Width)
	require.Contains(t, rep.Media.Source, "in.mkv")
	require.Less(t, rep.SendS, 4.0, "unthrottled is faster than real time")
	require.Equal(t, 8, rep.Latency.FrameInPersisted.Count)
	require.Zero(t, rep.Fragments.DroppedFrames)
	require.NotNil(t, rep.Baselines.RatioToTCP)
	require.Positive(t, *rep.Baselines.RatioToTCP)
}

// watchWriter collects output and closes seen once it contains want.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if w.seen != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
		w.seen = nil
	}
	return n, err
}

func TestBenchIngestInterrupted(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sending := make(chan struct{})
	errOut := &watchWriter{want: "kvsctl: sending", seen: sending}
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"bench", "ingest", "--json", "--endpoint-url", srv.URL, "--stream-prefix", "int-",
			"--duration", "30s", "--baselines=false"}, &out, errOut)
	}()
	select {
	case <-sending:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not start sending")
	}
	time.Sleep(1500 * time.Millisecond) // one fragment and a half
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the run did not stop after the interrupt")
	}
	require.ErrorContains(t, err, "interrupted")
	var rep benchReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
	require.True(t, rep.Interrupted)
	require.Positive(t, rep.Fragments.Sent)
	// kvsd completes the cut-off fragment at the end of the body, so it may
	// be PERSISTED too.
	require.GreaterOrEqual(t, rep.Fragments.Persisted, rep.Fragments.Sent)
	require.LessOrEqual(t, rep.Fragments.Incomplete, 1)
	require.Zero(t, rep.Fragments.Lost)
}

func TestBenchIngestWrongCredentials(t *testing.T) {
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, "not-the-secret")
	var out, errOut bytes.Buffer
	// The source is only opened once the streams exist.
	args := []string{"bench", "ingest", "--endpoint-url", srv.URL, "--baselines=false", "--source", "/nonexistent.h264"}
	err := run(t.Context(), args, &out, &errOut)
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, "InvalidSignatureException")
	require.Contains(t, msg, "check the credentials")
	require.NotContains(t, msg, "\n")
	require.Empty(t, out.String())
	for _, s := range []string{"panic", "goroutine"} {
		require.NotContains(t, errOut.String(), s)
	}

	setAWSEnv(t, "AKIDUNKNOWN", "x")
	err = run(t.Context(), args, &out, &errOut)
	require.ErrorContains(t, err, "UnrecognizedClientException")
}

func TestBenchIngestWrongEndpoint(t *testing.T) {
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"bench", "ingest", "--endpoint-url", "http://" + addr, "--baselines=false", "--source", "/nonexistent.h264"},
		&out, &errOut)
	require.Error(t, err)
	require.Contains(t, err.Error(), "cannot reach http://"+addr)
	require.Contains(t, err.Error(), "connection refused")
	require.NotContains(t, err.Error(), "\n")
}

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{args: []string{"bench", "ingest", "extra"}, want: `unknown command "extra"`},
		{args: []string{"bench", "nope"}, want: `unknown command "nope" for "kvsctl bench"`},
		{args: []string{"nope"}, want: `unknown command "nope"`},
		{args: []string{"bench", "ingest", "--streams", "x"}, want: `invalid argument "x"`},
		{args: []string{"bench", "ingest", "--fps", "0"}, want: "--fps 0"},
		{args: []string{"bench", "ingest", "--warmup", "-1s"}, want: "--warmup -1s: must not be negative"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tc.args, &out, &errOut)
			require.ErrorContains(t, err, tc.want)
		})
	}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"bench", "ingest", "--help"}, &out, &out))
	require.Contains(t, out.String(), "--unthrottled")
}
