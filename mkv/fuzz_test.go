package mkv

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated seed files under testdata/fuzz/FuzzReader")

// fuzzLimits keep the fuzzer's memory small: whatever a size field claims,
// the Reader holds at most a few MiB.
var fuzzLimits = ReaderOptions{MaxElementSize: 1 << 20, MaxFrameSize: 4 << 20, MaxDepth: 16, BufferSize: 64}

// fuzzSeedSources are the fixtures the committed seeds are made from.
var fuzzSeedSources = []string{
	h264Body,
	h265Body,
	filepath.Join(kvsRealDir, "amazon-kinesis-video-streams-parser-library/test_mixed_tags.mkv"),
	filepath.Join(kvsRealDir, "amazon-kinesis-video-streams-parser-library/output_get_media.mkv"),
	filepath.Join(kvsRealDir, "amazon-kinesis-video-streams-parser-library/output-get-media-non-increasing-timecode.mkv"),
	filepath.Join(kvsRealDir, "amazon-kinesis-video-streams-parser-library/empty-mkv-with-tags.mkv"),
	filepath.Join(kvsRealDir, "amazon-kinesis-video-streams-parser-library/test_tags_empty_cluster.mkv"),
	filepath.Join(kvsRealDir, "amazon-kinesis-video-streams-producer-sdk-cpp/test-stream-1_0.mkv"),
}

// shrink rewrites a fixture small enough to be a fuzz seed, so that the
// fuzzer's minimization of derived inputs stays fast: only the first
// clusters, blocks and Tags elements are kept, blocks keep only a few payload
// octets, and large other elements are dropped. What is kept keeps its size
// field widths.
func shrink(data []byte, maxClusters, maxBlocks, maxTags, maxPayload int) ([]byte, error) {
	r := NewReader(bytes.NewReader(data), ReaderOptions{})
	var out bytes.Buffer
	w := NewWriter(&out)
	clusters, blocks, tags := 0, 0, 0
	for {
		k, err := r.Next()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		el := r.Element()
		// Keep each element's size width; the Writer reproduces unknown
		// sizes of any width octet for octet.
		_ = w.SetSizeWidth(el.SizeLen)
		switch k {
		case KindSegment, KindCluster:
			if k == KindCluster {
				if clusters++; clusters > maxClusters {
					return out.Bytes(), w.Close()
				}
			}
			if el.UnknownSize() {
				_ = w.StartUnknownSizeMaster(el.ID)
			} else {
				_ = w.StartMaster(el.ID)
			}
		case KindClusterEnd, KindSegmentEnd:
			_ = w.EndMaster()
		case KindBlock:
			if blocks++; blocks > maxBlocks {
				continue
			}
			b := *r.Block()
			if len(b.Payload) > maxPayload && b.Lacing() == LacingNone {
				b.Payload = b.Payload[:maxPayload]
			}
			_ = w.WriteBlock(&b)
		default:
			if k == KindTags {
				if tags++; tags > maxTags {
					continue
				}
			}
			raw, err := r.Raw()
			if err != nil {
				return nil, err
			}
			if len(raw) <= 300 { // drop big Cues, Voids and SeekHeads
				_ = w.WriteRaw(raw)
			}
		}
	}
	return out.Bytes(), w.Close()
}

// fuzzSeeds returns the generated seeds by name.
func fuzzSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, path := range fuzzSeedSources {
		data := readFixture(t, path)
		name := strings.TrimSuffix(filepath.Base(path), ".mkv")
		small, err := shrink(data, 1, 3, 4, 6)
		if err != nil {
			t.Fatalf("shrink %s: %v", path, err)
		}
		seeds["seed-"+name] = small
		// A verbatim prefix too, cut inside the first cluster.
		seeds["seed-"+name+"-prefix"] = data[:min(len(data), 400)]
	}
	return seeds
}

// corpusFile encodes a seed in the Go fuzzing corpus format.
func corpusFile(data []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n")
}

