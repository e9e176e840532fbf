package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestBenchHLSE2E watches a stream that "bench ingest" uploads in real
// time with "bench hls": every viewer polls and fetches segments without an
// error, and a run that needs more sessions than kvsd allows fails with
// the limit's error.
func TestBenchHLSE2E(t *testing.T) {
	requireFFmpeg(t)
	srv := kvsdtest.Start(t, func(c *config.Config) { c.PlaybackSessionsPerStream = 5 })
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ctx := context.Background()

	ingested := make(chan error, 1)
	go func() {
		var out, errOut bytes.Buffer
		ingested <- run(ctx, []string{"--endpoint-url", srv.URL, "bench", "ingest", "--streams", "1", "--duration", "9s", "--fragment", "1s",
			"--stream-prefix", "live-", "--baselines=false", "--json"}, &out, &errOut)
	}()
	// Wait for the first fragment: LIVE sessions need recent media.
	require.Eventually(t, func() bool {
		var out, errOut bytes.Buffer
		return run(ctx, []string{"--endpoint-url", srv.URL, "hls-url", "live-0"}, &out, &errOut) == nil
	}, 10*time.Second, 100*time.Millisecond)

	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"--endpoint-url", srv.URL, "bench", "hls", "live-0", "--viewers", "6", "--sessions", "3",
		"--duration", "4s", "--poll", "500ms", "--json"}, &out, &errOut), errOut.String())
	var rep hlsBenchReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
	require.Equal(t, 6, rep.Viewers)
	require.Equal(t, 0, rep.Errors, rep.FirstError)
	require.GreaterOrEqual(t, rep.Playlists.Count, 6*6, "each viewer reloads about 8 times in 4 s")
	require.GreaterOrEqual(t, rep.Segments.Count, 6*3, "each viewer fetches the listed fragments and the new ones")
	require.Greater(t, rep.Bytes, int64(rep.Segments.Count)*10_000, "segments carry about 250 kB of 2 Mbps video")
	require.Greater(t, rep.Segments.P99, 0.0)

	// hls-url took one session and the first run three: one is left of the five allowed.
	out.Reset()
	err := run(ctx, []string{"--endpoint-url", srv.URL, "bench", "hls", "live-0", "--viewers", "4", "--sessions", "4", "--duration", "1s"}, &out, &errOut)
	require.ErrorContains(t, err, "ClientLimitExceededException")
	require.ErrorContains(t, err, "session 2 of 4")

	for _, args := range [][]string{
		{"bench", "hls", "live-0", "--viewers", "0"},
		{"bench", "hls", "live-0", "--viewers", "2", "--sessions", "3"},
		{"bench", "hls", "live-0", "--duration", "0s"},
		{"bench", "hls"},
	} {
		require.Error(t, run(ctx, append([]string{"--endpoint-url", srv.URL}, args...), &out, &errOut), "%v", args)
	}
	require.NoError(t, <-ingested)
}
