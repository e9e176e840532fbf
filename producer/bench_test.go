package producer

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
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

// BenchmarkUploadVsLoopback uploads 10 s of a 2 Mbps stream as fast as
// possible to an in-process kvsd (every fragment PERSISTED) and copies the
// same octets over a raw loopback TCP connection in the same run; the
// ratio is the cost of the producer and kvsd over the bare transport.
func BenchmarkUploadVsLoopback(b *testing.B) {
	frames := bench2M(b)
	total := 0
	for _, f := range frames {
		total += len(f.data)
	}
	srv := kvsdtest.Start(b)
	p := testProducer(b, srv, Options{})
	var upload, raw time.Duration
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		s, err := p.NewStream(context.Background(), StreamDefinition{Name: fmt.Sprintf("bench-%d", i), Origin: time.Now().Add(-time.Hour)})
		require.NoError(b, err)
		putH264(b, s, frames, 0, len(frames))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		require.NoError(b, s.Close(ctx))
		cancel()
		upload += time.Since(t0)
		raw += loopbackCopy(b, frames)
	}
	b.ReportMetric(float64(upload)/float64(raw), "x-loopback")
	b.ReportMetric(float64(upload.Milliseconds())/float64(b.N), "upload-ms/op")
	b.ReportMetric(float64(raw.Microseconds())/float64(b.N), "loopback-µs/op")
}

// loopbackCopy writes the frames over a loopback TCP connection and returns
// how long until the reader has them all.
func loopbackCopy(b *testing.B, frames []h264Frame) time.Duration {
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
	for _, f := range frames {
		_, err := c.Write(f.data)
		require.NoError(b, err)
	}
	c.Close()
	<-done
	return time.Since(t0)
}

// BenchmarkRealtimeStream puts 3 s of a 2 Mbps stream in real time (one
// frame every 40 ms) and reports the process CPU time and the allocation
// per second of stream. kvsd runs in the same process, so the CPU figure is
// an upper bound for the producer alone.
func BenchmarkRealtimeStream(b *testing.B) {
	frames := bench2M(b)
	srv := kvsdtest.Start(b)
	p := testProducer(b, srv, Options{})
	const seconds = 3
	var cpu time.Duration
	var alloc uint64
	b.ResetTimer()
	for i := range b.N {
		s, err := p.NewStream(context.Background(), StreamDefinition{Name: fmt.Sprintf("rt-%d", i)})
		require.NoError(b, err)
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		c0 := processCPU()
		start := time.Now()
		for n := range seconds * 25 {
			time.Sleep(time.Until(start.Add(time.Duration(n) * 40 * time.Millisecond)))
			f := frames[n%len(frames)]
			fr := Frame{TrackID: 1, DTS: time.Since(start), Data: f.data}
			fr.PTS = fr.DTS
			if f.key {
				fr.Flags = FrameKey
			}
			require.NoError(b, s.PutFrame(context.Background(), fr))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		require.NoError(b, s.Close(ctx))
		cancel()
		cpu += processCPU() - c0
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		alloc += after.TotalAlloc - before.TotalAlloc
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N*seconds), "cpu-ms/s")
	b.ReportMetric(float64(alloc)/float64(b.N*seconds), "alloc-B/s")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
