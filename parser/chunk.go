package parser

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openkvs/openkvs/mkv"
)

// Kind is the kind of event Reader.Next reports.
type Kind uint8

// Event kinds reported by Reader.Next, in the order they occur for each
// chunk: one KindChunkStart, any number of KindFrame, one KindChunkEnd.
const (
	// KindChunkStart: a chunk begins. Reader.Chunk has its header (Info,
	// Tracks, HeaderTags) and the leading AWS_KINESISVIDEO_* metadata
	// (FragmentNumber, ServerTimestamp, ProducerTimestamp). It is reported
	// when the chunk's first Cluster starts, or, for a chunk without
	// frames, just before its end.
	KindChunkStart Kind = iota + 1
	// KindFrame: Reader.Frame holds one frame of the current chunk.
	KindFrame
	// KindChunkEnd: the chunk is complete. Reader.Chunk now also has the
	// trailing metadata (ContinuationToken, BehindNow) and the producer
	// Tags that followed the Cluster.
	KindChunkEnd
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindChunkStart:
		return "ChunkStart"
	case KindFrame:
		return "Frame"
	case KindChunkEnd:
		return "ChunkEnd"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Chunk is one GetMedia chunk: a copy of the producer's stream header, the
// AWS_KINESISVIDEO_* metadata tags and one fragment (a Cluster), as laid out
// in the GetMedia API reference
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_GetMedia.html).
//
// The Reader allocates a new Chunk for every chunk and never changes it after
// KindChunkEnd, so a Chunk may be kept. Tracks, Info and the SimpleTags in
// HeaderTags and Tags may be shared by chunks that repeat the same octets
// (KVS repeats the producer's header in every chunk): treat them as
// read-only.
type Chunk struct {
	// Index counts the chunks of the input from 0.
	Index int
	// FragmentNumber is AWS_KINESISVIDEO_FRAGMENT_NUMBER, empty if absent.
	FragmentNumber string
	// ServerTimestamp is AWS_KINESISVIDEO_SERVER_TIMESTAMP, the zero time if
	// absent.
	ServerTimestamp time.Time
	// ProducerTimestamp is AWS_KINESISVIDEO_PRODUCER_TIMESTAMP, the zero time
	// if absent. Producers with relative timecodes may give small values
	// such as 5.000 (seconds after 1970).
	ProducerTimestamp time.Time
	// ContinuationToken is AWS_KINESISVIDEO_CONTINUATION_TOKEN, known at
	// KindChunkEnd. Pass it in a StartSelector of type CONTINUATION_TOKEN to
	// resume after this chunk.
	ContinuationToken string
	// BehindNow is AWS_KINESISVIDEO_MILLIS_BEHIND_NOW, how far the chunk is
	// behind the newest one on the stream; valid if HasBehindNow.
	BehindNow time.Duration
	// HasBehindNow reports whether the chunk carried MILLIS_BEHIND_NOW.
	HasBehindNow bool
	// KVSTags holds every AWS_KINESISVIDEO_* SimpleTag of the chunk in
	// stream order, including the ones decoded into the fields above.
	KVSTags []mkv.SimpleTag
	// HeaderTags are the producer's own SimpleTags that precede the
	// chunk's Cluster (stream-level tags the producer wrote before its first
	// Cluster, e.g. ffmpeg's ENCODER), in stream order.
	HeaderTags []mkv.SimpleTag
	// Tags are the producer's own SimpleTags that follow the Cluster: the
	// fragment metadata of putFragmentMetadata, in stream order.
	Tags []mkv.SimpleTag
	// Info is the Segment Info of the chunk's header.
	Info mkv.Info
	// Tracks lists the TrackEntry elements of the chunk's header: number,
	// type, codec ID, codec private data, name, video and audio settings.
	Tracks []mkv.TrackEntry
	// Frames counts the frames reported so far for this chunk.
	Frames int
	// Complete is set when KindChunkEnd is reported.
	Complete bool

	started  bool // KindChunkStart was queued
	ended    bool // KindChunkEnd was queued
	clusters int
	hdr      *header
	// Raw producer Tags elements without AWS tags, for the Merger.
	rawHeaderTags [][]byte
	rawTags       [][]byte
}

