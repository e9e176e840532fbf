package producer

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

var (
	bench2MOnce   sync.Once
	bench2MFrames []h264Frame
	bench2MErr    error
)

// bench2M is 10 s of 2 Mbps H.264 at 25 fps, one key frame per second.
func bench2M(b *testing.B) []h264Frame {
	bench2MOnce.Do(func() { bench2MFrames, bench2MErr = encodeH264(10, 25, 25, 2_000_000) })
	require.NoError(b, bench2MErr)
	return bench2MFrames
}

// benchSeconds is the stream length of the upload benchmark:
// PRODUCER_BENCH_SECONDS, default 60 (3600 is the 1-hour figure).
func benchSeconds(b *testing.B) int {
	if v := os.Getenv("PRODUCER_BENCH_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err)
		return n
	}
	return 60
}

// benchKVSD runs kvsd as its own process, so that the benchmark process's
// CPU and memory are the producer's alone.
func benchKVSD(b *testing.B) *kvsdtest.Server {
	bin := kvsdtest.BuildBinary(b)
	return kvsdtest.StartProcess(b, bin, kvsdtest.FreeAddr(b), b.TempDir()).Server
}

// BenchmarkUploadVsLoopback uploads benchSeconds of a 2 Mbps stream (10 s
// of ffmpeg H.264, repeated) as fast as possible to a kvsd process, until
// every fragment is PERSISTED, and copies the same octets over a raw
// loopback TCP connection in the same run. It reports how many times faster
// than real time the upload ran and its time over the raw copy's.
func BenchmarkUploadVsLoopback(b *testing.B) {
	frames := bench2M(b)
	seconds := benchSeconds(b)
	n := seconds * 25
	total := 0
	for i := range n {
		total += len(frames[i%len(frames)].data)
	}
	srv := benchKVSD(b)
	p := testProducer(b, srv, Options{})
	var upload, raw time.Duration
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		// The stream is created and described outside the measurement: a
		// one-time cost that an hour of media does not notice.
		s, err := p.NewStream(context.Background(), StreamDefinition{Name: fmt.Sprintf("bench-%d", i),
			Origin: time.Now().Add(-time.Duration(seconds+1) * time.Second), BufferDuration: time.Duration(seconds+60) * time.Second,
			MaxBufferBytes: int64(total) + 64<<20})
		require.NoError(b, err)
		b.StartTimer()
		t0 := time.Now()
		putH264(b, s, frames, 0, n)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		require.NoError(b, s.Close(ctx))
		cancel()
		upload += time.Since(t0)
		raw += loopbackCopy(b, frames, n)
	}
	media := time.Duration(b.N*seconds) * time.Second
	b.ReportMetric(float64(media)/float64(upload), "x-realtime")
	b.ReportMetric(float64(upload)/float64(raw), "x-loopback-time")
	b.ReportMetric(float64(upload.Milliseconds())/float64(b.N), "upload-ms/op")
	b.ReportMetric(float64(raw.Milliseconds())/float64(b.N), "loopback-ms/op")
}

// loopbackCopy writes n frames (repeating frames) over a loopback TCP
// connection and returns how long until the reader has them all.
func loopbackCopy(b *testing.B, frames []h264Frame, n int) time.Duration {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer ln.Close()
	done := make(chan int64)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- 0
			return
		}
		n, _ := io.Copy(io.Discard, c)
		c.Close()
		done <- n
	}()
	t0 := time.Now()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(b, err)
	for i := range n {
		_, err := c.Write(frames[i%len(frames)].data)
		require.NoError(b, err)
	}
	c.Close()
	<-done
	return time.Since(t0)
}

// BenchmarkRealtimeStreams puts 2 Mbps streams in real time (one frame
// every 40 ms each) to a kvsd process for 10 s and reports the benchmark
// process's CPU per stream (the producer's alone) and its heap per stream
// beside the configured content-store size. PRODUCER_BENCH_STREAMS sets
// the number of streams (default 20).
func BenchmarkRealtimeStreams(b *testing.B) {
	frames := bench2M(b)
	streams := 20
	if v := os.Getenv("PRODUCER_BENCH_STREAMS"); v != "" {
		var err error
		streams, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	const seconds = 10
	const buffer = 4 << 20 // MaxBufferBytes of each stream
	srv := benchKVSD(b)
	p := testProducer(b, srv, Options{})
	var cpu time.Duration
	var heapPerStream float64
	b.ResetTimer()
	for i := range b.N {
		ss := make([]*Stream, streams)
		for k := range ss {
			s, err := p.NewStream(context.Background(), StreamDefinition{Name: fmt.Sprintf("rt-%d-%d", i, k), MaxBufferBytes: buffer})
			require.NoError(b, err)
			ss[k] = s
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		c0 := processCPU()
		start := time.Now()
		var wg sync.WaitGroup
		var peak atomic.Uint64
		for k, s := range ss {
			wg.Go(func() {
				// Spread the streams over one frame interval, as
				// independent cameras are.
				at := start.Add(40 * time.Millisecond * time.Duration(k) / time.Duration(streams))
				for n := range seconds * 25 {
					time.Sleep(time.Until(at.Add(time.Duration(n) * 40 * time.Millisecond)))
					f := frames[n%len(frames)]
					fr := Frame{TrackID: 1, DTS: time.Duration(n) * 40 * time.Millisecond, Data: f.data}
					fr.PTS = fr.DTS
					if f.key {
						fr.Flags = FrameKey
					}
					require.NoError(b, s.PutFrame(context.Background(), fr))
					if k == 0 && n%25 == 12 {
						var m runtime.MemStats
						runtime.ReadMemStats(&m)
						peak.Store(max(peak.Load(), m.HeapInuse))
					}
				}
			})
		}
		wg.Wait()
		cpu += processCPU() - c0
		heapPerStream = max(heapPerStream, float64(int64(peak.Load())-int64(before.HeapInuse))/float64(streams))
		for _, s := range ss {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			require.NoError(b, s.Close(ctx))
			cancel()
		}
	}
	b.ReportMetric(float64(cpu)/float64(time.Duration(b.N*seconds*streams)*time.Second)*100, "%core/stream")
	b.ReportMetric(heapPerStream/(1<<20), "heap-MiB/stream")
	b.ReportMetric(float64(buffer)/(1<<20), "buffer-MiB/stream")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
