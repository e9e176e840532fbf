package mkv

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// roundTrip is what TestWriterRoundTrip writes and expects back.
var (
	rtHeader = EBMLHeader{Version: 1, ReadVersion: 1, MaxIDLength: 4, MaxSizeLength: 8, DocType: "webm", DocTypeVersion: 4, DocTypeReadVersion: 2}
	rtInfo   = Info{
		SegmentUUID:    bytes.Repeat([]byte{0xAB}, 16),
		TimestampScale: 100_000,
		Duration:       12345.5,
		DateUTC:        time.Date(2026, 11, 25, 15, 32, 9, 825_000_000, time.UTC),
		Title:          "round trip", MuxingApp: "openkvs mkv", WritingApp: "openkvs test",
	}
	rtTracks = Tracks{Entries: []TrackEntry{
		{Number: 1, UID: 0xDEADBEEFCAFE, Type: TrackTypeVideo, Name: "video", CodecID: "V_MPEG4/ISO/AVC",
			CodecPrivate: []byte{1, 0x64, 0, 0x1E, 0xFF}, DefaultDuration: 40_000_000,
			Video: &Video{PixelWidth: 1920, PixelHeight: 1080}},
		{Number: 2, UID: 2, Type: TrackTypeAudio, CodecID: "A_AAC", CodecPrivate: []byte{0x12, 0x10},
			Audio: &Audio{SamplingFrequency: 44100, Channels: 2, BitDepth: 16}},
	}}
	rtTags = Tags{Tags: []Tag{
		{SimpleTags: []SimpleTag{{Name: TagFragmentNumber, String: "91343852333181432397633000000000000000000000001"}}},
		{
			Targets: &Targets{TypeValue: 30, Type: "TRACK", TrackUIDs: []uint64{1, 2}},
			SimpleTags: []SimpleTag{
				{Name: "BIN", Binary: []byte{0, 1, 2}},
				{Name: "EMPTY_BIN", Binary: []byte{}},
				{Name: "PARENT", String: "p", Children: []SimpleTag{{Name: "CHILD", String: "c"}}},
				{Name: TagEndOfFragment},
			},
		},
	}}
	rtBlocks = []Block{
		{Track: 1, Timestamp: 0, Flags: FlagKeyframe, Simple: true, Payload: []byte("key frame")},
		{Track: 1, Timestamp: 40, Flags: FlagDiscardable | FlagInvisible, Simple: true, Payload: []byte("delta")},
		{Track: 2, Timestamp: -20, Simple: false, Payload: []byte("group"), Duration: 23, HasDuration: true, References: []int64{-40, 300}},
		{Track: 2, Timestamp: 5, Simple: false, Payload: []byte("key group")},
		// Xiph-laced: 3 frames of 2, 1 and 3 octets; the lace header is part
		// of the payload and written verbatim.
		{Track: 300, Timestamp: 32767, Flags: 0x82, Simple: true, Payload: []byte{2, 2, 1, 'a', 'a', 'b', 'c', 'c', 'c'}},
	}
)

// normBlock drops the Reader-owned fields of a block for comparison.
func normBlock(b *Block) Block {
	out := Block{Track: b.Track, Timestamp: b.Timestamp, Flags: b.Flags, Simple: b.Simple,
		Payload: bytes.Clone(b.Payload), Duration: b.Duration, HasDuration: b.HasDuration}
	if len(b.References) > 0 {
		out.References = append([]int64(nil), b.References...)
	}
	return out
}

