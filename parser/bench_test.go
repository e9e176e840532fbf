package parser

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkReader reads output_get_media.mkv (5 chunks, 300 frames) from
// memory with a reused Reader.
func BenchmarkReader(b *testing.B) {
	data := readFixture(b, parserLib+"/output_get_media.mkv")
	r := NewReader(bytes.NewReader(data), Options{})
	src := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(data)
		r.Reset(src)
		frames := 0
		for {
			k, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if k == KindFrame {
				frames++
			}
		}
		if frames != 300 {
			b.Fatalf("%d frames", frames)
		}
	}
}

// BenchmarkReaderSmallChunks reads test_mixed_tags.mkv (10 chunks of 10
// small frames), where the per-chunk work dominates.
func BenchmarkReaderSmallChunks(b *testing.B) {
	data := readFixture(b, parserLib+"/test_mixed_tags.mkv")
	r := NewReader(bytes.NewReader(data), Options{})
	src := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(data)
		r.Reset(src)
		if err := r.Walk(Handler{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMerge merges output_get_media.mkv into one file in memory.
func BenchmarkMerge(b *testing.B) {
	data := readFixture(b, parserLib+"/output_get_media.mkv")
	var out bytes.Buffer
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := Merge(&out, bytes.NewReader(data), MergeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnnexB converts the frames of output_get_media.mkv to Annex B.
func BenchmarkAnnexB(b *testing.B) {
	data := readFixture(b, parserLib+"/output_get_media.mkv")
	var frames [][]byte
	var conv *AnnexBConverter
	err := NewReader(bytes.NewReader(data), Options{}).Walk(Handler{
		ChunkStart: func(c *Chunk) error {
			var err error
			conv, err = NewAnnexBConverter(c.Tracks[0])
			return err
		},
		Frame: func(c *Chunk, f *Frame) error {
			frames = append(frames, bytes.Clone(f.Data))
			return nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, f := range frames {
		n += int64(len(f))
	}
	dst := make([]byte, 0, 1<<20)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for i, d := range frames {
			dst, err = conv.Append(dst[:0], &Frame{Data: d, Keyframe: i%60 == 0})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
