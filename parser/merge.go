package parser

import (
	"bytes"
	"fmt"
	"io"
	"math"

	"github.com/openkvs/openkvs/mkv"
)

// MergeOptions configures a Merger. The zero value writes one segment and
// stops with a *BreakError at the first chunk that does not fit it.
type MergeOptions struct {
	// KeepKVSTags writes each chunk's AWS_KINESISVIDEO_* tags as a Tags
	// element after its Cluster. By default they are dropped: they describe
	// the GetMedia response, not the media.
	KeepKVSTags bool

	// AllowTimestampRegression appends chunks whose Cluster Timestamp does
	// not increase to the current segment instead of breaking it. Players
	// then see time jump back.
	AllowTimestampRegression bool

	// NextWriter is called when a chunk cannot be appended to the current
	// segment (see BreakError). It returns where the next segment goes: a
	// new file, or the same writer to concatenate segments as the Java
	// OutputSegmentMerger does. When nil, the Merger stops and returns the
	// *BreakError.
	NextWriter func(b *BreakError) (io.Writer, error)
}

// Merger writes a stream of GetMedia chunks as one playable Matroska file,
// the counterpart of the Java library's OutputSegmentMerger: one EBML header
// and one Segment (of unknown size) with the Info, Tracks and producer Tags
// of the first chunk, then every chunk's frames in Clusters of known size,
// each followed by the producer's fragment Tags. Info's Duration, stale in
// every chunk, is left out.
//
// A chunk whose Tracks or TimestampScale differ from the segment's, or whose
// Cluster Timestamp does not increase, starts a new segment through
// MergeOptions.NextWriter.
//
// Clusters are rebuilt from the frames: every frame becomes a SimpleBlock
// with its keyframe, invisible and discardable flags, laced blocks are
// split, and CRC-32 and Position elements are not copied. Feed a Merger from
// Reader.Walk or Consumer.Run with Handler, and call Close at the end.
type Merger struct {
	opts MergeOptions
	w    *mkv.Writer
	err  error

	seg       *Chunk // chunk whose header the current segment has
	chunk     *Chunk // chunk being merged
	newChunk  bool   // no frame of chunk was written yet
	inCluster bool
	clusterTS uint64 // output Cluster Timestamp
	srcTS     uint64 // input Cluster Timestamp of the output cluster
	lastTS    uint64 // last output Cluster Timestamp of the segment
	haveLast  bool
	closed    bool

	segments, frames int
}

// NewMerger returns a Merger that writes to w.
func NewMerger(w io.Writer, opts MergeOptions) *Merger {
	return &Merger{opts: opts, w: mkv.NewWriter(w)}
}

// Handler returns the Handler that feeds the Merger.
func (m *Merger) Handler() Handler {
	return Handler{ChunkStart: m.ChunkStart, Frame: m.Frame, ChunkEnd: m.ChunkEnd}
}

// Segments returns the number of segments started so far.
func (m *Merger) Segments() int { return m.segments }

// Frames returns the number of frames written so far.
func (m *Merger) Frames() int { return m.frames }

// ChunkStart begins a chunk: the first chunk writes the segment header; a
// chunk with other tracks breaks the segment.
func (m *Merger) ChunkStart(c *Chunk) error {
	if m.err != nil {
		return m.err
	}
	m.chunk, m.newChunk = c, true
	if m.seg == nil {
		return m.fail(m.writeHeader(c))
	}
	if !sameTracks(m.seg, c) {
		return m.brk(BreakTracksChanged, c)
	}
	return nil
}

// Frame writes one frame, opening a Cluster for the first frame of a chunk
// or of an input Cluster.
func (m *Merger) Frame(c *Chunk, f *Frame) error {
	if m.err != nil {
		return m.err
	}
	if m.seg == nil || m.chunk != c {
		if err := m.ChunkStart(c); err != nil {
			return err
		}
	}
	rel := f.ticks - int64(m.clusterTS)
	fits := rel >= math.MinInt16 && rel <= math.MaxInt16
	if !m.inCluster || m.newChunk || f.ClusterTimestamp != m.srcTS || !fits {
		ts := f.ClusterTimestamp
		if m.inCluster && !m.newChunk && f.ClusterTimestamp == m.srcTS {
			// Same input cluster, but the frame is too far from the
			// output cluster's timestamp: start one at the frame.
			ts = uint64(max(f.ticks, 0))
		}
		if m.haveLast && ts <= m.lastTS && !m.opts.AllowTimestampRegression {
			if err := m.brk(BreakTimestampRegression, c); err != nil {
				return err
			}
		}
		if err := m.startCluster(ts, f.ClusterTimestamp); err != nil {
			return m.fail(err)
		}
		rel = f.ticks - int64(ts)
		if rel < math.MinInt16 || rel > math.MaxInt16 {
			return m.fail(fmt.Errorf("merge frame %d of chunk %d: timestamp %d outside its cluster: %w",
				f.Index, c.Index, f.ticks, mkv.ErrInvalidBlock))
		}
	}
	var flags uint8
	if f.Keyframe {
		flags |= mkv.FlagKeyframe
	}
	if f.Invisible {
		flags |= mkv.FlagInvisible
	}
	if f.Discardable {
		flags |= mkv.FlagDiscardable
	}
	if err := m.w.WriteSimpleBlock(f.Track, int16(rel), flags, f.Data); err != nil {
		return m.fail(fmt.Errorf("merge frame %d of chunk %d: %w", f.Index, c.Index, err))
	}
	m.frames++
	return nil
}

