package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/openkvs/openkvs/mkv"
)

// kvsTagPrefix starts every tag name that Kinesis Video Streams reserves.
const kvsTagPrefix = "AWS_KINESISVIDEO_"

// Options configures a Reader. The zero value is ready to use.
type Options struct {
	// Limits bounds what the underlying mkv.Reader holds in memory; zero
	// fields take the mkv defaults (frames up to 32 MiB, other elements up
	// to 16 MiB).
	Limits mkv.ReaderOptions

	// AcceptMissingToken treats a chunk that carries KVS metadata but no
	// AWS_KINESISVIDEO_CONTINUATION_TOKEN as complete when the input ends
	// after a whole element, as GetMediaForFragmentList output does. By
	// default such a chunk is truncated: real GetMedia chunks always end
	// with the token.
	AcceptMissingToken bool
}

// event is a queued Reader event.
type event struct {
	kind  Kind
	chunk *Chunk
}

// Reader reads a stream of GetMedia chunks from any io.Reader: an HTTP
// response body, a file written by the AWS CLI, a PutMedia body. It is built
// on mkv.Reader, holds in memory only the element it reports, and reports
// three kinds of events through Next:
//
//	KindChunkStart  Chunk() has the header and the leading KVS metadata
//	KindFrame       Frame() is one frame; its Data aliases the read buffer
//	KindChunkEnd    Chunk() is complete, with its continuation token
//
// A chunk starts with an EBML header (or, within one Segment, after the
// previous chunk's end) and ends with the Tags element that holds
// AWS_KINESISVIDEO_CONTINUATION_TOKEN (GetMedia) or the producer SDK's
// AWS_KINESISVIDEO_END_OF_FRAGMENT (PutMedia bodies), or when its Segment
// ends (plain Matroska). KindChunkEnd is reported as soon as the token
// arrives, without waiting for the next chunk, so a live consumer can
// checkpoint at once.
//
// Reporting a frame does not allocate. A Reader is not safe for concurrent
// use.
type Reader struct {
	mr   *mkv.Reader
	opts Options

	chunk *Chunk  // chunk being read
	cur   *Chunk  // chunk of the last reported event
	hdr   *header // header of the current Segment
	frame Frame
	index int // index of the next chunk

	queue []event // events to report before reading on
	qi    int
	err   error // sticky; reported once the queue is empty

	inCluster bool
	clusterTS uint64
	segEnded  bool // the current Segment ended
	sawKVS    bool // the input carried AWS_KINESISVIDEO_* tags

	// Decoded Info and Tracks of the previous header, reused when the next
	// chunk repeats the same octets.
	prevInfo   *header
	prevTracks *header
	// Producer Tags elements seen before, by their octets: KVS repeats the
	// producer's header Tags in every chunk.
	tagCache map[string]*cachedTags

	// The current block and its frames still to report.
	block       *mkv.Block
	lace, laces int
	laceStep    int64 // ticks between laced frames
}

// cachedTags is a decoded Tags element that holds only producer tags.
type cachedTags struct {
	raw  []byte
	tags []mkv.SimpleTag
}

// maxCachedTags bounds Reader.tagCache.
const maxCachedTags = 32

// NewReader returns a Reader that reads chunks from r.
func NewReader(r io.Reader, opts Options) *Reader {
	return &Reader{mr: mkv.NewReader(r, opts.Limits), opts: opts, queue: make([]event, 0, 8)}
}

// Reset makes the Reader read a new stream from src with the same options,
// keeping its buffers. Chunk indexes start at 0 again.
func (r *Reader) Reset(src io.Reader) {
	mr, q, tc := r.mr, r.queue[:0], r.tagCache
	mr.Reset(src)
	*r = Reader{mr: mr, opts: r.opts, queue: q, tagCache: tc}
}

// Chunk returns the chunk of the last event. After KindChunkEnd it is
// complete; a Chunk is never changed after that.
func (r *Reader) Chunk() *Chunk { return r.cur }

// Frame returns the frame of the last KindFrame event. The Frame and its
// Data are valid until the next call of Next.
func (r *Reader) Frame() *Frame { return &r.frame }

