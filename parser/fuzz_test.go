package parser

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openkvs/openkvs/mkv"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the generated seeds under testdata/fuzz/FuzzReader")

// fuzzLimits keep the fuzzer's memory small whatever a size field claims.
var fuzzLimits = mkv.ReaderOptions{MaxElementSize: 1 << 20, MaxFrameSize: 1 << 20, MaxDepth: 16, BufferSize: 64}

// FuzzReader feeds arbitrary chunk streams to the Reader, a Merger and the
// NAL helpers, and checks the event order. Run it with a bounded
// minimization, which otherwise stalls on the multi-KB seeds:
//
//	go test -run '^$' -fuzz '^FuzzReader$' -fuzztime 60s -fuzzminimizetime 3s ./parser
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), Options{Limits: fuzzLimits})
		m := NewMerger(io.Discard, MergeOptions{KeepKVSTags: true, NextWriter: func(*BreakError) (io.Writer, error) { return io.Discard, nil }})
		var cur *Chunk
		frames, index := 0, -1
		var scratch []byte
		for {
			k, err := r.Next()
			if err == io.EOF {
				if cur != nil {
					t.Fatalf("EOF inside chunk %d", cur.Index)
				}
				break
			}
			if err != nil {
				var se *StreamError
				if !errors.As(err, &se) && err.Error() == "" {
					t.Fatal("empty error")
				}
				break
			}
			c := r.Chunk()
			switch k {
			case KindChunkStart:
				if cur != nil || c.Index != index+1 || c.Complete {
					t.Fatalf("chunk %d starts inside chunk %v", c.Index, cur)
				}
				cur, frames, index = c, 0, c.Index
				_ = m.ChunkStart(c)
			case KindFrame:
				f := r.Frame()
				if cur != c || f.Index != frames {
					t.Fatalf("frame %d of chunk %d out of order", f.Index, c.Index)
				}
				frames++
				_ = m.Frame(c, f)
				scratch, _ = AVCCToAnnexB(scratch[:0], f.Data, 4)
				scratch, _ = AnnexBToAVCC(scratch[:0], f.Data, 4)
			case KindChunkEnd:
				if cur != c || !c.Complete || c.Frames != frames {
					t.Fatalf("chunk %d ends out of order", c.Index)
				}
				cur = nil
				_ = m.ChunkEnd(c)
				for _, tr := range c.Tracks {
					if conv, err := NewAnnexBConverter(tr); err == nil {
						_ = conv.ParameterSets()
					}
				}
			default:
				t.Fatalf("kind %v", k)
			}
		}
		_ = m.Close()
	})
}

// FuzzCodecPrivate feeds arbitrary codec private data to the record
// parsers.
func FuzzCodecPrivate(f *testing.F) {
	f.Add(testTrack.CodecPrivate)
	f.Add([]byte{1, 1, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 1, 0x20, 0, 1, 0, 2, 0x40, 1})
	f.Add([]byte{0, 0, 0, 1, 0x67, 0x64, 0, 0x1e, 0, 0, 1, 0x68, 0xee})
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ParseAVCDecoderConfig(data); err == nil {
			_ = c.AppendAnnexB(nil)
		}
		if c, err := ParseHEVCDecoderConfig(data); err == nil {
			_ = c.AppendAnnexB(nil)
		}
		for nal := range AnnexBUnits(data) {
			if len(nal) == 0 || nal[len(nal)-1] == 0 {
				t.Fatalf("unit %x", nal)
			}
		}
	})
}

