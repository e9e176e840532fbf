package mkv

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"slices"
	"testing"
	"testing/iotest"
	"time"
)

// el builds an element with a minimal-width size field.
func el(id ID, body ...[]byte) []byte {
	data := bytes.Join(body, nil)
	out, err := AppendElementHeader(nil, id, int64(len(data)), 0)
	if err != nil {
		panic(err)
	}
	return append(out, data...)
}

// elUnknown builds the header of an unknown-size element.
func elUnknown(id ID) []byte {
	out, err := AppendElementHeader(nil, id, UnknownSize, 0)
	if err != nil {
		panic(err)
	}
	return out
}

// hdr builds an element header with an explicit size and width.
func hdr(id ID, size int64, width int) []byte {
	out, err := AppendElementHeader(nil, id, size, width)
	if err != nil {
		panic(err)
	}
	return out
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func u8(v ...byte) []byte { return v }

// simpleBlock builds SimpleBlock data for track 1.
func simpleBlock(ts int16, flags uint8, payload []byte) []byte {
	return el(IDSimpleBlock, u8(0x81, byte(uint16(ts)>>8), byte(ts), flags), payload)
}

// streamHead is an EBML header and the start of an unknown-size Segment.
var streamHead = cat(
	el(IDEBML, el(IDDocType, []byte("matroska"))),
	elUnknown(IDSegment),
)

// collectKinds runs Next to the end and returns the kinds and the final
// error (nil for io.EOF).
func collectKinds(r *Reader) ([]Kind, error) {
	var kinds []Kind
	for {
		k, err := r.Next()
		if err == io.EOF {
			return kinds, nil
		}
		if err != nil {
			return kinds, err
		}
		kinds = append(kinds, k)
	}
}

func TestReaderErrors(t *testing.T) {
	cluster := cat(elUnknown(IDCluster), el(IDTimestamp, u8(1)))
	tests := []struct {
		name string
		in   []byte
		opts ReaderOptions
		want error
	}{
		{name: "truncated id", in: u8(0x1A, 0x45), want: io.ErrUnexpectedEOF},
		{name: "truncated size", in: u8(0x1A, 0x45, 0xDF, 0xA3, 0x01, 0x00), want: io.ErrUnexpectedEOF},
		{name: "truncated data", in: cat(hdr(IDEBML, 35, 1), u8(0x42, 0x86)), want: io.ErrUnexpectedEOF},
		{name: "truncated block", in: cat(streamHead, cluster, hdr(IDSimpleBlock, 1000, 0), u8(0x81, 0, 0, 0x80)), want: io.ErrUnexpectedEOF},
		{name: "truncated known-size segment", in: cat(el(IDEBML), hdr(IDSegment, 100, 0), el(IDVoid, u8(0))), want: io.ErrUnexpectedEOF},
		{name: "huge element", in: cat(hdr(IDEBML, MaxSize, 8), u8(1, 2, 3)), want: ErrElementTooLarge},
		{name: "element above limit", in: cat(hdr(IDEBML, 2000, 0), make([]byte, 2000)), opts: ReaderOptions{MaxElementSize: 1000}, want: ErrElementTooLarge},
		{name: "huge frame", in: cat(streamHead, cluster, hdr(IDSimpleBlock, MaxSize, 8)), want: ErrFrameTooLarge},
		{name: "frame above limit", in: cat(streamHead, cluster, simpleBlock(0, 0x80, make([]byte, 2000))), opts: ReaderOptions{MaxFrameSize: 1000}, want: ErrFrameTooLarge},
		{name: "size vint 0x00", in: u8(0x1A, 0x45, 0xDF, 0xA3, 0x00, 0x01), want: ErrInvalidVint},
		{name: "id first octet 0x00", in: u8(0x00, 0x81), want: ErrInvalidID},
		{name: "id of 5 octets", in: u8(0x08, 0x01, 0x02, 0x03, 0x04, 0x81), want: ErrInvalidID},
		{name: "id all ones", in: u8(0xFF, 0x80), want: ErrInvalidID},
		{name: "id all zeros", in: u8(0x40, 0x00, 0x80), want: ErrInvalidID},
		{name: "unknown size info", in: cat(streamHead, elUnknown(IDInfo)), want: ErrUnknownSize},
		{name: "unknown size unknown id", in: cat(u8(0x81), u8(0xFF)), want: ErrUnknownSize},
		{name: "child overflows parent", in: cat(el(IDEBML), hdr(IDSegment, 4, 0), hdr(IDInfo, 10, 0), make([]byte, 10)), want: ErrElementOverflow},
		{name: "short simple block", in: cat(streamHead, cluster, el(IDSimpleBlock, u8(0x81, 0))), want: ErrInvalidBlock},
		{name: "bad xiph lacing", in: cat(streamHead, cluster, el(IDSimpleBlock, u8(0x81, 0, 0, 0x82, 2, 255))), want: ErrInvalidBlock},
		{name: "bad fixed lacing", in: cat(streamHead, cluster, el(IDSimpleBlock, u8(0x81, 0, 0, 0x84, 1, 1, 2, 3))), want: ErrInvalidBlock},
		{name: "bad ebml lacing", in: cat(streamHead, cluster, el(IDSimpleBlock, u8(0x81, 0, 0, 0x86, 1, 0xC0, 9))), want: ErrInvalidBlock},
		{name: "block group without block", in: cat(streamHead, cluster, el(IDBlockGroup, el(IDBlockDuration, u8(1)))), want: ErrInvalidBlock},
		{name: "9-octet timestamp", in: cat(streamHead, elUnknown(IDCluster), el(IDTimestamp, make([]byte, 9))), want: ErrInvalidValue},
		{name: "too deep", in: cat(streamHead, elUnknown(IDCluster), el(IDTimestamp, u8(1))), opts: ReaderOptions{MaxDepth: 1}, want: ErrTooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"next", "next one-byte", "read element"} {
				var src io.Reader = bytes.NewReader(tc.in)
				if mode == "next one-byte" {
					src = iotest.OneByteReader(src)
				}
				r := NewReader(src, tc.opts)
				var err error
				if mode == "read element" {
					err = readAllElements(r)
				} else {
					_, err = collectKinds(r)
				}
				if mode == "read element" && (errors.Is(tc.want, ErrInvalidBlock) || errors.Is(tc.want, ErrInvalidValue) ||
					errors.Is(tc.want, ErrElementTooLarge) || errors.Is(tc.want, ErrFrameTooLarge)) {
					// The raw walk does not decode or load values.
					continue
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("%s: got %v, want %v", mode, err, tc.want)
				}
				// Errors are sticky.
				if _, err2 := r.Next(); mode != "read element" && !errors.Is(err2, tc.want) {
					t.Fatalf("%s: second call: %v", mode, err2)
				}
			}
		})
	}
}