// Next advances to the next event and returns its kind. At the end of the
// input it returns io.EOF.
//
// A chunk that the input cuts off ends the stream with an error matching
// ErrTruncated, after the chunk's KindChunkStart and the frames read so far
// but without its KindChunkEnd. AWS_KINESISVIDEO_ERROR_CODE/_ERROR_ID tags
// end the stream with a *StreamError. Errors are sticky.
func (r *Reader) Next() (Kind, error) {
	for {
		if r.qi < len(r.queue) {
			ev := r.queue[r.qi]
			r.qi++
			r.cur = ev.chunk
			if ev.kind == KindChunkEnd {
				ev.chunk.Complete = true
			}
			return ev.kind, nil
		}
		if r.lace < r.laces {
			r.nextLace()
			return KindFrame, nil
		}
		if r.err != nil {
			return 0, r.err
		}
		r.queue, r.qi = r.queue[:0], 0
		if err := r.step(); err != nil {
			r.err = err
			r.laces = 0
		}
	}
}

// push queues an event of the open chunk.
func (r *Reader) push(k Kind) { r.queue = append(r.queue, event{k, r.chunk}) }

// open reports whether a chunk is being read and its end is not queued.
func (r *Reader) open() bool { return r.chunk != nil && !r.chunk.ended }

// startChunk queues KindChunkStart for the open chunk unless it was queued,
// fixing the header the chunk reports.
func (r *Reader) startChunk() {
	c := r.chunk
	if c.started {
		return
	}
	c.started = true
	h := r.segmentHeader()
	c.hdr, c.Info, c.Tracks = h, h.info, h.tracks
	r.push(KindChunkStart)
}

// endChunk queues the end of the open chunk.
func (r *Reader) endChunk() {
	r.startChunk()
	r.chunk.ended = true
	r.push(KindChunkEnd)
	r.inCluster = false
}

// openChunk returns the open chunk, or starts a new one that shares the
// current Segment's header.
func (r *Reader) openChunk() *Chunk {
	if r.open() {
		return r.chunk
	}
	r.chunk = &Chunk{Index: r.index}
	r.index++
	return r.chunk
}

// segmentHeader returns the header of the current Segment.
func (r *Reader) segmentHeader() *header {
	if r.hdr == nil {
		r.hdr = &header{}
	}
	return r.hdr
}

// step reads one mkv event and queues the resulting parser events.
func (r *Reader) step() error {
	k, err := r.mr.Next()
	if err != nil {
		return r.endOfInput(err)
	}
	switch k {
	case mkv.KindEBMLHeader:
		if r.open() {
			// A new chunk begins: the previous one ended with its Segment.
			r.endChunk()
		}
		raw, err := r.mr.Raw()
		if err != nil {
			return r.wrap(err)
		}
		r.hdr = &header{ebmlRaw: bytes.Clone(raw)}
		r.segEnded = false
		r.openChunk()
	case mkv.KindSegment:
		if r.segEnded {
			// A second Segment without an EBML header of its own.
			if r.open() {
				r.endChunk()
			}
			r.hdr = &header{ebmlRaw: r.segmentHeader().ebmlRaw}
		}
		r.segEnded = false
		r.openChunk()
	case mkv.KindInfo:
		return r.readInfo()
	case mkv.KindTracks:
		return r.readTracks()
	case mkv.KindTags:
		raw, err := r.mr.Raw()
		if err != nil {
			return r.wrap(err)
		}
		if e := r.tagCache[string(raw)]; e != nil {
			r.producerTags(e.tags, e.raw)
			return nil
		}
		tags, err := r.mr.Tags()
		if err != nil {
			return r.wrap(err)
		}
		return r.readTags(tags, raw)
	case mkv.KindCluster:
		c := r.openChunk()
		r.startChunk()
		c.clusters++
		r.inCluster = true
		r.clusterTS = 0
	case mkv.KindClusterTimestamp:
		r.clusterTS = r.mr.ClusterTimestamp()
	case mkv.KindBlock:
		if r.inCluster && r.open() {
			r.readBlock(r.mr.Block())
		}
	case mkv.KindClusterEnd:
		r.inCluster = false
	case mkv.KindSegmentEnd:
		r.segEnded = true
		r.inCluster = false
	case mkv.KindOther:
		if el := r.mr.Element(); el.ID == mkv.IDTags && el.Depth == 0 {
			// A Tags element outside any Segment, e.g. bare error tags.
			data, err := r.mr.Data()
			if err != nil {
				return r.wrap(err)
			}
			tags, err := mkv.ParseTags(data)
			if err != nil {
				return r.wrap(err)
			}
			return r.readTags(tags, nil)
		}
	}
	return nil
}

