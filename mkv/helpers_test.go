package mkv

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Fixture locations, relative to the package directory: the shared fixtures
// live beside the repository.
const (
	producerDir = "../../shared/fixtures/producer-c"
	kvsRealDir  = "../../shared/fixtures/kvs-real"
	dumpsDir    = kvsRealDir + "/dumps"
)

var (
	h264Body = filepath.Join(producerDir, "putmedia-body.mkv")
	h265Body = filepath.Join(producerDir, "putmedia-body-h265.mkv")
)

// readFixture returns a fixture's content; fixtures are always present.
func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return data
}

// clusterSummary is what a test checks about one Cluster.
type clusterSummary struct {
	Offset        int64
	Timestamp     uint64
	UnknownSize   bool
	Frames        int
	Keyframes     int
	FirstKeySize  int
	RelTimestamps []int16
	BlockSizeLens map[int]int // SimpleBlock size-field width -> count
	TagsAfter     []string    // "NAME=VALUE" of Segment-level Tags after the cluster
}

// streamSummary is what a test checks about a whole stream, gathered with
// Next.
type streamSummary struct {
	EBMLHeaders []EBMLHeader
	Infos       []Info
	Tracks      []Tracks
	Clusters    []clusterSummary
	TagsBefore  []string // tags before the first cluster of each segment
	Events      map[Kind]int
	Segments    int
	FrameHash   [32]byte // SHA-256 over all frame payloads with their track
	RawHash     [32]byte // SHA-256 of the concatenated raw octets of all events
	RawLen      int64
	Err         error // the error that ended the stream, nil for io.EOF
}

// summarize reads a whole stream with Next.
func summarize(t testing.TB, src io.Reader, opts ReaderOptions) streamSummary {
	t.Helper()
	r := NewReader(src, opts)
	s := streamSummary{Events: map[Kind]int{}}
	frames := sha256.New()
	raw := sha256.New()
	var cur *clusterSummary
	for {
		kind, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.Err = err
			break
		}
		s.Events[kind]++
		el := r.Element()
		var rawBytes []byte
		switch kind {
		case KindSegment, KindCluster:
			rawBytes = r.RawHeader()
		case KindClusterEnd, KindSegmentEnd:
		default:
			rawBytes, err = r.Raw()
			if err != nil {
				t.Fatalf("raw %s at %d: %v", el.ID, el.Offset, err)
			}
		}
		raw.Write(rawBytes)
		s.RawLen += int64(len(rawBytes))
		switch kind {
		case KindEBMLHeader:
			h, err := r.EBMLHeader()
			if err != nil {
				t.Fatalf("ebml header: %v", err)
			}
			s.EBMLHeaders = append(s.EBMLHeaders, h)
		case KindSegment:
			s.Segments++
			cur = nil
		case KindInfo:
			info, err := r.Info()
			if err != nil {
				t.Fatalf("info: %v", err)
			}
			s.Infos = append(s.Infos, info)
		case KindTracks:
			tr, err := r.Tracks()
			if err != nil {
				t.Fatalf("tracks: %v", err)
			}
			s.Tracks = append(s.Tracks, tr)
		case KindTags:
			tags, err := r.Tags()
			if err != nil {
				t.Fatalf("tags at %d: %v", el.Offset, err)
			}
			for st := range tags.All() {
				kv := st.Name + "=" + st.String
				if cur != nil {
					cur.TagsAfter = append(cur.TagsAfter, kv)
				} else {
					s.TagsBefore = append(s.TagsBefore, kv)
				}
			}
		case KindCluster:
			s.Clusters = append(s.Clusters, clusterSummary{
				Offset: el.Offset, UnknownSize: el.UnknownSize(), BlockSizeLens: map[int]int{},
			})
			cur = &s.Clusters[len(s.Clusters)-1]
		case KindClusterTimestamp:
			cur.Timestamp = r.ClusterTimestamp()
		case KindBlock:
			b := r.Block()
			cur.Frames++
			cur.RelTimestamps = append(cur.RelTimestamps, b.Timestamp)
			cur.BlockSizeLens[el.SizeLen]++
			if b.Keyframe() {
				if cur.Keyframes == 0 {
					cur.FirstKeySize = len(b.Payload)
				}
				cur.Keyframes++
			}
			fmt.Fprintf(frames, "%d:%d:%d:", b.Track, b.Timestamp, b.Flags)
			for i := range b.NumFrames() {
				frames.Write(b.Frame(i))
			}
		case KindSegmentEnd:
			cur = nil
		}
	}
	copy(s.FrameHash[:], frames.Sum(nil))
	copy(s.RawHash[:], raw.Sum(nil))
	return s
}

