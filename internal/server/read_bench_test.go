package server_test

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// ingestFast sends n fragments of frames frames of size bytes each to a
// stream as fast as possible and waits for every PERSISTED.
func ingestFast(b *testing.B, srv *kvsdtest.Server, stream string, n, frames, size int) {
	header := kvsdtest.NewBody(b).Bytes()
	endTags := kvsdtest.NewBody(b).Tags(mkv.TagEndOfFragment, "").Bytes()[len(header):]
	fw := newFrameWriter()
	frame := make([]byte, size)
	for k := range frames {
		_ = fw.w.WriteSimpleBlock(1, int16(k*40), 0, frame)
	}
	blocks := append(fw.take(), endTags...)
	conn := srv.PutMedia(b, kvsdtest.PutMediaHeaders(stream), header)
	go func() {
		for i := range n {
			_ = fw.w.StartCluster(uint64(1_000_000+i*1000), true)
			if conn.TryWrite(fw.take()) != nil || conn.TryWrite(blocks) != nil {
				return
			}
		}
		conn.Close()
	}()
	persisted := 0
	for a := range conn.Acks {
		if a.EventType == "PERSISTED" {
			persisted++
		}
	}
	if persisted != n {
		b.Fatalf("%d of %d fragments persisted", persisted, n)
	}
}

// BenchmarkListFragments1000 lists a stream of 1,000 fragments in one page
// of MaxResults 1000 over a signed request (fragment quota off).
func BenchmarkListFragments1000(b *testing.B) {
	srv := kvsdtest.Start(b, func(c *config.Config) { c.FragmentMetadataPointsPerSec = 0 })
	if r := srv.Post(b, "/createStream", `{"StreamName":"many","DataRetentionInHours":1}`); r.Status != 200 {
		b.Fatal(r.Body)
	}
	ingestFast(b, srv, "many", 1000, 1, 100)
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		r := srv.Post(b, "/listFragments", `{"StreamName":"many","MaxResults":1000}`)
		lat = append(lat, time.Since(t0))
		var out struct{ Fragments []json.RawMessage }
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &out) != nil || len(out.Fragments) != 1000 {
			b.Fatalf("status %d, %d fragments", r.Status, len(out.Fragments))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
}

// BenchmarkCatchUpRead reads a 2 Mbps stream from the start with GetMedia
// EARLIEST (300 one-second fragments, 75 MB) and compares it with a plain
// sequential read of the store's segment files in the same run. Each
// iteration reads both, the raw read first, and drops the page cache (as
// root) before each read, so both read from the disk; if that is not
// allowed, both read warm data and the metrics say "warm". The shared disk's
// speed swings between runs, so the two are sampled in pairs and the ratio
// is that of their medians.
func BenchmarkCatchUpRead(b *testing.B) {
	srv := kvsdtest.Start(b)
	if r := srv.Post(b, "/createStream", `{"StreamName":"hour","DataRetentionInHours":1}`); r.Status != 200 {
		b.Fatal(r.Body)
	}
	// 300 one-second fragments by default; CATCHUP_BENCH_FRAGMENTS=3600
	// reads the hour of 2 Mbps that issue 4 names (900 MB).
	fragments := 300
	if v, err := strconv.Atoi(os.Getenv("CATCHUP_BENCH_FRAGMENTS")); err == nil && v > 0 {
		fragments = v
	}
	ingestFast(b, srv, "hour", fragments, 25, 10_000) // 250 KB per second: 2 Mbps
	cold := dropCaches() == nil
	segments := filepath.Join(srv.DataDir, "segments")
	var getMedia, raw []float64 // MB/s per iteration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		_ = dropCaches()
		raw = append(raw, rawRead(b, segments))
		_ = dropCaches()
		b.StartTimer()
		start := time.Now()
		body := openGetMedia(b, srv, "hour", `{"StartSelectorType":"EARLIEST"}`)
		r := mkv.NewReader(body, mkv.ReaderOptions{})
		chunks := 0
		for chunks < fragments {
			kind, err := r.Next()
			if err != nil {
				b.Fatalf("after %d chunks: %v", chunks, err)
			}
			if kind == mkv.KindClusterEnd {
				chunks++
			}
		}
		getMedia = append(getMedia, float64(r.InputOffset())/time.Since(start).Seconds()/1e6)
		body.Close()
	}
	b.StopTimer()
	suffix := "-MB/s"
	if !cold {
		suffix = "-warm-MB/s"
	}
	g, rr := median(getMedia), median(raw)
	b.ReportMetric(g, "getmedia"+suffix)
	b.ReportMetric(rr, "baseline-read"+suffix)
	b.ReportMetric(g/rr, "ratio")
}

// dropCaches asks Linux to drop the page cache (root only).
func dropCaches() error {
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200)
}

// rawRead reads every file in dir sequentially, 1 MiB per read, and
// returns MB/s. (io.Copy to io.Discard reads 8 KiB at a time, which left
// the disk idle between the kernel's read-ahead windows: GetMedia, which
// asks for read-ahead itself, was faster than that baseline.)
func rawRead(b *testing.B, dir string) float64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	var n int64
	start := time.Now()
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		for {
			m, err := f.Read(buf)
			n += int64(m)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
	return float64(n) / time.Since(start).Seconds() / 1e6
}
