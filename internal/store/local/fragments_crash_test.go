package local

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
)

// The crash test re-executes the test binary as a child that appends until
// it is killed with SIGKILL; these variables tell the child what to do.
const (
	crashDirEnv  = "OPENKVS_TEST_CRASH_DIR"
	crashBaseEnv = "OPENKVS_TEST_CRASH_BASE"
	crashStreams = 4
	// crashRetained is the stream the child also runs retention on.
	crashRetained = 3
)

func crashStream(i int) string { return fmt.Sprintf("%s-crash-%d", testARN, i) }

// crashHeader is the producer header of stream s in session k: streams
// switch between two sessions so that header dedupe and header rewriting
// into new segments both happen while the child is killed.
func crashHeader(s, k int) []byte {
	return fmt.Appendf(nil, "EBML header of stream %d session %d", s, k%2)
}

var crashOptions = FragmentsOptions{SegmentSize: 512 << 10}

// TestFragmentsCrash kills a store with SIGKILL at random moments, reopens
// the directory and checks that every fragment acknowledged durable is
// there, byte for byte, and that numbers never go backwards.
func TestFragmentsCrash(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	ctx := context.Background()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	type ack struct {
		number uint64
		stream int
		server time.Time
	}
	var (
		acked      []ack
		maxHanded  uint64    // highest number any Append returned
		deleteFrom time.Time // retention may have removed crashRetained fragments before this
	)
	start := time.Now()
	for iter := 0; iter < 8 && (iter < 3 || time.Since(start) < 12*time.Second); iter++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFragmentsCrash$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashBaseEnv+"="+strconv.Itoa(iter*1_000_000))
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())

		firstAck := make(chan struct{})
		readDone := make(chan struct{})
		var newAcks []ack
		var handed uint64
		var bound time.Time
		go func() {
			defer close(readDone)
			sc := bufio.NewScanner(stdout)
			once := sync.Once{}
			for sc.Scan() {
				fields := strings.Fields(sc.Text())
				if len(fields) < 2 {
					continue
				}
				n, err := strconv.ParseUint(fields[1], 10, 64)
				if err != nil {
					continue
				}
				switch fields[0] {
				case "a": // Append returned n
					handed = max(handed, n)
				case "d": // n is durable
					if len(fields) < 4 {
						continue
					}
					s, _ := strconv.Atoi(fields[2])
					ts, _ := strconv.ParseInt(fields[3], 10, 64)
					newAcks = append(newAcks, ack{n, s, time.Unix(0, ts)})
					once.Do(func() { close(firstAck) })
				case "x": // DeleteBefore(crashRetained, n ns) started
					bound = time.Unix(0, int64(n))
				}
			}
		}()
		select {
		case <-firstAck:
		case <-readDone:
		case <-time.After(30 * time.Second):
		}
		time.Sleep(time.Duration(20+rng.IntN(400)) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		<-readDone
		_ = cmd.Wait()
		// A child that stopped on its own failed (an error from the store),
		// whatever it acknowledged before.
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL,
			"child ended with %v before the kill; its stderr:\n%s", cmd.ProcessState, stderr.String())
		require.NotEmpty(t, newAcks, "child acknowledged nothing; its stderr:\n%s", stderr.String())
		acked = append(acked, newAcks...)
		maxHanded = max(maxHanded, handed)
		if bound.After(deleteFrom) {
			deleteFrom = bound
		}

		s, err := OpenFragments(ctx, dir, crashOptions)
		require.NoError(t, err, "reopen after kill %d", iter)
		for _, a := range acked {
			f, err := s.Get(ctx, crashStream(a.stream), a.number)
			if err != nil && a.stream == crashRetained && a.server.Before(deleteFrom) {
				continue // retention may have deleted it
			}
			require.NoError(t, err, "acknowledged fragment %d lost after kill %d", a.number, iter)
			requireIntact(t, s, f)
			h, err := s.ReadHeader(ctx, f.Stream, f.HeaderID)
			require.NoError(t, err)
			require.Contains(t, [][]byte{crashHeader(a.stream, 0), crashHeader(a.stream, 1)}, h)
		}
		// Everything stored, acknowledged or not (a fragment can be durable
		// before the child printed it), lists in number order and is intact.
		for i := range crashStreams {
			list, err := s.List(ctx, store.FragmentQuery{Stream: crashStream(i)})
			require.NoError(t, err)
			for j, f := range list {
				if j > 0 {
					require.Greater(t, f.Number, list[j-1].Number)
				}
				requireIntact(t, s, f)
			}
		}
		next := appendDurable(t, s, newFragment(crashStream(0), 0, 100, crashHeader(0, 0)))
		require.Greater(t, next.Number, maxHanded, "a number visible before the kill is handed out again")
		acked = append(acked, ack{next.Number, 0, next.ServerTimestamp})
		require.NoError(t, s.Close())
		t.Logf("kill %d: %d acknowledged so far, last number handed out %d", iter, len(acked), maxHanded)
	}
}

// crashChild appends to crashStreams streams from as many goroutines, with
// a few fragments in flight each (every tenth of stream 1 larger than
// overlapMinBytes), and prints "d <number> <stream>" once a
// fragment is durable. One goroutine runs retention on crashRetained.
func crashChild(dir string) {
	base, _ := strconv.Atoi(os.Getenv(crashBaseEnv))
	s, err := OpenFragments(context.Background(), dir, crashOptions)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		line := fmt.Appendf(nil, format+"\n", args...)
		outMu.Lock()
		_, _ = os.Stdout.Write(line) // one write per line: a kill never splits it
		outMu.Unlock()
	}
	ctx := context.Background()
	for st := range crashStreams {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(base+st), 7))
			type inflight struct {
				number uint64
				server int64
				ch     <-chan error
			}
			var window []inflight
			for i := 0; ; i++ {
				size := 1 + rng.IntN(40_000)
				if st == 1 && i%10 == 9 {
					// A batch this large overlaps its fsync with the next
					// batch's write: kills land in that window too.
					size = overlapMinBytes + rng.IntN(100_000)
				}
				nf := newFragment(crashStream(st), base+i, size, crashHeader(st, i/50))
				f, ch, err := s.Append(ctx, nf)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(2)
				}
				say("a %d", f.Number)
				window = append(window, inflight{f.Number, f.ServerTimestamp.UnixNano(), ch})
				if len(window) > 4 {
					w := window[0]
					window = window[1:]
					if err := <-w.ch; err != nil {
						fmt.Fprintln(os.Stderr, "durable:", err)
						os.Exit(2)
					}
					say("d %d %d %d", w.number, st, w.server)
				}
			}
		}()
	}
	go func() {
		for i := 0; ; i++ {
			time.Sleep(30 * time.Millisecond)
			// Keep the newest few hundred milliseconds' worth of the stream.
			bound := newFragment("", base+i*4, 0, nil).ServerTimestamp
			say("x %d", bound.UnixNano())
			if _, err := s.DeleteBefore(ctx, crashStream(crashRetained), bound); err != nil {
				fmt.Fprintln(os.Stderr, "delete:", err)
				os.Exit(2)
			}
		}
	}()
	time.Sleep(time.Minute) // the parent kills us long before
	fmt.Fprintln(os.Stderr, "child was not killed")
	os.Exit(3)
}