// wrap adds the chunk index to an mkv error.
func (r *Reader) wrap(err error) error {
	i := r.index
	if r.chunk != nil {
		i = r.chunk.Index
	}
	return fmt.Errorf("read chunk %d: %w", i, err)
}

// endOfInput handles the end of the mkv events: io.EOF or an error.
func (r *Reader) endOfInput(err error) error {
	c := r.chunk
	if err != io.EOF {
		if r.open() && errors.Is(err, io.ErrUnexpectedEOF) {
			r.startChunk()
			return fmt.Errorf("read chunk %d: %w: %w", c.Index, ErrTruncated, err)
		}
		return r.wrap(err)
	}
	if !r.open() {
		return io.EOF
	}
	if c.clusters == 0 || (r.sawKVS && !r.opts.AcceptMissingToken) {
		r.startChunk()
		what := "before its continuation token"
		if c.clusters == 0 {
			what = "before its cluster"
		}
		return fmt.Errorf("read chunk %d: input ends %s: %w", c.Index, what, ErrTruncated)
	}
	r.endChunk()
	return io.EOF // reported after the end of the chunk
}

// readInfo decodes the Segment Info into the header.
func (r *Reader) readInfo() error {
	raw, err := r.mr.Raw()
	if err != nil {
		return r.wrap(err)
	}
	h := *r.segmentHeader() // copy: chunks already started keep theirs
	if p := r.prevInfo; p != nil && bytes.Equal(p.infoRaw, raw) {
		h.info, h.infoRaw = p.info, p.infoRaw
	} else {
		info, err := r.mr.Info()
		if err != nil {
			return r.wrap(err)
		}
		h.info, h.infoRaw = info, bytes.Clone(raw)
	}
	r.hdr, r.prevInfo = &h, &h
	return nil
}

// readTracks decodes the Tracks into the header. Consecutive chunks usually
// repeat the same Tracks octets; they then share the decoded entries.
func (r *Reader) readTracks() error {
	raw, err := r.mr.Raw()
	if err != nil {
		return r.wrap(err)
	}
	h := *r.segmentHeader()
	if p := r.prevTracks; p != nil && bytes.Equal(p.tracksRaw, raw) {
		h.tracks, h.tracksRaw = p.tracks, p.tracksRaw
	} else {
		t, err := r.mr.Tracks()
		if err != nil {
			return r.wrap(err)
		}
		h.tracks, h.tracksRaw = t.Entries, bytes.Clone(raw)
	}
	r.hdr, r.prevTracks = &h, &h
	return nil
}

