package server_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestBufferMemoryKeptMappedPerStream checks, in the resident memory of a
// kvsd process, that kvsd maps buffer memory for each stream it creates,
// again for the streams it finds when it restarts, and none with
// -buffer-memory-per-stream 0.
func TestBufferMemoryKeptMappedPerStream(t *testing.T) {
	bin := kvsdtest.BuildBinary(t)
	dir := t.TempDir()
	const perStream, streams = 32 << 20, 4
	flag := strconv.Itoa(perStream)

	p := kvsdtest.StartProcess(t, bin, kvsdtest.FreeAddr(t), dir, "-buffer-memory-per-stream", flag)
	before := rssAnon(t, p.Cmd.Process.Pid)
	kv := p.KinesisVideo()
	for i := range streams {
		_, err := kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{
			StreamName: aws.String(fmt.Sprintf("warm-%d", i)), DataRetentionInHours: aws.Int32(1)})
		require.NoError(t, err)
	}
	waitRSS(t, p.Cmd.Process.Pid, before+streams*perStream)
	p.Kill(t)

	p = kvsdtest.StartProcess(t, bin, kvsdtest.FreeAddr(t), dir, "-buffer-memory-per-stream", flag)
	waitRSS(t, p.Cmd.Process.Pid, streams*perStream)
	p.Kill(t)

	// Without it, the same start maps nothing of the kind: what the check
	// above saw was the warming.
	p = kvsdtest.StartProcess(t, bin, kvsdtest.FreeAddr(t), dir, "-buffer-memory-per-stream", "0")
	time.Sleep(2 * time.Second)
	require.Less(t, rssAnon(t, p.Cmd.Process.Pid), int64(streams*perStream/2))
}

// waitRSS waits up to 20 s for the process's anonymous resident memory to
// reach want bytes.
func waitRSS(t *testing.T, pid int, want int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := rssAnon(t, pid)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kvsd's anonymous resident memory is %d MiB after 20 s, want at least %d MiB", got>>20, want>>20)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rssAnon returns the RssAnon figure of /proc/PID/status in bytes.
func rssAnon(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kib << 10
		}
	}
	t.Fatalf("no RssAnon in /proc/%d/status", pid)
	return 0
}