// readAllElements walks every element with ReadElement.
func readAllElements(r *Reader) error {
	for {
		_, err := r.ReadElement()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestReaderDepthLimit(t *testing.T) {
	// Nested SimpleTags: fine at the default depth, ErrTooDeep below it.
	st := el(IDSimpleTag, el(IDTagName, []byte("leaf")))
	for range 8 {
		st = el(IDSimpleTag, el(IDTagName, []byte("n")), st)
	}
	in := cat(streamHead, el(IDTags, el(IDTag, st)))
	tests := []struct {
		name     string
		maxDepth int
		wantErr  error
	}{
		{"default", 0, nil},
		{"shallow", 6, ErrTooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(in), ReaderOptions{MaxDepth: tc.maxDepth})
			for {
				k, err := r.Next()
				if err != nil {
					t.Fatalf("next: %v", err)
				}
				if k == KindTags {
					break
				}
			}
			tags, err := r.Tags()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("tags: got %v, want %v", err, tc.wantErr)
			}
			if err == nil {
				n := 0
				for range tags.All() {
					n++
				}
				if n != 9 {
					t.Fatalf("simple tags: %d", n)
				}
				if _, ok := tags.Find("leaf"); !ok {
					t.Fatal("leaf not found")
				}
			}
			// The raw walk hits the same limit.
			err = readAllElements(NewReader(bytes.NewReader(in), ReaderOptions{MaxDepth: tc.maxDepth}))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("read element: got %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestReaderHugeLengthAllocation makes sure a size field is never trusted:
// a 30 MiB frame header followed by a few octets must not allocate 30 MiB.
func TestReaderHugeLengthAllocation(t *testing.T) {
	in := cat(streamHead, elUnknown(IDCluster), hdr(IDSimpleBlock, 30<<20, 4), u8(0x81, 0, 0, 0x80, 1, 2, 3))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 10 {
		_, err := collectKinds(NewReader(bytes.NewReader(in), ReaderOptions{}))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("got %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Fatalf("allocated %d octets for 10 tiny inputs", d)
	}
}

func TestReaderUnknownSizeEnds(t *testing.T) {
	// Unknown-size Cluster ended by: a Tags element, the next Cluster, a
	// new EBML header (which also ends the Segment), and the end of input.
	tags := el(IDTags, el(IDTag, el(IDSimpleTag, el(IDTagName, []byte(TagEndOfFragment)), el(IDTagString))))
	in := cat(
		streamHead,
		el(IDInfo, el(IDTimestampScale, u8(0x0F, 0x42, 0x40))),
		elUnknown(IDCluster), el(IDTimestamp, u8(10)), simpleBlock(0, 0x80, []byte("a")), el(IDVoid, u8(0, 0)),
		tags,
		elUnknown(IDCluster), el(IDTimestamp, u8(20)), simpleBlock(0, 0x80, []byte("b")),
		elUnknown(IDCluster), el(IDTimestamp, u8(30)),
		streamHead,
		elUnknown(IDCluster), el(IDTimestamp, u8(40)), simpleBlock(5, 0, []byte("c")),
	)
	want := []Kind{
		KindEBMLHeader, KindSegment, KindInfo,
		KindCluster, KindClusterTimestamp, KindBlock, KindOther, KindClusterEnd,
		KindTags,
		KindCluster, KindClusterTimestamp, KindBlock, KindClusterEnd,
		KindCluster, KindClusterTimestamp, KindClusterEnd, KindSegmentEnd,
		KindEBMLHeader, KindSegment,
		KindCluster, KindClusterTimestamp, KindBlock, KindClusterEnd, KindSegmentEnd,
	}
	for _, mode := range []string{"whole", "one-byte"} {
		var src io.Reader = bytes.NewReader(in)
		if mode == "one-byte" {
			src = iotest.OneByteReader(src)
		}
		r := NewReader(src, ReaderOptions{})
		got, err := collectKinds(r)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s:\n got %v\nwant %v", mode, got, want)
		}
	}
}

func TestReaderKnownSizeClusterEndsWithoutLookahead(t *testing.T) {
	// A known-size Cluster ends when its last child is consumed, before the
	// next element arrives.
	cluster := el(IDCluster, el(IDTimestamp, u8(1)), simpleBlock(0, 0x80, []byte("x")))
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(cat(streamHead, cluster))
	}()
	r := NewReader(pr, ReaderOptions{})
	want := []Kind{KindEBMLHeader, KindSegment, KindCluster, KindClusterTimestamp, KindBlock, KindClusterEnd}
	for i, w := range want {
		k, err := nextWithTimeout(t, r)
		if err != nil || k != w {
			t.Fatalf("event %d: got %v %v, want %v", i, k, err, w)
		}
	}
	_ = pw.Close()
	if k, err := r.Next(); k != KindSegmentEnd || err != nil {
		t.Fatalf("got %v %v, want SegmentEnd", k, err)
	}
}

// TestReaderNoLookahead feeds a PutMedia-like stream through a pipe and
// checks that each element is reported as soon as its last octet arrived:
// the END_OF_FRAGMENT Tags must be seen while the producer waits for its
// ACK, before any further data.
func TestReaderNoLookahead(t *testing.T) {
	tags := el(IDTags, el(IDTag, el(IDSimpleTag, el(IDTagName, []byte(TagEndOfFragment)), el(IDTagString))))
	pieces := []struct {
		data []byte
		want []Kind
	}{
		{streamHead[:3], nil},
		{streamHead[3:], []Kind{KindEBMLHeader, KindSegment}},
		{cat(elUnknown(IDCluster), el(IDTimestamp, u8(1))), []Kind{KindCluster, KindClusterTimestamp}},
		{simpleBlock(0, 0x80, []byte("frame")), []Kind{KindBlock}},
		{tags, []Kind{KindClusterEnd, KindTags}},
	}
	pr, pw := io.Pipe()
	// One writer goroutine keeps the pieces in order; each Write blocks
	// until the Reader has consumed it.
	feed := make(chan []byte, len(pieces))
	go func() {
		for p := range feed {
			_, _ = pw.Write(p)
		}
		_ = pw.Close()
	}()
	r := NewReader(pr, ReaderOptions{})
	for i, p := range pieces {
		feed <- p.data
		for _, w := range p.want {
			k, err := nextWithTimeout(t, r)
			if err != nil || k != w {
				t.Fatalf("piece %d: got %v %v, want %v", i, k, err, w)
			}
		}
		if k := r.Element(); p.want != nil && k.ID == IDTags {
			tg, err := r.Tags()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tg.Find(TagEndOfFragment); !ok {
				t.Fatal("no END_OF_FRAGMENT")
			}
		}
	}
	close(feed)
	got, err := collectKinds(r)
	if err != nil || !slices.Equal(got, []Kind{KindSegmentEnd}) {
		t.Fatalf("after close: %v %v", got, err)
	}
}

// nextWithTimeout calls r.Next but fails the test if it blocks.
func nextWithTimeout(t *testing.T, r *Reader) (Kind, error) {
	t.Helper()
	type res struct {
		k   Kind
		err error
	}
	ch := make(chan res, 1)
	go func() {
		k, err := r.Next()
		ch <- res{k, err}
	}()
	select {
	case v := <-ch:
		return v.k, v.err
	case <-time.After(5 * time.Second):
		t.Fatal("Next blocked waiting for data it does not need")
		return 0, nil
	}
}

func TestReaderLacing(t *testing.T) {
	f1 := bytes.Repeat([]byte{1}, 300)
	f2 := bytes.Repeat([]byte{2}, 2)
	f3 := bytes.Repeat([]byte{3}, 7)
	tests := []struct {
		name   string
		flags  uint8
		header []byte
		frames [][]byte
		lacing Lacing
	}{
		{"none", 0x80, nil, [][]byte{f1}, LacingNone},
		{"xiph", 0x82, u8(2, 255, 45, 2), [][]byte{f1, f2, f3}, LacingXiph},
		// EBML: first size 300 as a 2-octet VINT, then 2-300 = -298 as a
		// signed 2-octet VINT (raw = -298 + 8191).
		{"ebml", 0x86, u8(2, 0x41, 0x2C, 0x40|byte((8191-298)>>8), byte((8191-298)&0xFF)), [][]byte{f1, f2, f3}, LacingEBML},
		{"fixed", 0x84, u8(2), [][]byte{f3, f3, f3}, LacingFixed},
		{"ebml single", 0x86, u8(0), [][]byte{f3}, LacingEBML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := cat(append([][]byte{tc.header}, tc.frames...)...)
			in := cat(streamHead, elUnknown(IDCluster), el(IDTimestamp, u8(0)), simpleBlock(-3, tc.flags, payload))
			r := NewReader(bytes.NewReader(in), ReaderOptions{})
			for {
				k, err := r.Next()
				if err != nil {
					t.Fatal(err)
				}
				if k == KindBlock {
					break
				}
			}
			b := r.Block()
			if b.Lacing() != tc.lacing || b.Track != 1 || b.Timestamp != -3 || !b.Simple {
				t.Fatalf("block %+v lacing %v", b, b.Lacing())
			}
			if b.NumFrames() != len(tc.frames) {
				t.Fatalf("frames: %d", b.NumFrames())
			}
			for i, f := range tc.frames {
				if !bytes.Equal(b.Frame(i), f) {
					t.Fatalf("frame %d: %d octets, want %d", i, len(b.Frame(i)), len(f))
				}
			}
			if b.Frame(len(tc.frames)) != nil || b.Frame(-1) != nil {
				t.Fatal("out-of-range frame is not nil")
			}
		})
	}
}

func TestReaderBlockGroup(t *testing.T) {
	group := el(IDBlockGroup,
		el(IDBlock, u8(0x82, 0xFF, 0xF6, 0x88), []byte("frame")),
		el(IDBlockDuration, u8(40)),
		el(IDReferenceBlock, u8(0xD8)), // -40
		el(IDReferenceBlock, u8(0x28)), // +40
	)
	key := el(IDBlockGroup, el(IDBlock, u8(0x82, 0, 0, 0)), el(IDCodecState, u8(1)))
	in := cat(streamHead, elUnknown(IDCluster), el(IDTimestamp, u8(0)), group, key)
	r := NewReader(bytes.NewReader(in), ReaderOptions{})
	var blocks []Block
	for {
		k, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if k == KindBlock {
			b := *r.Block()
			b.Payload = bytes.Clone(b.Payload)
			b.References = slices.Clone(b.References)
			blocks = append(blocks, b)
		}
	}
	if len(blocks) != 2 {
		t.Fatalf("blocks: %d", len(blocks))
	}
	b := blocks[0]
	if b.Simple || b.Track != 2 || b.Timestamp != -10 || !b.Invisible() || b.Keyframe() ||
		!b.HasDuration || b.Duration != 40 || !slices.Equal(b.References, []int64{-40, 40}) || string(b.Payload) != "frame" {
		t.Fatalf("block group %+v", b)
	}
	if k := blocks[1]; !k.Keyframe() || k.HasDuration || len(k.References) != 0 {
		t.Fatalf("key block group %+v", k)
	}
}

// TestReaderZeroAllocPerFrame checks the per-frame path with
// testing.AllocsPerRun: once the buffer has grown, reading blocks (of
// varying sizes, through a reader that splits reads) does not allocate.
func TestReaderZeroAllocPerFrame(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	_ = w.WriteEBMLHeader(EBMLHeader{})
	_ = w.StartSegment(true)
	_ = w.StartCluster(0, true)
	const frames = 2000
	for i := range frames {
		_ = w.WriteSimpleBlock(1, int16(i), 0, make([]byte, 1+(i*7919)%40000))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"bytes.Reader", "half reads"} {
		t.Run(mode, func(t *testing.T) {
			var src io.Reader = bytes.NewReader(buf.Bytes())
			if mode == "half reads" {
				src = iotest.HalfReader(src)
			}
			r := NewReader(src, ReaderOptions{})
			// Grow the buffer to the largest frame first.
			for range 200 {
				if _, err := r.Next(); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(1000, func() {
				k, err := r.Next()
				if err != nil || k != KindBlock {
					t.Fatalf("got %v %v", k, err)
				}
				b := r.Block()
				if b.NumFrames() != 1 || len(b.Frame(0)) == 0 {
					t.Fatal("empty frame")
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per frame", allocs)
			}
		})
	}
}

// TestReaderZeroAllocFixture parses the whole H.264 producer body, reusing a
// Reader with Reset, and expects no allocation at all when the typed
// accessors are not called.
func TestReaderZeroAllocFixture(t *testing.T) {
	data := readFixture(t, h264Body)
	br := bytes.NewReader(data)
	r := NewReader(br, ReaderOptions{})
	run := func() {
		br.Reset(data)
		r.Reset(br)
		for {
			_, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	if allocs := testing.AllocsPerRun(5, run); allocs != 0 {
		t.Fatalf("%v allocations per stream", allocs)
	}
}

func TestReaderAccessorsWithoutElement(t *testing.T) {
	r := NewReader(bytes.NewReader(cat(streamHead, elUnknown(IDCluster))), ReaderOptions{})
	if _, err := r.Data(); !errors.Is(err, ErrNoElement) {
		t.Fatalf("data before start: %v", err)
	}
	if _, err := r.Info(); !errors.Is(err, ErrNoElement) {
		t.Fatalf("info before start: %v", err)
	}
	if r.RawHeader() != nil {
		t.Fatal("raw header before start")
	}
	kinds := []Kind{KindEBMLHeader, KindSegment, KindCluster, KindClusterEnd}
	for _, want := range kinds {
		k, err := r.Next()
		if err != nil || k != want {
			t.Fatalf("got %v %v, want %v", k, err, want)
		}
		if k == KindCluster {
			if _, err := r.Raw(); !errors.Is(err, ErrUnknownSize) {
				t.Fatalf("raw of unknown-size cluster: %v", err)
			}
			if !bytes.Equal(r.RawHeader(), u8(0x1F, 0x43, 0xB6, 0x75, 0xFF)) {
				t.Fatalf("cluster header % x", r.RawHeader())
			}
		}
		if k == KindClusterEnd {
			if r.Element().ID != IDCluster {
				t.Fatalf("end element %v", r.Element().ID)
			}
			if _, err := r.Raw(); !errors.Is(err, ErrNoElement) {
				t.Fatalf("raw at cluster end: %v", err)
			}
			if err := r.Skip(); !errors.Is(err, ErrNoElement) {
				t.Fatalf("skip at cluster end: %v", err)
			}
		}
	}
	if _, err := r.Tags(); !errors.Is(err, ErrNoElement) {
		t.Fatalf("tags at segment end: %v", err)
	}
}

func TestReaderSkipUnknownSize(t *testing.T) {
	// Skipping an unknown-size Cluster stops at the next Segment child; the
	// raw walk then continues with it.
	in := cat(streamHead, elUnknown(IDCluster), el(IDTimestamp, u8(1)), simpleBlock(0, 0x80, []byte("abc")),
		el(IDBlockGroup, el(IDBlock, u8(0x81, 0, 0, 0))), el(IDCues), elUnknown(IDCluster), el(IDTimestamp, u8(2)))
	r := NewReader(bytes.NewReader(in), ReaderOptions{})
	var got []ID
	for {
		e, err := r.ReadElement()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID)
		if e.ID == IDCluster && len(got) < 5 {
			if err := r.Skip(); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []ID{IDEBML, IDDocType, IDSegment, IDCluster, IDCues, IDCluster, IDTimestamp}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestReaderZeroValue(t *testing.T) {
	var r Reader
	r.Reset(bytes.NewReader(cat(streamHead, elUnknown(IDCluster), el(IDTimestamp, u8(9)))))
	got, err := collectKinds(&r)
	want := []Kind{KindEBMLHeader, KindSegment, KindCluster, KindClusterTimestamp, KindClusterEnd, KindSegmentEnd}
	if err != nil || !slices.Equal(got, want) || r.ClusterTimestamp() != 9 {
		t.Fatalf("got %v %v", got, err)
	}
}

func TestReaderEmptyInput(t *testing.T) {
	r := NewReader(bytes.NewReader(nil), ReaderOptions{})
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("got %v", err)
	}
	if _, err := r.ReadElement(); err != io.EOF {
		t.Fatalf("got %v", err)
	}
}

// TestNextSkipCluster skips Clusters from the Next loop, as a consumer that
// only wants metadata would.
func TestNextSkipCluster(t *testing.T) {
	tags := el(IDTags, el(IDTag, el(IDSimpleTag, el(IDTagName, []byte("K")), el(IDTagString, []byte("V")))))
	body := cat(el(IDTimestamp, u8(1)), simpleBlock(0, 0x80, []byte("a")), el(IDBlockGroup, el(IDBlock, u8(0x81, 0, 1, 0))))
	tests := []struct {
		name string
		in   []byte
		want []Kind
	}{
		{"unknown size, then tags", cat(streamHead, elUnknown(IDCluster), body, tags),
			[]Kind{KindEBMLHeader, KindSegment, KindCluster, KindClusterEnd, KindTags, KindSegmentEnd}},
		{"unknown size, then cluster", cat(streamHead, elUnknown(IDCluster), body, elUnknown(IDCluster), body),
			[]Kind{KindEBMLHeader, KindSegment, KindCluster, KindClusterEnd, KindCluster, KindClusterEnd, KindSegmentEnd}},
		{"unknown size to the end", cat(streamHead, elUnknown(IDCluster), body),
			[]Kind{KindEBMLHeader, KindSegment, KindCluster, KindClusterEnd, KindSegmentEnd}},
		{"known size", cat(streamHead, el(IDCluster, body), tags),
			[]Kind{KindEBMLHeader, KindSegment, KindCluster, KindClusterEnd, KindTags, KindSegmentEnd}},
		{"unknown size in known segment", cat(el(IDEBML), el(IDSegment, elUnknown(IDCluster), body), streamHead),
			[]Kind{KindEBMLHeader, KindSegment, KindCluster, KindClusterEnd, KindSegmentEnd, KindEBMLHeader, KindSegment, KindSegmentEnd}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(iotest.OneByteReader(bytes.NewReader(tc.in)), ReaderOptions{})
			var got []Kind
			for {
				k, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, k)
				if k == KindCluster || k == KindTags {
					if err := r.Skip(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBlockFlags(t *testing.T) {
	tests := []struct {
		name                        string
		block                       Block
		key, invisible, discardable bool
		lacing                      Lacing
	}{
		{"simple key", Block{Simple: true, Flags: 0x80}, true, false, false, LacingNone},
		{"simple discardable invisible", Block{Simple: true, Flags: 0x09}, false, true, true, LacingNone},
		{"group key", Block{Flags: 0x01}, true, false, false, LacingNone},
		{"group delta", Block{References: []int64{-1}, Flags: 0x06}, false, false, false, LacingEBML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.block
			if b.Keyframe() != tc.key || b.Invisible() != tc.invisible || b.Discardable() != tc.discardable || b.Lacing() != tc.lacing {
				t.Fatalf("key %v invisible %v discardable %v lacing %v", b.Keyframe(), b.Invisible(), b.Discardable(), b.Lacing())
			}
		})
	}
	if Lacing(9).String() != "Lacing(9)" || Kind(0).String() != "Kind(0)" || TypeUTF8.String() != "utf-8" || ElementType(42).String() != "ElementType(42)" {
		t.Fatal("String methods")
	}
	tr := Tracks{Entries: []TrackEntry{{Number: 1}, {Number: 2, CodecID: "A_AAC"}}}
	if e, ok := tr.Track(2); !ok || e.CodecID != "A_AAC" {
		t.Fatal("Track(2)")
	}
	if _, ok := tr.Track(3); ok {
		t.Fatal("Track(3)")
	}
}
