package mkv

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"testing/iotest"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// producerCase is what the producer-c README says about a PutMedia body.
type producerCase struct {
	name         string
	path         string
	clusters     int
	codecID      string
	codecPrivate int
	width        uint64
	height       uint64
	frames       []int
	offsets      []int64 // cluster offsets, where the README gives them
	firstKeySize []int   // key frame sizes, where the README gives them
	acks         string  // acks-sent.jsonl with the FragmentTimecodes, if any
}

var producerCases = []producerCase{
	{
		name: "h264", path: h264Body, clusters: 5, codecID: "V_MPEG4/ISO/AVC", codecPrivate: 45,
		width: 640, height: 480,
		frames:       []int{45, 45, 45, 45, 35},
		offsets:      []int64{280, 918168, 1833717, 2758084, 3682433},
		firstKeySize: []int{119389, 103999},
		acks:         filepath.Join(producerDir, "acks-sent.jsonl"),
	},
	{
		// The README gives 14 clusters; the frame counts were read from the
		// file: the 9th cluster has 43 frames (1720 ms) and the last 31.
		name: "h265", path: h265Body, clusters: 14, codecID: "V_MPEGH/ISO/HEVC", codecPrivate: 123,
		width: 640, height: 360,
		frames: []int{45, 45, 45, 45, 45, 45, 45, 45, 43, 45, 45, 45, 45, 31},
	},
}

// ackTimecodes returns the distinct FragmentTimecodes the stub acknowledged,
// in order.
func ackTimecodes(t *testing.T, path string) []uint64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct{ Ack string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		var ack struct{ FragmentTimecode uint64 }
		if err := json.Unmarshal([]byte(line.Ack), &ack); err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 || out[len(out)-1] != ack.FragmentTimecode {
			out = append(out, ack.FragmentTimecode)
		}
	}
	return out
}

func TestProducerBodies(t *testing.T) {
	for _, tc := range producerCases {
		t.Run(tc.name, func(t *testing.T) {
			data := readFixture(t, tc.path)
			s := summarize(t, bytes.NewReader(data), ReaderOptions{})
			if s.Err != nil {
				t.Fatalf("read: %v", s.Err)
			}
			t.Run("one-byte reads", func(t *testing.T) {
				got := summarize(t, iotest.OneByteReader(bytes.NewReader(data)), ReaderOptions{BufferSize: 1})
				if !reflect.DeepEqual(got, s) {
					t.Fatalf("one-byte reads differ")
				}
			})
			t.Run("supplied buffer", func(t *testing.T) {
				// A buffer too small for most elements has to grow; one
				// shorter than 16 octets is ignored for BufferSize.
				for _, n := range []int{15, 16, 1 << 20} {
					buf := bytes.Repeat([]byte{0xee}, n)
					got := summarize(t, bytes.NewReader(data), ReaderOptions{Buffer: buf})
					if !reflect.DeepEqual(got, s) {
						t.Fatalf("Buffer of %d octets: events differ", n)
					}
					if used := !bytes.Equal(buf, bytes.Repeat([]byte{0xee}, n)); used != (n >= 16) {
						t.Fatalf("Buffer of %d octets used: %v", n, used)
					}
				}
			})
			t.Run("raw octets", func(t *testing.T) {
				if s.RawLen != int64(len(data)) || s.RawHash != sha256Sum(data) {
					t.Fatalf("raw octets of the events (%d) differ from the input (%d)", s.RawLen, len(data))
				}
			})
			t.Run("header", func(t *testing.T) {
				if len(s.EBMLHeaders) != 1 || s.Segments != 1 {
					t.Fatalf("EBML headers %d, segments %d", len(s.EBMLHeaders), s.Segments)
				}
				want := EBMLHeader{Version: 1, ReadVersion: 1, MaxIDLength: 4, MaxSizeLength: 8,
					DocType: "matroska", DocTypeVersion: 2, DocTypeReadVersion: 2}
				if s.EBMLHeaders[0] != want {
					t.Fatalf("EBML header %+v", s.EBMLHeaders[0])
				}
				info := s.Infos[0]
				if info.TimestampScale != 1_000_000 || info.Title != "Kinesis Video SDK" ||
					info.MuxingApp != "Kinesis Video SDK 1.1.0" || info.WritingApp != "Kinesis Video SDK 1.1.0" ||
					len(info.SegmentUUID) != 16 || info.Duration != 0 || !info.DateUTC.IsZero() {
					t.Fatalf("info %+v", info)
				}
			})
			t.Run("tracks", func(t *testing.T) {
				if len(s.Tracks) != 1 || len(s.Tracks[0].Entries) != 1 {
					t.Fatalf("tracks %+v", s.Tracks)
				}
				e := s.Tracks[0].Entries[0]
				if e.Number != 1 || e.UID != 1 || e.Type != TrackTypeVideo || e.Name != "kvs_video_track" ||
					e.CodecID != tc.codecID || len(e.CodecPrivate) != tc.codecPrivate ||
					e.Video == nil || e.Video.PixelWidth != tc.width || e.Video.PixelHeight != tc.height || e.Audio != nil {
					t.Fatalf("track %+v video %+v", e, e.Video)
				}
				if tc.name == "h264" && hex.EncodeToString(e.CodecPrivate[:20]) != "0164001effe1001d6764001eacb201407b602d41" {
					t.Fatalf("codec private %x", e.CodecPrivate)
				}
			})
			t.Run("clusters", func(t *testing.T) {
				if len(s.Clusters) != tc.clusters {
					t.Fatalf("clusters: got %d, want %d", len(s.Clusters), tc.clusters)
				}
				var frames []int
				for i, c := range s.Clusters {
					frames = append(frames, c.Frames)
					if !c.UnknownSize {
						t.Errorf("cluster %d has a known size", i)
					}
					if c.Keyframes != 1 || c.BlockSizeLens[8] != c.Frames {
						t.Errorf("cluster %d: %d key frames, size widths %v", i, c.Keyframes, c.BlockSizeLens)
					}
					for j, ts := range c.RelTimestamps {
						if int(ts) != 40*j {
							t.Fatalf("cluster %d block %d: timestamp %d, want %d", i, j, ts, 40*j)
						}
					}
					if i > 0 {
						prev := s.Clusters[i-1]
						if c.Timestamp != prev.Timestamp+40*uint64(prev.Frames) {
							t.Errorf("cluster %d timestamp %d does not follow %d + %d frames", i, c.Timestamp, prev.Timestamp, prev.Frames)
						}
					}
					// Per fragment: 9 metadata tags, then END_OF_FRAGMENT.
					var want []string
					for k := 1; k <= 9; k++ {
						want = append(want, fmt.Sprintf("TEST_KEY_%d=TEST_VALUE_%d", k, 45*i+k))
					}
					want = append(want, TagEndOfFragment+"=")
					if tc.name == "h264" && !slices.Equal(c.TagsAfter, want) {
						t.Errorf("cluster %d tags %q, want %q", i, c.TagsAfter, want)
					}
					if len(c.TagsAfter) != 10 || c.TagsAfter[9] != TagEndOfFragment+"=" {
						t.Errorf("cluster %d tags %q", i, c.TagsAfter)
					}
				}
				if !slices.Equal(frames, tc.frames) {
					t.Fatalf("frames per cluster %v, want %v", frames, tc.frames)
				}
				for i, off := range tc.offsets {
					if s.Clusters[i].Offset != off {
						t.Errorf("cluster %d at %d, want %d", i, s.Clusters[i].Offset, off)
					}
				}
				for i, size := range tc.firstKeySize {
					if s.Clusters[i].FirstKeySize != size {
						t.Errorf("cluster %d key frame %d octets, want %d", i, s.Clusters[i].FirstKeySize, size)
					}
				}
				if tc.acks != "" {
					var got []uint64
					for _, c := range s.Clusters {
						got = append(got, c.Timestamp)
					}
					if want := ackTimecodes(t, tc.acks); !slices.Equal(got, want) {
						t.Fatalf("cluster timestamps %v, acknowledged FragmentTimecodes %v", got, want)
					}
				}
			})
			t.Run("events", func(t *testing.T) {
				want := map[Kind]int{
					KindEBMLHeader: 1, KindSegment: 1, KindInfo: 1, KindTracks: 1,
					KindCluster: tc.clusters, KindClusterTimestamp: tc.clusters, KindClusterEnd: tc.clusters,
					KindOther: tc.clusters, // Position 0 in every cluster
					KindTags:  10 * tc.clusters, KindSegmentEnd: 1,
				}
				total := 0
				for _, n := range tc.frames {
					total += n
				}
				want[KindBlock] = total
				if !reflect.DeepEqual(s.Events, want) {
					t.Fatalf("events %v, want %v", s.Events, want)
				}
			})
		})
	}
}