func TestWriterRoundTrip(t *testing.T) {
	tests := []struct {
		name          string
		width         int
		knownSegment  bool
		knownClusters bool
	}{
		{"minimal sizes, streaming", 0, false, false},
		{"8-octet sizes, streaming", 8, false, false},
		{"4-octet sizes, known sizes", 4, true, true},
		{"minimal sizes, known clusters", 0, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			must(t, w.SetSizeWidth(tc.width))
			must(t, w.WriteEBMLHeader(rtHeader))
			must(t, w.StartSegment(!tc.knownSegment))
			must(t, w.WriteInfo(rtInfo))
			must(t, w.WriteTracks(rtTracks))
			for c := range 3 {
				must(t, w.StartCluster(uint64(1000*c), !tc.knownClusters))
				must(t, w.WriteUint(IDPosition, 0))
				for i := range rtBlocks {
					must(t, w.WriteBlock(&rtBlocks[i]))
				}
				must(t, w.EndMaster())
				must(t, w.WriteTags(rtTags))
			}
			must(t, w.Close())

			r := NewReader(bytes.NewReader(buf.Bytes()), ReaderOptions{})
			var clusters []uint64
			var blocks []Block
			for {
				k, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if e := r.Element(); k != KindClusterEnd && k != KindSegmentEnd && k != KindBlock && k != KindOther {
					known := !e.UnknownSize()
					if tc.width != 0 && known && e.SizeLen != tc.width {
						t.Fatalf("%s: size width %d, want %d", e.ID, e.SizeLen, tc.width)
					}
					if e.ID == IDSegment && known != tc.knownSegment || e.ID == IDCluster && known != tc.knownClusters {
						t.Fatalf("%s: known size %v", e.ID, known)
					}
				}
				switch k {
				case KindEBMLHeader:
					h, err := r.EBMLHeader()
					must(t, err)
					if h != rtHeader {
						t.Fatalf("header %+v", h)
					}
				case KindInfo:
					info, err := r.Info()
					must(t, err)
					if !reflect.DeepEqual(info, rtInfo) {
						t.Fatalf("info\n got %+v\nwant %+v", info, rtInfo)
					}
				case KindTracks:
					tr, err := r.Tracks()
					must(t, err)
					if !reflect.DeepEqual(tr, rtTracks) {
						t.Fatalf("tracks\n got %+v\nwant %+v", tr, rtTracks)
					}
				case KindTags:
					tags, err := r.Tags()
					must(t, err)
					if !reflect.DeepEqual(tags, rtTags) {
						t.Fatalf("tags\n got %+v\nwant %+v", tags, rtTags)
					}
				case KindClusterTimestamp:
					clusters = append(clusters, r.ClusterTimestamp())
				case KindBlock:
					blocks = append(blocks, normBlock(r.Block()))
				}
			}
			if !reflect.DeepEqual(clusters, []uint64{0, 1000, 2000}) {
				t.Fatalf("cluster timestamps %v", clusters)
			}
			if len(blocks) != 3*len(rtBlocks) {
				t.Fatalf("blocks: %d", len(blocks))
			}
			for i, b := range blocks {
				want := normBlock(&rtBlocks[i%len(rtBlocks)])
				if !want.Simple {
					want.Flags &^= FlagKeyframe
				}
				if !reflect.DeepEqual(b, want) {
					t.Fatalf("block %d\n got %+v\nwant %+v", i, b, want)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// firstRaw returns the raw octets and value of the first element with id
// that Next reports as its own event.
func firstRaw(t *testing.T, data []byte, kind Kind, skip int) ([]byte, *Reader) {
	t.Helper()
	r := NewReader(bytes.NewReader(data), ReaderOptions{})
	for {
		k, err := r.Next()
		if err != nil {
			t.Fatalf("looking for %v: %v", kind, err)
		}
		if k != kind {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		raw, err := r.Raw()
		must(t, err)
		return raw, r
	}
}

// TestWriterByteExact checks that the Writer reproduces real elements
// octet for octet when given the same size widths.
func TestWriterByteExact(t *testing.T) {
	mixed := readFixture(t, filepath.Join(kvsRealDir, "amazon-kinesis-video-streams-parser-library/test_mixed_tags.mkv"))
	producer := readFixture(t, h264Body)
	tests := []struct {
		name  string
		data  []byte
		kind  Kind
		skip  int
		width int
	}{
		// PIC's EBML header uses minimal widths throughout.
		{"producer EBML header", producer, KindEBMLHeader, 0, 0},
		// The producer SDK writes its Tags with 8-octet sizes.
		{"producer fragment metadata tags", producer, KindTags, 0, 8},
		{"producer END_OF_FRAGMENT tags", producer, KindTags, 9, 8},
		// KVS writes its own Tags with 4-octet sizes and no Targets.
		{"GetMedia leading KVS tags", mixed, KindTags, 5, 4},
		{"GetMedia trailing KVS tags", mixed, KindTags, 11, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, r := firstRaw(t, tc.data, tc.kind, tc.skip)
			raw = bytes.Clone(raw)
			var buf bytes.Buffer
			w := NewWriter(&buf)
			must(t, w.SetSizeWidth(tc.width))
			switch tc.kind {
			case KindEBMLHeader:
				h, err := r.EBMLHeader()
				must(t, err)
				must(t, w.WriteEBMLHeader(h))
			case KindTags:
				tags, err := r.Tags()
				must(t, err)
				must(t, w.WriteTags(tags))
			}
			if !bytes.Equal(buf.Bytes(), raw) {
				t.Fatalf("written\n% x\nwant\n% x", buf.Bytes(), raw)
			}
		})
	}
}

func TestWriterSegmentHeaders(t *testing.T) {
	tests := []struct {
		name  string
		width int
		want  []byte
	}{
		{"producer", 0, []byte{0x18, 0x53, 0x80, 0x67, 0xFF}},
		{"GetMedia", 8, []byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{"4 octets", 4, []byte{0x18, 0x53, 0x80, 0x67, 0x1F, 0xFF, 0xFF, 0xFF}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			must(t, w.SetSizeWidth(tc.width))
			must(t, w.StartSegment(true))
			must(t, w.Close())
			if !bytes.Equal(buf.Bytes(), tc.want) {
				t.Fatalf("% x, want % x", buf.Bytes(), tc.want)
			}
		})
	}
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		fn   func(w *Writer) error
		want error
	}{
		{"end without start", func(w *Writer) error { return w.EndMaster() }, ErrNoOpenMaster},
		{"invalid id", func(w *Writer) error { return w.WriteUint(ID(0x12), 1) }, ErrInvalidID},
		{"invalid master id", func(w *Writer) error { return w.StartMaster(ID(0xFF)) }, ErrInvalidID},
		{"size width 9", func(w *Writer) error { return w.SetSizeWidth(9) }, ErrSizeWidth},
		{"size too wide for width", func(w *Writer) error {
			_ = w.SetSizeWidth(1)
			return w.WriteBinary(IDCodecPrivate, make([]byte, 127))
		}, ErrSizeWidth},
		{"uint too wide for width", func(w *Writer) error { return w.WriteUintWidth(IDTimestamp, 1<<16, 2) }, ErrInvalidValue},
		{"track 0", func(w *Writer) error { return w.WriteSimpleBlock(0, 0, 0, nil) }, ErrInvalidBlock},
		{"destination fails", func(w *Writer) error {
			w.out = failingWriter{}
			return w.WriteUint(IDTimestamp, 1)
		}, errWriteFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter(io.Discard)
			if err := tc.fn(w); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.name != "size width 9" {
				// Sticky.
				if err := w.WriteUint(IDTimestamp, 1); !errors.Is(err, tc.want) {
					t.Fatalf("second call: %v", err)
				}
			}
		})
	}
}

var errWriteFailed = errors.New("write failed")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWriteFailed }

// TestWriterReencodeFixture decodes the H.265 producer body and writes it
// again from the decoded values, with the producer SDK's size widths, then
// checks that both streams read the same.
func TestWriterReencodeFixture(t *testing.T) {
	data := readFixture(t, h265Body)
	r := NewReader(bytes.NewReader(data), ReaderOptions{})
	var out bytes.Buffer
	w := NewWriter(&out)
	for {
		k, err := r.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		switch k {
		case KindEBMLHeader:
			h, err := r.EBMLHeader()
			must(t, err)
			must(t, w.WriteEBMLHeader(h))
		case KindSegment:
			must(t, w.StartSegment(true))
		case KindInfo:
			info, err := r.Info()
			must(t, err)
			must(t, w.WriteInfo(info))
		case KindTracks:
			tr, err := r.Tracks()
			must(t, err)
			must(t, w.WriteTracks(tr))
		case KindCluster:
			must(t, w.StartUnknownSizeMaster(IDCluster))
		case KindClusterTimestamp:
			must(t, w.WriteUintWidth(IDTimestamp, r.ClusterTimestamp(), 8))
		case KindBlock:
			must(t, w.SetSizeWidth(8))
			must(t, w.WriteBlock(r.Block()))
			must(t, w.SetSizeWidth(0))
		case KindOther:
			raw, err := r.Raw()
			must(t, err)
			must(t, w.WriteRaw(raw))
		case KindTags:
			tags, err := r.Tags()
			must(t, err)
			must(t, w.SetSizeWidth(8))
			must(t, w.WriteTags(tags))
			must(t, w.SetSizeWidth(0))
		case KindClusterEnd, KindSegmentEnd:
			must(t, w.EndMaster())
		}
	}
	must(t, w.Close())
	want := summarize(t, bytes.NewReader(data), ReaderOptions{})
	got := summarize(t, bytes.NewReader(out.Bytes()), ReaderOptions{})
	for i := range want.Clusters {
		got.Clusters[i].Offset = want.Clusters[i].Offset
	}
	got.RawHash, got.RawLen = want.RawHash, want.RawLen
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("re-encoded stream reads differently")
	}
}

func TestWriterZeroAlloc(t *testing.T) {
	w := NewWriter(io.Discard)
	must(t, w.StartSegment(true))
	must(t, w.StartCluster(1, true))
	frame := make([]byte, 50_000)
	tags := Tags{Tags: []Tag{{SimpleTags: []SimpleTag{{Name: TagEndOfFragment}}}}}
	must(t, w.WriteTags(tags))
	tests := []struct {
		name string
		fn   func()
	}{
		{"simple block", func() { _ = w.WriteSimpleBlock(1, 40, 0, frame) }},
		{"block group", func() {
			_ = w.WriteBlock(&Block{Track: 1, Payload: frame[:100], HasDuration: true, Duration: 40})
		}},
		{"tags", func() { _ = w.WriteTags(tags) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn()
			if allocs := testing.AllocsPerRun(100, tc.fn); allocs != 0 {
				t.Fatalf("%v allocations", allocs)
			}
		})
	}
}