// pyRepr quotes b the way Python's repr() quotes a str, which is how the
// kvs-real dumps print string values.
func pyRepr(b []byte) string {
	quote := byte('\'')
	if bytes.IndexByte(b, '\'') >= 0 && bytes.IndexByte(b, '"') < 0 {
		quote = '"'
	}
	var sb bytes.Buffer
	sb.WriteByte(quote)
	for _, c := range b {
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c == quote:
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte(quote)
	return sb.String()
}

// outline walks a stream with ReadElement and prints the subset of the tree
// that the kvs-real *.outline.txt dumps print.
func outline(src io.Reader) ([]string, error) {
	r := NewReader(src, ReaderOptions{})
	var lines []string
	run := 0
	flush := func() {
		if run > 0 {
			lines = append(lines, fmt.Sprintf("      [SimpleBlock x%d]", run))
			run = 0
		}
	}
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	var tagName []byte
	for {
		el, err := r.ReadElement()
		if err != nil {
			flush()
			if err == io.EOF {
				return lines, nil
			}
			return lines, err
		}
		if el.ID != IDSimpleBlock {
			flush()
		}
		data := func() []byte {
			d, err := r.Data()
			if err != nil {
				panic(err)
			}
			return d
		}
		uint := func() uint64 {
			v, err := decodeUint(data())
			if err != nil {
				panic(err)
			}
			return v
		}
		switch {
		case el.Depth == 0 || el.Parent == IDSegment:
			ku := "K"
			if el.UnknownSize() {
				ku = "U"
			}
			add("%s%s(sz%d/%s)", map[int]string{0: "", 1: "  "}[el.Depth], el.ID, el.SizeLen, ku)
			switch el.ID {
			case IDSegment, IDInfo, IDTracks, IDTags, IDCluster:
			default:
				if err := r.Skip(); err != nil {
					return lines, err
				}
			}
		case el.Parent == IDInfo:
			switch el.ID {
			case IDTimestampScale:
				add("      TimestampScale = %d", uint())
			case IDTitle, IDMuxingApp, IDWritingApp:
				add("      %s = %s", el.ID, pyRepr(data()))
			case IDSegmentUUID:
				add("      SegmentUID = hex:%x", data())
			}
		case el.Parent == IDTrackEntry:
			if el.ID == IDCodecID {
				add("      CodecID = %s", pyRepr(data()))
			} else if err := r.Skip(); err != nil {
				return lines, err
			}
		case el.Parent == IDTag && el.ID == IDTargets:
			if err := r.Skip(); err != nil {
				return lines, err
			}
		case el.Parent == IDSimpleTag:
			switch el.ID {
			case IDTagName:
				tagName = bytes.Clone(data())
			case IDTagString:
				add("      TagName = %s -> = %s", pyRepr(tagName), pyRepr(data()))
			}
		case el.Parent == IDCluster:
			switch el.ID {
			case IDTimestamp:
				add("      Timestamp = %d", uint())
			case IDPosition:
				add("      Position = %d", uint())
			case IDSimpleBlock:
				run++
			default:
				if err := r.Skip(); err != nil {
					return lines, err
				}
			}
		}
	}
}

// isUnexpectedEOF reports whether err says the input ended inside an
// element.
func isUnexpectedEOF(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }
