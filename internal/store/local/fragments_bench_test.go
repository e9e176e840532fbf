package local

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openkvs/openkvs/internal/store"
)

// BenchmarkAppendDurable appends 250 KB fragments from N streams at once,
// each stream waiting for its fragment to be durable before it sends the
// next (as a producer waiting for PERSISTED would), and reports throughput
// and time-to-durable percentiles. In the same run it measures the disk's
// ceiling: the same bytes written sequentially to a plain file in the same
// directory with a single fsync at the end (baseline_MB/s).
//
//	go test -run '^$' -bench AppendDurable -benchmem -benchtime 400x ./internal/store/local
func BenchmarkAppendDurable(b *testing.B) {
	const size = 250_000
	media := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range media {
		media[i] = byte(rng.Uint32())
	}
	hdr := []byte("EBML header + Segment Info + Tracks of a 1080p H.264 stream")
	for _, streams := range []int{1, 50, 500} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			s, err := OpenFragments(ctx, dir, FragmentsOptions{})
			if err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Value
			b.SetBytes(size)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for st := range streams {
				stream := fmt.Sprintf("arn:aws:kinesisvideo:us-east-1:000000000000:stream/bench-%d/1700000000000", st)
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						t0 := time.Now()
						_, ch, err := s.Append(ctx, store.NewFragment{
							Stream: stream, ServerTimestamp: t0, ProducerTimestamp: t0,
							Duration: 2 * time.Second, Header: hdr, Media: media,
						})
						if err == nil {
							err = <-ch
						}
						if err != nil {
							failed.Store(err)
							return
						}
						lat[i] = time.Since(t0)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			slices.Sort(lat)
			total := float64(b.N) * size
			b.ReportMetric(total/elapsed.Seconds()/1e6, "MB/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1e3, "p50_ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1e3, "p99_ms")
			b.ReportMetric(baselineMBps(b, dir, b.N, media), "baseline_MB/s")
		})
	}
}

// baselineMBps writes n copies of chunk sequentially to a fresh file in dir
// and fsyncs once: the most a single writer gets out of this disk.
func baselineMBps(b *testing.B, dir string, n int, chunk []byte) float64 {
	path := filepath.Join(dir, "baseline")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	start := time.Now()
	for range n {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return float64(n) * float64(len(chunk)) / elapsed.Seconds() / 1e6
}

// BenchmarkListRecent lists the last 5 fragments by server timestamp of a
// stream with 1,000 committed ones, as a LIVE playlist request does.
//
//	go test -run '^$' -bench ListRecent -benchmem ./internal/store/local
func BenchmarkListRecent(b *testing.B) {
	ctx := context.Background()
	s, err := OpenFragments(ctx, b.TempDir(), FragmentsOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var last store.Fragment
	for i := range 1000 {
		f, ch, err := s.Append(ctx, newFragment(testARN, i, 1000, nil))
		if err != nil {
			b.Fatal(err)
		}
		if i == 999 {
			if err := <-ch; err != nil {
				b.Fatal(err)
			}
		}
		last = f
	}
	q := store.FragmentQuery{Stream: testARN, By: store.ByServerTimestamp,
		Start: last.ServerTimestamp.Add(-9 * time.Second), End: last.ServerTimestamp}
	b.ResetTimer()
	for range b.N {
		fs, err := s.List(ctx, q)
		if err != nil || len(fs) != 5 {
			b.Fatalf("%d fragments, %v", len(fs), err)
		}
	}
}
