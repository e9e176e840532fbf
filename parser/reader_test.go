package parser

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/openkvs/openkvs/mkv"
	"github.com/stretchr/testify/require"
)

// chunkSpec describes a synthetic GetMedia chunk.
type chunkSpec struct {
	fn        string // fragment number; empty: no leading KVS tags
	server    string
	token     bool // write the trailing MILLIS_BEHIND_NOW/CONTINUATION_TOKEN tags
	noHeader  bool // no EBML header and Segment: continue the previous Segment
	scale     uint64
	clusterTS uint64
	frames    int
	lace      int // frames per Xiph-laced block; 0: SimpleBlocks
	group     bool
	after     []mkv.SimpleTag // producer tags after the cluster
	tail      []mkv.SimpleTag // extra tags at the very end
}

// testTrack is the video track of the synthetic chunks.
var testTrack = mkv.TrackEntry{Number: 1, UID: 7, Type: mkv.TrackTypeVideo, CodecID: CodecH264,
	CodecPrivate: []byte{1, 0x64, 0, 0x1e, 0xff, 0xe1, 0, 3, 0x67, 0x64, 0x1e, 1, 0, 2, 0x68, 0xee}, DefaultDuration: 40_000_000,
	Video: &mkv.Video{PixelWidth: 320, PixelHeight: 240}}

// buildChunk writes a chunk with mkv.Writer.
func buildChunk(t testing.TB, s chunkSpec) []byte {
	var b bytes.Buffer
	w := mkv.NewWriter(&b)
	if !s.noHeader {
		require.NoError(t, w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 4, DocTypeReadVersion: 2}))
		_ = w.SetSizeWidth(8)
		_ = w.StartSegment(true)
		_ = w.SetSizeWidth(0)
		_ = w.WriteInfo(mkv.Info{TimestampScale: s.scale, MuxingApp: "test"})
		_ = w.WriteTracks(mkv.Tracks{Entries: []mkv.TrackEntry{testTrack}})
	}
	if s.fn != "" {
		server := s.server
		if server == "" {
			server = "1700000000.123"
		}
		_ = w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{
			{Name: mkv.TagFragmentNumber, String: s.fn},
			{Name: mkv.TagServerTimestamp, String: server},
			{Name: mkv.TagProducerTimestamp, String: "1699999999.5"},
		}}}})
	}
	_ = w.StartCluster(s.clusterTS, true)
	for i := 0; i < s.frames; {
		switch {
		case s.lace > 1:
			// Xiph lacing: count-1, then sizes of all but the last frame.
			n := min(s.lace, s.frames-i)
			payload := []byte{byte(n - 1)}
			for range n - 1 {
				payload = append(payload, 3)
			}
			for j := range n {
				payload = append(payload, byte(i+j), byte(i+j), byte(i+j))
			}
			_ = w.WriteSimpleBlock(1, int16(i*40), 0x80|0x02, payload)
			i += n
		case s.group:
			blk := &mkv.Block{Track: 1, Timestamp: int16(i * 40), Payload: []byte{byte(i)}, HasDuration: true, Duration: 40}
			if i > 0 {
				blk.References = []int64{-40}
			}
			_ = w.WriteBlock(blk)
			i++
		default:
			flags := uint8(0)
			if i == 0 {
				flags = mkv.FlagKeyframe
			}
			_ = w.WriteSimpleBlock(1, int16(i*40), flags, []byte{byte(i), 0xaa})
			i++
		}
	}
	_ = w.EndMaster()
	if len(s.after) > 0 {
		_ = w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: s.after}}})
	}
	if s.token {
		_ = w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{
			{Name: mkv.TagMillisBehindNow, String: "42"},
			{Name: mkv.TagContinuationToken, String: s.fn},
		}}}})
	}
	if len(s.tail) > 0 {
		_ = w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: s.tail}}})
	}
	require.NoError(t, w.WriteRaw(nil))
	return b.Bytes()
}

// event is one recorded Reader event.
type recEvent struct {
	kind   Kind
	chunk  int
	fn     string
	frame  int
	ts     time.Duration
	key    bool
	data   string
	dur    time.Duration
	tokens string
}

// events reads src to the end and records every event.
func events(src []byte, opts Options) ([]recEvent, error) {
	r := NewReader(bytes.NewReader(src), opts)
	var out []recEvent
	for {
		k, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		c := r.Chunk()
		ev := recEvent{kind: k, chunk: c.Index, fn: c.FragmentNumber, tokens: c.ContinuationToken}
		if k == KindFrame {
			f := r.Frame()
			ev.frame, ev.ts, ev.key, ev.data, ev.dur = f.Index, f.Timestamp, f.Keyframe, string(f.Data), f.Duration
			ev.tokens = ""
		}
		out = append(out, ev)
	}
}

// kinds lists the kinds of evs.
func kinds(evs []recEvent) string {
	var s []byte
	for _, e := range evs {
		s = append(s, "?SFE"[e.kind])
	}
	return string(s)
}