// ChunkEnd closes the chunk's Cluster and writes its producer Tags (and, with
// KeepKVSTags, its KVS tags).
func (m *Merger) ChunkEnd(c *Chunk) error {
	if m.err != nil {
		return m.err
	}
	if m.seg == nil || m.chunk != c {
		if err := m.ChunkStart(c); err != nil {
			return err
		}
	}
	if err := m.endCluster(); err != nil {
		return m.fail(err)
	}
	for _, raw := range c.rawTags {
		_ = m.w.WriteRaw(raw)
	}
	if m.opts.KeepKVSTags && len(c.KVSTags) > 0 {
		_ = m.w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: c.KVSTags}}})
	}
	m.chunk = nil
	if err := m.w.WriteRaw(nil); err != nil { // reports a sticky write error
		return m.fail(fmt.Errorf("merge chunk %d: %w", c.Index, err))
	}
	return nil
}

// Close ends the open Cluster, so that the frames of a chunk cut off by the
// input are kept. It does not close the destination.
func (m *Merger) Close() error {
	if m.closed {
		return m.err
	}
	m.closed = true
	if m.err != nil {
		return m.err
	}
	if err := m.endCluster(); err != nil {
		return m.fail(err)
	}
	return m.fail(m.w.Close())
}

// fail records a sticky error.
func (m *Merger) fail(err error) error {
	if err != nil && m.err == nil {
		m.err = err
	}
	return err
}

// brk starts a new segment for chunk c, or fails with a *BreakError.
func (m *Merger) brk(reason BreakReason, c *Chunk) error {
	be := &BreakError{Reason: reason, Chunk: c, Segment: m.segments}
	if m.opts.NextWriter == nil {
		return m.fail(be)
	}
	if err := m.endCluster(); err != nil {
		return m.fail(err)
	}
	if err := m.w.Close(); err != nil {
		return m.fail(err)
	}
	out, err := m.opts.NextWriter(be)
	if err != nil {
		return m.fail(fmt.Errorf("merge: next writer: %w", err))
	}
	m.w = mkv.NewWriter(out)
	return m.fail(m.writeHeader(c))
}

// writeHeader starts a segment with the header of chunk c: the producer's
// EBML header, an unknown-size Segment, Info without Duration, Tracks, and
// the producer's header Tags.
func (m *Merger) writeHeader(c *Chunk) error {
	w := m.w
	h := c.hdr
	if h == nil {
		h = &header{}
	}
	if len(h.ebmlRaw) > 0 {
		_ = w.WriteRaw(h.ebmlRaw)
	} else {
		_ = w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 4, DocTypeReadVersion: 2})
	}
	// 01 FF FF FF FF FF FF FF, as GetMedia writes it.
	_ = w.SetSizeWidth(8)
	_ = w.StartSegment(true)
	_ = w.SetSizeWidth(0)
	info := c.Info
	info.Duration = 0
	_ = w.WriteInfo(info)
	if len(h.tracksRaw) > 0 {
		_ = w.WriteRaw(h.tracksRaw)
	} else {
		_ = w.WriteTracks(mkv.Tracks{Entries: c.Tracks})
	}
	for _, raw := range c.rawHeaderTags {
		_ = w.WriteRaw(raw)
	}
	if err := w.WriteRaw(nil); err != nil {
		return fmt.Errorf("merge chunk %d: write header: %w", c.Index, err)
	}
	m.seg, m.chunk, m.newChunk = c, c, true
	m.inCluster, m.haveLast = false, false
	m.segments++
	return nil
}

// startCluster closes the open Cluster and opens one at ts.
func (m *Merger) startCluster(ts, srcTS uint64) error {
	if err := m.endCluster(); err != nil {
		return err
	}
	if err := m.w.StartCluster(ts, false); err != nil {
		return fmt.Errorf("merge: start cluster: %w", err)
	}
	m.inCluster, m.newChunk = true, false
	m.clusterTS, m.srcTS = ts, srcTS
	m.lastTS, m.haveLast = ts, true
	return nil
}

// endCluster writes the open Cluster.
func (m *Merger) endCluster() error {
	if !m.inCluster {
		return nil
	}
	m.inCluster = false
	if err := m.w.EndMaster(); err != nil {
		return fmt.Errorf("merge: write cluster: %w", err)
	}
	return nil
}

// sameTracks reports whether chunk b can go into a segment with a's header:
// same TimestampScale and the same tracks (number, type, codec, codec
// private data, picture size, audio format).
func sameTracks(a, b *Chunk) bool {
	if a.TimestampScale() != b.TimestampScale() {
		return false
	}
	if a.hdr != nil && b.hdr != nil && len(a.hdr.tracksRaw) > 0 && bytes.Equal(a.hdr.tracksRaw, b.hdr.tracksRaw) {
		return true
	}
	if len(a.Tracks) != len(b.Tracks) {
		return false
	}
	for i, x := range a.Tracks {
		y := b.Tracks[i]
		if x.Number != y.Number || x.Type != y.Type || x.CodecID != y.CodecID ||
			!bytes.Equal(x.CodecPrivate, y.CodecPrivate) || (x.Video == nil) != (y.Video == nil) ||
			(x.Audio == nil) != (y.Audio == nil) {
			return false
		}
		if x.Video != nil && *x.Video != *y.Video {
			return false
		}
		if x.Audio != nil && *x.Audio != *y.Audio {
			return false
		}
	}
	return true
}

// Merge reads GetMedia chunks from src and writes them to dst as one
// Matroska segment, as Merger describes. A truncated last chunk is written
// as far as it goes, and its ErrTruncated error returned.
func Merge(dst io.Writer, src io.Reader, opts MergeOptions) error {
	m := NewMerger(dst, opts)
	err := NewReader(src, Options{}).Walk(m.Handler())
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return err
}
