package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// clusters builds n fragments of the given frame size, one second apart.
func clusters(t *testing.T, n, frameSize int) []byte {
	b := kvsdtest.NewBody(t)
	for i := range n {
		b.Cluster(uint64(1000+i*1000), kvsdtest.Video(3, frameSize), nil, false)
	}
	return b.Bytes()
}

// TestPutMediaThrottling checks that the per-stream fragment and byte rates
// slow a producer down without losing anything, as KVS throttles a stream
// above its quota.
func TestPutMediaThrottling(t *testing.T) {
	for _, tc := range []struct {
		name      string
		set       func(*config.Config)
		n, size   int
		atLeast   time.Duration
		atMostRaw time.Duration
	}{
		// 15 fragments at 5/s with a burst of 5: about 2 s.
		{"fragments per second", func(c *config.Config) { c.PutMediaFragmentsPerSec = 5 }, 15, 1000, 1500 * time.Millisecond, 0},
		// 3 MB at 1 MB/s with a burst of 1 MB: about 2 s.
		{"bytes per second", func(c *config.Config) { c.PutMediaBytesPerSec = 1_000_000 }, 6, 166_000, 1500 * time.Millisecond, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := kvsdtest.Start(t, tc.set)
			createStream(t, srv, "paced", 1)
			start := time.Now()
			conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("paced"), clusters(t, tc.n, tc.size))
			conn.Close()
			acks := conn.Until(30*time.Second, never)
			requireAllPersisted(t, acks, tc.n)
			require.GreaterOrEqual(t, time.Since(start), tc.atLeast)
		})
	}
}

// TestMediaSizeCap checks -max-media-bytes: ingest goes on past the cap and
// the oldest media is deleted to stay under it.
func TestMediaSizeCap(t *testing.T) {
	const limit = 4 << 20
	srv := kvsdtest.Start(t, func(c *config.Config) { c.MaxMediaBytes = limit })
	createStream(t, srv, "capped", 1)
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("capped"), clusters(t, 60, 100_000))
	conn.Close()
	requireAllPersisted(t, conn.Until(30*time.Second, never), 60) // 18 MB in all
	var total int64
	entries, err := os.ReadDir(filepath.Join(srv.DataDir, "segments"))
	require.NoError(t, err)
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		total += info.Size()
	}
	require.LessOrEqual(t, total, int64(limit))
}

// TestDiskFullGivesArchivalError runs kvsd on a tiny tmpfs and fills it:
// fragments that cannot be made durable get ERROR 5001, kvsd keeps
// answering, and nothing acknowledged PERSISTED is lost.
func TestDiskFullGivesArchivalError(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs (the test needs root, as CI has): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	srv := kvsdtest.StartConfig(t, func() config.Config {
		cfg := config.Defaults()
		cfg.Listen, cfg.DataDir = "127.0.0.1:0", dir
		cfg.RootAccessKeyID, cfg.RootSecretAccessKey = kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey
		cfg.TransitionDelay, cfg.PutMediaBytesPerSec, cfg.PutMediaFragmentsPerSec = 0, 0, 0
		return cfg
	}())
	defer srv.Stop(t)
	createStream(t, srv, "full", 1)
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("full"), clusters(t, 40, 100_000)) // 12 MB into 6 MB
	conn.Close()
	acks := conn.Until(30*time.Second, never)
	counts := map[string]int{}
	for _, a := range acks {
		counts[a.EventType]++
		if a.EventType == "ERROR" {
			require.Equal(t, 5001, a.ErrorID)
			require.Equal(t, "ARCHIVAL_ERROR", a.ErrorCode)
		}
	}
	require.Positive(t, counts["PERSISTED"], "fragments before the disk filled up are persisted")
	require.Positive(t, counts["ERROR"], "fragments that do not fit get ERROR 5001")
	require.Equal(t, 40, counts["BUFFERING"])
	require.Equal(t, 200, srv.Post(t, "/describeStream", `{"StreamName":"full"}`).Status, "kvsd still answers")
}