// TestReaderSynthetic covers the chunk boundaries and block types the real
// captures do not have.
func TestReaderSynthetic(t *testing.T) {
	fn1, fn2 := "91343852333181432392682062607743920146159169392", "91343852333181432397633822764885441725874549018"
	tests := []struct {
		name   string
		input  [][]byte
		opts   Options
		kinds  string
		err    error
		check  func(t *testing.T, evs []recEvent)
		chunks int
	}{
		{
			name:  "two chunks",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, token: true, frames: 2}), buildChunk(t, chunkSpec{fn: fn2, token: true, frames: 1, clusterTS: 80})},
			kinds: "SFFESFE",
			check: func(t *testing.T, evs []recEvent) {
				require.Equal(t, fn1, evs[3].tokens)
				require.Equal(t, 80*time.Millisecond, evs[5].ts)
				require.Equal(t, 1, evs[5].chunk)
			},
		},
		{
			name:  "chunk without token ends with the next EBML header",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, frames: 1}), buildChunk(t, chunkSpec{fn: fn2, token: true, frames: 1})},
			kinds: "SFESFE",
		},
		{
			name:  "chunk without token at the end is truncated",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, frames: 2})},
			kinds: "SFF", err: ErrTruncated,
		},
		{
			name:  "GetMediaForFragmentList output",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, frames: 1}), buildChunk(t, chunkSpec{fn: fn2, frames: 1})},
			opts:  Options{AcceptMissingToken: true},
			kinds: "SFESFE",
		},
		{
			name:  "two fragments in one Segment",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, frames: 1}), buildChunk(t, chunkSpec{fn: fn2, token: true, frames: 2, noHeader: true, clusterTS: 40})},
			kinds: "SFESFFE",
			check: func(t *testing.T, evs []recEvent) {
				require.Equal(t, fn1, evs[0].fn)
				require.Equal(t, fn2, evs[3].fn)
				require.Equal(t, 0, evs[4].frame)
			},
		},
		{
			name:  "token then another fragment in the same Segment",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, token: true, frames: 1}), buildChunk(t, chunkSpec{fn: fn2, token: true, frames: 1, noHeader: true})},
			kinds: "SFESFE",
		},
		{
			name:  "plain Matroska is one chunk",
			input: [][]byte{buildChunk(t, chunkSpec{frames: 3})},
			kinds: "SFFFE",
		},
		{
			name: "end of fragment tag",
			input: [][]byte{buildChunk(t, chunkSpec{frames: 1, after: []mkv.SimpleTag{{Name: "k", String: "v"}, {Name: mkv.TagEndOfFragment}}}),
				buildChunk(t, chunkSpec{frames: 1, noHeader: true, after: []mkv.SimpleTag{{Name: mkv.TagEndOfFragment}}})},
			kinds: "SFESFE",
		},
		{
			name:  "fragment after end of fragment cut off",
			input: [][]byte{buildChunk(t, chunkSpec{frames: 1, after: []mkv.SimpleTag{{Name: mkv.TagEndOfFragment}}}), buildChunk(t, chunkSpec{frames: 1, noHeader: true})},
			kinds: "SFESF", err: ErrTruncated,
		},
		{
			name:  "xiph laced blocks",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, token: true, frames: 5, lace: 3})},
			kinds: "SFFFFFE",
			check: func(t *testing.T, evs []recEvent) {
				for i := range 5 {
					e := evs[1+i]
					require.Equal(t, i, e.frame)
					require.Equal(t, string([]byte{byte(i), byte(i), byte(i)}), e.data)
					// Laced frames are DefaultDuration (40 ms) apart.
					require.Equal(t, time.Duration(i*40)*time.Millisecond, e.ts)
				}
			},
		},
		{
			name:  "block groups",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, token: true, frames: 2, group: true})},
			kinds: "SFFE",
			check: func(t *testing.T, evs []recEvent) {
				require.True(t, evs[1].key)
				require.False(t, evs[2].key, "a Block with ReferenceBlock is not a key frame")
				require.Equal(t, 40*time.Millisecond, evs[2].dur)
			},
		},
		{
			name:  "timestamp scale",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, token: true, frames: 2, scale: 100_000, clusterTS: 10})},
			kinds: "SFFE",
			check: func(t *testing.T, evs []recEvent) {
				require.Equal(t, time.Millisecond, evs[1].ts)
				require.Equal(t, 5*time.Millisecond, evs[2].ts)
			},
		},
		{
			name:  "bad server timestamp",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, server: "yesterday", token: true, frames: 1})},
			kinds: "", err: ErrInvalidMetadata,
		},
		{
			name: "error tags end the stream",
			input: [][]byte{buildChunk(t, chunkSpec{fn: fn1, token: true, frames: 1,
				tail: []mkv.SimpleTag{{Name: mkv.TagErrorCode, String: "INTERNAL_ERROR"}, {Name: mkv.TagErrorID, String: "5000"}}})},
			kinds: "SFE", err: ErrStreamError,
		},
		{
			name:  "empty input",
			input: nil,
			kinds: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := events(bytes.Join(tc.input, nil), tc.opts)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.kinds, kinds(evs))
			if tc.check != nil {
				tc.check(t, evs)
			}
		})
	}
}