// fuzzSeeds builds the committed seeds: small real captures, shrunk large
// ones, and synthetic streams with what the captures lack.
func fuzzSeeds(t *testing.T) map[string][]byte {
	mixed := splitChunks(t, readFixture(t, parserLib+"/test_mixed_tags.mkv"))
	seeds := map[string][]byte{
		"test_mixed_tags-2-chunks": bytes.Join(mixed[:2], nil),
		"test_mixed_tags-cut":      mixed[1][:1500],
		"empty-mkv-with-tags":      shrink(t, readFixture(t, parserLib+"/empty-mkv-with-tags.mkv"), 1, 0, 0),
		"test_tags_empty_cluster":  readFixture(t, parserLib+"/test_tags_empty_cluster.mkv"),
		"synthetic-laced-groups": bytes.Join([][]byte{
			buildChunk(t, chunkSpec{fn: "1", token: true, frames: 4, lace: 3}),
			buildChunk(t, chunkSpec{fn: "2", token: true, frames: 2, group: true, scale: 100_000}),
			buildChunk(t, chunkSpec{fn: "3", frames: 1, noHeader: true}),
		}, nil),
		"synthetic-error-tags": buildChunk(t, chunkSpec{fn: "1", token: true, frames: 1,
			tail: []mkv.SimpleTag{{Name: mkv.TagErrorCode, String: "x"}, {Name: mkv.TagErrorID, String: "4000"}}}),
	}
	for name, path := range map[string]string{
		"output_get_media":                         parserLib + "/output_get_media.mkv",
		"output-get-media-non-increasing-timecode": parserLib + "/output-get-media-non-increasing-timecode.mkv",
		"kinesis_video_renderer_example_output":    parserLib + "/kinesis_video_renderer_example_output.mkv",
		"putmedia-body":                            producerDir + "/putmedia-body.mkv",
		"putmedia-body-h265":                       producerDir + "/putmedia-body-h265.mkv",
	} {
		seeds[name] = shrink(t, readFixture(t, path), 2, 2, 16)
	}
	return seeds
}

// shrink rewrites the first chunks (and at most as many Clusters) of a
// capture with only a few short
// frames per Cluster, keeping every other element as it was.
func shrink(t *testing.T, data []byte, maxChunks, maxBlocks, maxPayload int) []byte {
	r := mkv.NewReader(bytes.NewReader(data), mkv.ReaderOptions{})
	var out bytes.Buffer
	w := mkv.NewWriter(&out)
	chunks, clusters, blocks := 0, 0, 0
	for {
		k, err := r.Next()
		if err != nil {
			break
		}
		switch k {
		case mkv.KindEBMLHeader:
			if chunks++; chunks > maxChunks {
				return out.Bytes()
			}
			raw, err := r.Raw()
			require.NoError(t, err)
			_ = w.WriteRaw(raw)
		case mkv.KindSegment:
			_ = w.WriteRaw(r.RawHeader())
		case mkv.KindCluster:
			if clusters++; clusters > maxChunks {
				return out.Bytes()
			}
			blocks = 0
			_ = w.SetSizeWidth(1)
			_ = w.StartCluster(0, true)
			_ = w.SetSizeWidth(0)
		case mkv.KindClusterTimestamp:
			// StartCluster wrote a Timestamp 0; a second one is harmless
			// and keeps the real value.
			_ = w.WriteUint(mkv.IDTimestamp, r.ClusterTimestamp())
		case mkv.KindBlock:
			if blocks++; blocks <= maxBlocks {
				b := *r.Block()
				if b.Lacing() == mkv.LacingNone && len(b.Payload) > maxPayload {
					b.Payload = b.Payload[:maxPayload]
				}
				_ = w.WriteBlock(&b)
			}
		case mkv.KindClusterEnd:
			_ = w.EndMaster()
		case mkv.KindSegmentEnd:
		case mkv.KindOther:
			// Keep small elements (SeekHead, Cues, CRC-32), drop Void.
			if el := r.Element(); el.ID != mkv.IDVoid && el.Size >= 0 && el.Size < 512 && el.Parent != mkv.IDCluster {
				raw, err := r.Raw()
				require.NoError(t, err)
				_ = w.WriteRaw(raw)
			}
		default:
			raw, err := r.Raw()
			require.NoError(t, err)
			_ = w.WriteRaw(raw)
		}
	}
	return out.Bytes()
}

// TestFuzzCorpus checks the committed seeds (or rewrites them with
// -update): they exist, stay small, and the real ones still parse.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	seeds := fuzzSeeds(t)
	if *update {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for name, data := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(content), 0o644))
		}
	}
	total := 0
	for name, data := range seeds {
		content, err := os.ReadFile(filepath.Join(dir, "seed-"+name))
		require.NoError(t, err, "run go test -run TestFuzzCorpus -update")
		require.Equal(t, fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data), string(content), "seed %s is stale: run with -update", name)
		total += len(content)
		if strings.HasPrefix(name, "synthetic") || strings.HasSuffix(name, "-cut") || strings.Contains(name, "empty") {
			continue
		}
		got, err := collect(bytes.NewReader(data), Options{})
		require.NoError(t, err, name)
		require.NotEmpty(t, got, name)
	}
	require.Less(t, total, 100<<10, "the committed corpus stays under 100 KB")
}