// TestFuzzSeedsCommitted checks that the committed seeds match the fixtures
// (run with -update to regenerate them) and stay small.
func TestFuzzSeedsCommitted(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	seeds := fuzzSeeds(t)
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range seeds {
			if err := os.WriteFile(filepath.Join(dir, name), corpusFile(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	total := 0
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		total += int(info.Size())
	}
	if total > 200<<10 {
		t.Errorf("committed corpus is %d octets, keep it under 200 KiB", total)
	}
	for name, data := range seeds {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v (run go test -run TestFuzzSeedsCommitted -update)", err)
		}
		if !bytes.Equal(got, corpusFile(data)) {
			t.Errorf("%s is stale (run go test -run TestFuzzSeedsCommitted -update)", name)
		}
	}
}

// chunkReader returns at most n octets per Read, to move read boundaries.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// fuzzRun reads data with Next and returns a transcript of the events, the
// concatenated raw octets, and whether the raw octets must equal the input.
func fuzzRun(t *testing.T, src io.Reader) (transcript string, raw []byte, exact bool, err error) {
	r := NewReader(src, fuzzLimits)
	var tr strings.Builder
	exact = true
	for n := 0; ; n++ {
		k, err := r.Next()
		if err == io.EOF {
			return tr.String(), raw, exact, nil
		}
		if err != nil {
			return tr.String(), raw, exact, err
		}
		el := r.Element()
		fmt.Fprintf(&tr, "%v %v %d %d %d;", k, el.ID, el.Offset, el.Size, el.Depth)
		switch k {
		case KindSegment, KindCluster:
			raw = append(raw, r.RawHeader()...)
		case KindClusterEnd, KindSegmentEnd:
		default:
			b, err := r.Raw()
			if err != nil {
				exact = false // e.g. an unknown-size Cluster outside a Segment
			}
			raw = append(raw, b...)
		}
		switch k {
		case KindEBMLHeader:
			h, err := r.EBMLHeader()
			fmt.Fprintf(&tr, "%+v %v;", h, err)
		case KindInfo:
			info, err := r.Info()
			fmt.Fprintf(&tr, "%d %q %v;", info.TimestampScale, info.Title, err)
		case KindTracks:
			tracks, err := r.Tracks()
			fmt.Fprintf(&tr, "%d %v;", len(tracks.Entries), err)
			roundTripTracks(t, tracks)
		case KindTags:
			tags, err := r.Tags()
			for st := range tags.All() {
				fmt.Fprintf(&tr, "%q=%q;", st.Name, st.String)
			}
			fmt.Fprintf(&tr, "%v;", err)
			roundTripTags(t, tags)
		case KindBlock:
			b := r.Block()
			fmt.Fprintf(&tr, "%d %d %x %d;", b.Track, b.Timestamp, b.Flags, b.NumFrames())
			total := 0
			for i := range b.NumFrames() {
				total += len(b.Frame(i))
			}
			if total > len(b.Payload) {
				t.Fatalf("frames hold %d octets of a %d-octet payload", total, len(b.Payload))
			}
		case KindClusterTimestamp:
			fmt.Fprintf(&tr, "%d;", r.ClusterTimestamp())
		}
	}
}

// roundTripTags writes decoded tags and reads them back.
func roundTripTags(t *testing.T, tags Tags) {
	var buf bytes.Buffer
	if err := NewWriter(&buf).WriteTags(tags); err != nil {
		return
	}
	_, body, _, err := nextChild(buf.Bytes())
	if err != nil {
		t.Fatalf("written tags do not parse: %v", err)
	}
	back, err := parseTags(body, 1, 64)
	if err != nil {
		t.Fatalf("written tags do not decode: %v", err)
	}
	if len(back.Tags) != len(tags.Tags) {
		t.Fatalf("tags round trip: %d tags, want %d", len(back.Tags), len(tags.Tags))
	}
}

// roundTripTracks writes decoded tracks and reads them back.
func roundTripTracks(t *testing.T, tracks Tracks) {
	var buf bytes.Buffer
	if err := NewWriter(&buf).WriteTracks(tracks); err != nil {
		return
	}
	_, body, _, err := nextChild(buf.Bytes())
	if err != nil {
		t.Fatalf("written tracks do not parse: %v", err)
	}
	back, err := ParseTracks(body)
	if err != nil || len(back.Entries) != len(tracks.Entries) {
		t.Fatalf("tracks round trip: %d entries, %v", len(back.Entries), err)
	}
}

func FuzzReader(f *testing.F) {
	for _, data := range fuzzSeeds(f) {
		f.Add(data)
	}
	// Small synthetic seeds for what the fixtures lack: lacing, BlockGroups,
	// known-size Segment and Cluster, Targets and nested SimpleTags.
	f.Add(cat(streamHead, elUnknown(IDCluster), el(IDTimestamp, u8(1)),
		el(IDSimpleBlock, u8(0x81, 0, 0, 0x86, 2, 0x81, 0x5F, 1, 2, 3, 4)),
		el(IDSimpleBlock, u8(0x81, 0, 1, 0x82, 1, 2, 5, 6, 7)),
		el(IDSimpleBlock, u8(0x81, 0, 2, 0x84, 1, 8, 9)),
		el(IDBlockGroup, el(IDBlock, u8(0x81, 0, 3, 0, 1)), el(IDBlockDuration, u8(40)), el(IDReferenceBlock, u8(0xD8)))))
	f.Add(cat(el(IDEBML, el(IDDocType, []byte("webm"))), el(IDSegment,
		el(IDInfo, el(IDTimestampScale, u8(0x0F, 0x42, 0x40)), el(IDDuration, u8(0x40, 0x8F, 0x40, 0, 0, 0, 0, 0))),
		el(IDTracks, el(IDTrackEntry, el(IDTrackNumber, u8(2)), el(IDTrackType, u8(2)), el(IDCodecID, []byte("A_OPUS")),
			el(IDAudio, el(IDSamplingFrequency, u8(0x47, 0x3B, 0x80, 0)), el(IDChannels, u8(2))))),
		el(IDCluster, el(IDTimestamp, u8(0)), el(IDSimpleBlock, u8(0x82, 0, 0, 0x80, 0xFC))),
		el(IDTags, el(IDTag, el(IDTargets, el(IDTargetTypeValue, u8(50)), el(IDTagTrackUID, u8(1))),
			el(IDSimpleTag, el(IDTagName, []byte("A")), el(IDTagString, []byte("b")),
				el(IDSimpleTag, el(IDTagName, []byte("C")), el(IDTagBinary, u8(1)))))))))
	f.Fuzz(fuzzOne)
}

// fuzzOne is the body of FuzzReader.
func fuzzOne(t *testing.T, data []byte) {
	whole, raw, exact, err := fuzzRun(t, bytes.NewReader(data))
	if err == nil && exact && !bytes.Equal(raw, data) {
		t.Fatalf("raw octets of the events (%d) differ from the input (%d)", len(raw), len(data))
	}
	// Read boundaries must not matter.
	split, _, _, err2 := fuzzRun(t, &chunkReader{r: bytes.NewReader(data), n: 1 + len(data)%7})
	if whole != split || fmt.Sprint(err) != fmt.Sprint(err2) {
		t.Fatalf("results depend on read boundaries:\n%s %v\n%s %v", whole, err, split, err2)
	}
	// The raw walk and the standalone decoders must not panic either.
	r := NewReader(bytes.NewReader(data), fuzzLimits)
	for {
		e, err := r.ReadElement()
		if err != nil {
			break
		}
		if e.Size >= 0 && e.Size < 1<<16 && !e.IsMaster() {
			_, _ = r.Data()
		}
	}
	var b Block
	_ = ParseSimpleBlock(data, &b)
	_ = ParseBlockGroup(data, &b)
	_, _ = ParseTags(data)
	_, _ = ParseInfo(data)
	_, _ = ParseTracks(data)
	_, _ = ParseEBMLHeader(data)
	_, _, _, _ = ParseElementHeader(data)
}
