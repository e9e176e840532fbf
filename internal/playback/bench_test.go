package playback_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/mkv"
)

// memStore is a Store over one MKV file split as ingest splits it: the
// header before the first Cluster, with the Segment rewritten to unknown
// size as the store keeps it, and one fragment per Cluster.
type memStore struct {
	header []byte
	frags  [][]byte
	meta   []store.Fragment
}

func (m *memStore) Get(_ context.Context, _ string, n uint64) (store.Fragment, error) {
	return m.meta[n-1], nil
}

func (m *memStore) List(context.Context, store.FragmentQuery) ([]store.Fragment, error) {
	return m.meta, nil
}

func (m *memStore) ReadMedia(_ context.Context, f store.Fragment, dst []byte) ([]byte, error) {
	return append(dst, m.frags[f.Number-1]...), nil
}

func (m *memStore) ReadHeader(context.Context, string, uint64) ([]byte, error) { return m.header, nil }

func splitMKV(tb testing.TB, body []byte) *memStore {
	r := mkv.NewReader(bytes.NewReader(body), mkv.ReaderOptions{})
	var starts []int64
	var seg mkv.Element
	for {
		kind, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		switch kind {
		case mkv.KindSegment:
			seg = r.Element()
		case mkv.KindCluster:
			starts = append(starts, r.Element().Offset)
		}
	}
	m := &memStore{}
	m.header = append(append(bytes.Clone(body[:seg.Offset]), 0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		body[seg.DataOffset():starts[0]]...)
	starts = append(starts, int64(len(body)))
	for i := range len(starts) - 1 {
		m.frags = append(m.frags, body[starts[i]:starts[i+1]])
		m.meta = append(m.meta, store.Fragment{Stream: "s", Number: uint64(i + 1), HeaderID: 1, Size: starts[i+1] - starts[i],
			ProducerTimestamp: time.Unix(int64(i*2), 0), ServerTimestamp: time.Unix(int64(i*2), 0), Duration: 2 * time.Second})
	}
	return m
}

// benchInputs holds the generated inputs of BenchmarkRemuxFMP4 by
// length, kept for the process so that -count runs reuse them.
var benchInputs = struct {
	dir   string
	files map[int]string
}{files: map[int]string{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchInputs.dir != "" {
		_ = os.RemoveAll(benchInputs.dir)
	}
	os.Exit(code)
}

// benchInput makes an MKV of minutes of 720p25 H.264 at 2 Mbps with 2 s
// GOPs: one minute encoded, then looped with -c copy, since encoding an
// hour would take longer than the benchmark.
func benchInput(b *testing.B, minutes int) string {
	if f, ok := benchInputs.files[minutes]; ok {
		return f
	}
	if benchInputs.dir == "" {
		d, err := os.MkdirTemp("", "remuxbench")
		if err != nil {
			b.Fatal(err)
		}
		benchInputs.dir = d
	}
	run := func(args ...string) {
		cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ffmpeg: %v: %s", err, out)
		}
	}
	one := filepath.Join(benchInputs.dir, "one.mkv")
	if _, err := os.Stat(one); err != nil {
		run("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=60", "-c:v", "libx264", "-preset", "ultrafast",
			"-b:v", "2M", "-maxrate", "2M", "-bufsize", "4M", "-g", "50", "-pix_fmt", "yuv420p", "-f", "matroska", one)
	}
	in := one
	if minutes > 1 {
		in = filepath.Join(benchInputs.dir, fmt.Sprintf("in%d.mkv", minutes))
		run("-stream_loop", strconv.Itoa(minutes-1), "-i", one, "-c", "copy", "-f", "matroska", in)
	}
	benchInputs.files[minutes] = in
	return in
}

// BenchmarkRemuxFMP4 remuxes N minutes (PLAYBACK_BENCH_MINUTES, default 1)
// of 2 Mbps H.264 in 2 s fragments to fMP4 media segments, as HLS serves
// them, and runs `ffmpeg -c copy` to fragmented MP4 on the same MKV in the
// same run; it reports both and their ratio. Run with -benchtime 1x.
// Both read the MKV from memory (ffmpeg from the page cache) and neither
// writes its output to disk (ffmpeg writes to /dev/null).
func BenchmarkRemuxFMP4(b *testing.B) {
	minutes := 1
	if v, err := strconv.Atoi(os.Getenv("PLAYBACK_BENCH_MINUTES")); err == nil && v > 0 {
		minutes = v
	}
	in := benchInput(b, minutes)
	body, err := os.ReadFile(in)
	if err != nil {
		b.Fatal(err)
	}
	m := splitMKV(b, body)
	src := playback.NewSource(m)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var out int
	for range b.N {
		var frag playback.Fragment
		var ss []playback.Sample
		var buf bytes.Buffer
		out = 0
		for _, f := range m.meta {
			if err := src.Read(ctx, f, &frag); err != nil {
				b.Fatal(err)
			}
			ss = frag.CMAFSamples(0, ss[:0])
			buf.Reset()
			if err := playback.MediaSegment(&buf, uint32(f.Number), uint64(f.Number)*180000, ss); err != nil {
				b.Fatal(err)
			}
			out += buf.Len()
		}
	}
	remux := time.Since(start) / time.Duration(b.N)
	b.StopTimer()

	ffStart := time.Now()
	cp := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", in, "-c", "copy",
		"-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", os.DevNull)
	if msg, err := cp.CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg -c copy: %v: %s", err, msg)
	}
	ff := time.Since(ffStart)
	b.ReportMetric(float64(remux.Milliseconds()), "remux-ms")
	b.ReportMetric(float64(ff.Milliseconds()), "ffmpeg-copy-ms")
	b.ReportMetric(float64(ff)/float64(remux), "x-faster-than-ffmpeg")
	b.Logf("%d min, %d fragments, %d MB in, %d MB fMP4: remux %v, ffmpeg -c copy %v", minutes, len(m.meta),
		len(body)>>20, out>>20, remux, ff)
}
