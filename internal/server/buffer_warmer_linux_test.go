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
	"golang.org/x/sys/unix"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/internal/prefault"
)

// TestBufferMemoryKeptMappedPerStream checks, in the resident memory of a
// kvsd process, that kvsd maps buffer memory for each stream it creates,
// and again for the streams it finds when it restarts, against the same
// restart with -buffer-memory-per-stream 0.
func TestBufferMemoryKeptMappedPerStream(t *testing.T) {
	const perStream, streams = 16 << 20, 4
	const target = perStream * streams
	if prefault.MemoryLimit()/16 < 2*target {
		t.Skip("kvsd warms at most a sixteenth of this machine's memory, too little to tell the warming apart")
	}
	if !populateWorks() {
		t.Skip("the kernel lacks MADV_POPULATE_WRITE (Linux 5.14), so kvsd maps nothing ahead")
	}
	bin := kvsdtest.BuildBinary(t)
	dir := t.TempDir()
	flag := strconv.Itoa(perStream)
	// Three quarters: the Go heap's own pages may come and go meanwhile.
	const enough = target * 3 / 4

	p := kvsdtest.StartProcess(t, bin, kvsdtest.FreeAddr(t), dir, "-buffer-memory-per-stream", flag)
	before := rssAnon(t, p.Cmd.Process.Pid)
	kv := p.KinesisVideo()
	for i := range streams {
		_, err := kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{
			StreamName: aws.String(fmt.Sprintf("warm-%d", i)), DataRetentionInHours: aws.Int32(1)})
		require.NoError(t, err)
	}
	waitRSS(t, p.Cmd.Process.Pid, before+enough)
	p.Kill(t)

	p = kvsdtest.StartProcess(t, bin, kvsdtest.FreeAddr(t), dir, "-buffer-memory-per-stream", "0")
	time.Sleep(2 * time.Second)
	without := rssAnon(t, p.Cmd.Process.Pid)
	require.Less(t, without, int64(target/2), "kvsd maps this much with nothing warmed")
	p.Kill(t)

	p = kvsdtest.StartProcess(t, bin, kvsdtest.FreeAddr(t), dir, "-buffer-memory-per-stream", flag)
	waitRSS(t, p.Cmd.Process.Pid, without+enough)
}

// populateWorks reports whether madvise(MADV_POPULATE_WRITE) works here.
func populateWorks() bool {
	m, err := unix.Mmap(-1, 0, 1<<16, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return false
	}
	defer unix.Munmap(m)
	return unix.Madvise(m, unix.MADV_POPULATE_WRITE) == nil
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