// TestReaderStreamError checks the fields of the *StreamError and bare
// error tags outside any Segment.
func TestReaderStreamError(t *testing.T) {
	var b bytes.Buffer
	w := mkv.NewWriter(&b)
	require.NoError(t, w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{
		{Name: mkv.TagErrorID, String: "4501"}, {Name: mkv.TagErrorCode, String: "KMS_KEY_DISABLED"},
	}}}}))
	err := NewReader(&b, Options{}).Walk(Handler{})
	var se *StreamError
	require.ErrorAs(t, err, &se)
	require.Equal(t, &StreamError{Code: "KMS_KEY_DISABLED", ID: ErrorIDKMSKeyDisabled}, se)
	require.Equal(t, "parser: getmedia stream error 4501 (KMS_KEY_DISABLED)", se.Error())
}

// TestReaderProducerStreams reads PutMedia bodies and plain Matroska files.
func TestReaderProducerStreams(t *testing.T) {
	tests := []struct {
		path   string
		chunks []int // frames per chunk
		tags   int   // producer tags per chunk after the cluster
	}{
		// The producer SDK ends each fragment with END_OF_FRAGMENT.
		{path: producerDir + "/putmedia-body.mkv", chunks: []int{45, 45, 45, 45, 35}, tags: 9},
		{path: producerDir + "/putmedia-body-h265.mkv", chunks: []int{45, 45, 45, 45, 45, 45, 45, 45, 43, 45, 45, 45, 45, 31}, tags: 9},
		{path: parserLib + "/clusters.mkv", chunks: []int{444}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, err := collect(bytes.NewReader(readFixture(t, tc.path)), Options{})
			require.NoError(t, err)
			var frames []int
			for _, g := range got {
				frames = append(frames, g.frames)
				require.True(t, g.ended)
				if tc.tags > 0 {
					require.Len(t, g.chunk.Tags, tc.tags)
					require.Equal(t, []mkv.SimpleTag{{Name: mkv.TagEndOfFragment}}, g.chunk.KVSTags)
				}
			}
			require.Equal(t, tc.chunks, frames)
		})
	}
}

// TestReaderReset reuses a Reader for a second stream.
func TestReaderReset(t *testing.T) {
	data := readFixture(t, parserLib+"/test_mixed_tags.mkv")
	r := NewReader(bytes.NewReader(data[:3000]), Options{})
	require.ErrorIs(t, r.Walk(Handler{}), ErrTruncated)
	r.Reset(bytes.NewReader(data))
	n := 0
	require.NoError(t, r.Walk(Handler{ChunkEnd: func(c *Chunk) error {
		require.Equal(t, n, c.Index)
		n++
		return nil
	}}))
	require.Equal(t, 10, n)
}

// TestWalkStop ends a walk early without error.
func TestWalkStop(t *testing.T) {
	data := readFixture(t, parserLib+"/test_mixed_tags.mkv")
	frames := 0
	boom := errors.New("boom")
	h := Handler{Frame: func(*Chunk, *Frame) error {
		frames++
		if frames == 3 {
			return ErrStop
		}
		return nil
	}}
	require.NoError(t, NewReader(bytes.NewReader(data), Options{}).Walk(h))
	require.Equal(t, 3, frames)
	var seen []string
	comp := Compose(Handler{ChunkStart: func(*Chunk) error { seen = append(seen, "a"); return nil }},
		Handler{ChunkStart: func(*Chunk) error { seen = append(seen, "b"); return boom }})
	require.ErrorIs(t, NewReader(bytes.NewReader(data), Options{}).Walk(comp), boom)
	require.Equal(t, []string{"a", "b"}, seen)
}

// TestParseSeconds checks the KVS timestamp format.
func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // nanoseconds since the epoch; -1: error
	}{
		{"1504110001.245", 1504110001_245_000_000},
		{"0.000", 0},
		{"5.000", 5_000_000_000},
		{"1700000000", 1700000000_000_000_000},
		{"1.123456789999", 1_123_456_789},
		{"", -1}, {".5", -1}, {"5.", -1}, {"-1.000", -1}, {"1e9", -1}, {"12345678901234.0", -1}, {" 1.0", -1},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSeconds(tc.in)
			if tc.want < 0 {
				require.ErrorIs(t, err, ErrInvalidMetadata)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got.UnixNano())
		})
	}
	for _, ms := range []int64{0, 1, 999, 1000, 1704164645678, -1} {
		got, err := parseSeconds(formatSeconds(time.UnixMilli(max(ms, 0))))
		require.NoError(t, err, strconv.FormatInt(ms, 10))
		require.Equal(t, max(ms, 0), got.UnixMilli())
	}
}
