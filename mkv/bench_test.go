package mkv

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkReaderFrames parses the H.264 producer body (4.4 MB, 215 frames)
// from memory with Next, touching every frame. Run with -benchmem: the
// Reader is reused with Reset, so allocs/op is the allocation count of a
// whole stream, and 0 means 0 per frame.
func BenchmarkReaderFrames(b *testing.B) {
	data := readFixture(b, h264Body)
	br := bytes.NewReader(data)
	r := NewReader(br, ReaderOptions{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	frames := 0
	for b.Loop() {
		br.Reset(data)
		r.Reset(br)
		frames = 0
		for {
			k, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if k == KindBlock {
				frames += r.Block().NumFrames()
			}
		}
	}
	if frames != 215 {
		b.Fatalf("frames: %d", frames)
	}
	b.ReportMetric(float64(frames), "frames/op")
}

// BenchmarkReaderFramesWithTags is BenchmarkReaderFrames plus decoding every
// Tags, Info and Tracks element, as an ingest session does; the allocations
// are those of the decoded metadata (about 4 per Tags element), not of
// frames.
func BenchmarkReaderFramesWithTags(b *testing.B) {
	data := readFixture(b, h264Body)
	br := bytes.NewReader(data)
	r := NewReader(br, ReaderOptions{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		br.Reset(data)
		r.Reset(br)
		for {
			k, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			switch k {
			case KindTags:
				if _, err := r.Tags(); err != nil {
					b.Fatal(err)
				}
			case KindInfo:
				if _, err := r.Info(); err != nil {
					b.Fatal(err)
				}
			case KindTracks:
				if _, err := r.Tracks(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkWriterSimpleBlock writes 40 KB frames into an unknown-size
// Cluster.
func BenchmarkWriterSimpleBlock(b *testing.B) {
	w := NewWriter(io.Discard)
	_ = w.StartSegment(true)
	_ = w.StartCluster(0, true)
	frame := make([]byte, 40_000)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteSimpleBlock(1, 40, 0, frame); err != nil {
			b.Fatal(err)
		}
	}
}