// Track returns the TrackEntry with the given TrackNumber.
func (c *Chunk) Track(number uint64) (mkv.TrackEntry, bool) {
	for _, t := range c.Tracks {
		if t.Number == number {
			return t, true
		}
	}
	return mkv.TrackEntry{}, false
}

// Tag returns the value of the first producer SimpleTag named name,
// searching Tags, then HeaderTags.
func (c *Chunk) Tag(name string) (string, bool) {
	for _, list := range [][]mkv.SimpleTag{c.Tags, c.HeaderTags} {
		if st, ok := (mkv.Tags{Tags: []mkv.Tag{{SimpleTags: list}}}).Find(name); ok {
			return st.String, true
		}
	}
	return "", false
}

// TimestampScale returns the length of one Matroska tick in nanoseconds
// (TimestampScale, RFC 9559 section 5.1.2.1; 1,000,000 by default).
func (c *Chunk) TimestampScale() uint64 {
	if c.Info.TimestampScale == 0 {
		return 1_000_000
	}
	return c.Info.TimestampScale
}

// Frame is one media frame (one SimpleBlock or Block, or one frame of a laced
// block; RFC 9559 section 10).
//
// The Reader reuses one Frame, and Data points into the Reader's buffer: both
// are valid only until the next call on the Reader. Copy Data to keep it.
type Frame struct {
	// Track is the TrackNumber the frame belongs to.
	Track uint64
	// Timestamp is the frame's absolute timestamp: the Cluster Timestamp
	// plus the block's relative timestamp, times TimestampScale. With
	// producers that use relative timecodes it is relative to their upload.
	Timestamp time.Duration
	// ClusterTimestamp is the Cluster Timestamp in TimestampScale ticks (the
	// KVS fragment timecode).
	ClusterTimestamp uint64
	// BlockTimestamp is the block's timestamp relative to the Cluster, in
	// ticks (the relative timecode).
	BlockTimestamp int16
	// Keyframe reports a frame that decodes on its own: the SimpleBlock
	// keyframe flag, or a Block without ReferenceBlock.
	Keyframe bool
	// Invisible reports the invisible flag (decode, do not show).
	Invisible bool
	// Discardable reports the SimpleBlock discardable flag.
	Discardable bool
	// Duration is the BlockDuration of a BlockGroup times TimestampScale, 0
	// when absent.
	Duration time.Duration
	// Index counts the frames of the chunk from 0.
	Index int
	// Data is the frame payload. It aliases the Reader's buffer.
	Data []byte

	ticks int64 // absolute timestamp in ticks
}

// header is the part of a chunk that precedes its fragment and that later
// chunks of the same Segment share.
type header struct {
	ebmlRaw   []byte
	info      mkv.Info
	infoRaw   []byte
	tracks    []mkv.TrackEntry
	tracksRaw []byte
}

// parseSeconds decodes a KVS timestamp tag: decimal seconds since the epoch
// with an optional fraction ("1511852109.126").
func parseSeconds(s string) (time.Time, error) {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if intPart == "" || (hasFrac && frac == "") || len(intPart) > 12 || !digits(intPart) || !digits(frac) {
		return time.Time{}, fmt.Errorf("timestamp %q: %w", s, ErrInvalidMetadata)
	}
	sec, _ := strconv.ParseInt(intPart, 10, 64)
	var nsec int64
	for i := range 9 {
		nsec *= 10
		if i < len(frac) {
			nsec += int64(frac[i] - '0')
		}
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// digits reports whether s holds only ASCII decimal digits.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatSeconds encodes t as decimal epoch seconds with millisecond
// precision, dropping a zero fraction: the form KVS uses in its tags and
// that the StartTimestamp JSON member accepts.
func formatSeconds(t time.Time) string {
	ms := t.UnixMilli()
	sec, rem := ms/1000, ms%1000
	if rem < 0 {
		sec, rem = sec-1, rem+1000
	}
	if rem == 0 {
		return strconv.FormatInt(sec, 10)
	}
	return fmt.Sprintf("%d.%03d", sec, rem)
}