// readTags sorts the SimpleTags of one Tags element into the open chunk.
// raw is the element's octets, kept for the Merger when it holds only
// producer tags.
func (r *Reader) readTags(tags mkv.Tags, raw []byte) error {
	kvs := false
	for st := range tags.All() {
		if strings.HasPrefix(st.Name, kvsTagPrefix) {
			kvs = true
			break
		}
	}
	if !kvs {
		var list []mkv.SimpleTag
		for st := range tags.All() {
			list = append(list, st)
		}
		if raw != nil {
			raw = bytes.Clone(raw)
			if len(r.tagCache) >= maxCachedTags {
				clear(r.tagCache)
			}
			if r.tagCache == nil {
				r.tagCache = make(map[string]*cachedTags)
			}
			r.tagCache[string(raw)] = &cachedTags{raw: raw, tags: list}
		}
		r.producerTags(list, raw)
		return nil
	}
	c := r.openChunk()
	end := false
	var serr *StreamError
	for st := range tags.All() {
		if !strings.HasPrefix(st.Name, kvsTagPrefix) {
			if c.clusters > 0 {
				c.Tags = append(c.Tags, st)
			} else {
				c.HeaderTags = append(c.HeaderTags, st)
			}
			continue
		}
		r.sawKVS = true
		switch st.Name {
		case mkv.TagFragmentNumber:
			if c.FragmentNumber != "" && c.clusters > 0 {
				// A new fragment in the same Segment, without a token
				// between them: the previous chunk is over.
				r.endChunk()
				c = r.openChunk()
			}
			c.FragmentNumber = st.String
		case mkv.TagServerTimestamp:
			t, err := parseSeconds(st.String)
			if err != nil {
				return fmt.Errorf("read chunk %d: %s: %w", c.Index, st.Name, err)
			}
			c.ServerTimestamp = t
		case mkv.TagProducerTimestamp:
			t, err := parseSeconds(st.String)
			if err != nil {
				return fmt.Errorf("read chunk %d: %s: %w", c.Index, st.Name, err)
			}
			c.ProducerTimestamp = t
		case mkv.TagMillisBehindNow:
			ms, err := strconv.ParseInt(st.String, 10, 64)
			if err != nil || ms < 0 || ms > int64(time.Duration(1<<62)/time.Millisecond) {
				return fmt.Errorf("read chunk %d: %s %q: %w", c.Index, st.Name, st.String, ErrInvalidMetadata)
			}
			c.BehindNow, c.HasBehindNow = time.Duration(ms)*time.Millisecond, true
		case mkv.TagContinuationToken:
			c.ContinuationToken = st.String
			end = true
		case mkv.TagEndOfFragment:
			end = true
		case mkv.TagErrorCode:
			if serr == nil {
				serr = &StreamError{}
			}
			serr.Code = st.String
		case mkv.TagErrorID:
			if serr == nil {
				serr = &StreamError{}
			}
			serr.ID, _ = strconv.Atoi(strings.TrimSpace(st.String))
		}
		c.KVSTags = append(c.KVSTags, st)
	}
	if serr != nil {
		serr.FragmentNumber = c.FragmentNumber
		if end {
			r.endChunk()
		}
		return serr
	}
	if end {
		r.endChunk()
	}
	return nil
}

// producerTags adds the SimpleTags of a Tags element without KVS tags to the
// open chunk; raw (shared, read-only) is kept for the Merger.
func (r *Reader) producerTags(tags []mkv.SimpleTag, raw []byte) {
	c := r.openChunk()
	if c.clusters > 0 {
		c.Tags = append(c.Tags, tags...)
		if raw != nil {
			c.rawTags = append(c.rawTags, raw)
		}
	} else {
		c.HeaderTags = append(c.HeaderTags, tags...)
		if raw != nil {
			c.rawHeaderTags = append(c.rawHeaderTags, raw)
		}
	}
}

// readBlock prepares the frames of a block for reporting.
func (r *Reader) readBlock(b *mkv.Block) {
	r.block = b
	r.lace, r.laces, r.laceStep = 0, b.NumFrames(), 0
	if r.laces > 1 {
		if t, ok := r.chunk.Track(b.Track); ok && t.DefaultDuration > 0 {
			r.laceStep = int64(t.DefaultDuration / r.chunk.TimestampScale())
		}
	}
}

// nextLace fills the Frame with the next frame of the current block.
func (r *Reader) nextLace() {
	b, c := r.block, r.chunk
	scale := int64(c.TimestampScale())
	ticks := int64(r.clusterTS) + int64(b.Timestamp) + int64(r.lace)*r.laceStep
	r.frame = Frame{
		Track:            b.Track,
		Timestamp:        time.Duration(ticks * scale),
		ClusterTimestamp: r.clusterTS,
		BlockTimestamp:   b.Timestamp,
		Keyframe:         b.Keyframe(),
		Invisible:        b.Invisible(),
		Discardable:      b.Discardable(),
		Index:            c.Frames,
		Data:             b.Frame(r.lace),
		ticks:            ticks,
	}
	if b.HasDuration {
		r.frame.Duration = time.Duration(int64(b.Duration) * scale)
	}
	c.Frames++
	r.lace++
	r.cur = c
}