// TestProducerElementOffsets checks the low-level element stream against the
// offsets and widths in the producer-c README.
func TestProducerElementOffsets(t *testing.T) {
	data := readFixture(t, h264Body)
	r := NewReader(bytes.NewReader(data), ReaderOptions{})
	type want struct {
		id      ID
		offset  int64
		size    int64
		sizeLen int
		depth   int
	}
	wants := []want{
		{IDEBML, 0, 35, 1, 0},
		{IDSegment, 40, UnknownSize, 1, 0},
		{IDInfo, 45, 103, 2, 1},
		{IDTracks, 154, 118, 4, 1},
		{IDCluster, 280, UnknownSize, 1, 1},
		{IDTimestamp, 285, 8, 1, 2},
		{IDPosition, 295, 1, 1, 2},
		{IDSimpleBlock, 298, -2, 8, 2},
	}
	var got []want
	for len(got) < len(wants) {
		el, err := r.ReadElement()
		if err != nil {
			t.Fatal(err)
		}
		if el.Depth > 2 || el.Parent == IDInfo || el.Parent == IDTracks {
			continue
		}
		if el.ID == IDEBML || el.ID == IDInfo || el.ID == IDTracks {
			if err := r.Skip(); err != nil {
				t.Fatal(err)
			}
		}
		size := el.Size
		if el.ID == IDSimpleBlock {
			size = -2 // checked below
			if el.Size != 119389+4 {
				t.Errorf("first SimpleBlock size %d", el.Size)
			}
			if raw := r.RawHeader(); !bytes.Equal(raw, []byte{0xA3, 0x01, 0, 0, 0, 0, 0x01, 0xD2, 0x61}) {
				t.Errorf("first SimpleBlock header % x", raw)
			}
		}
		got = append(got, want{el.ID, el.Offset, size, el.SizeLen, el.Depth})
		if el.ID == IDSegment && !bytes.Equal(r.RawHeader(), []byte{0x18, 0x53, 0x80, 0x67, 0xFF}) {
			t.Errorf("segment header % x", r.RawHeader())
		}
	}
	if !reflect.DeepEqual(got, wants) {
		t.Fatalf("elements\n got %v\nwant %v", got, wants)
	}
	// The first Tags element after the first cluster: 12-octet header.
	for {
		el, err := r.ReadElement()
		if err != nil {
			t.Fatal(err)
		}
		if el.ID == IDTags {
			if el.Offset != 917418 || el.Size != 62 || el.HeaderLen != 12 || el.Depth != 1 {
				t.Fatalf("first Tags %+v", el)
			}
			break
		}
	}
}
