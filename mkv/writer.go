package mkv

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"
)

// Writer writes EBML/Matroska elements to an io.Writer.
//
// Master Elements are written in one of two ways. StartUnknownSizeMaster
// writes the header at once with the all-ones unknown size and streams the
// children straight through, as live producers do with Segment and Cluster.
// StartMaster buffers the children in memory until EndMaster, which then
// writes the header with the now known size. Buffers are reused, so a
// steady stream of known-size Tags or Clusters does not allocate.
//
// Outside buffered masters the Writer does no buffering of its own; wrap
// the destination in a bufio.Writer if small writes are expensive.
//
// Errors are sticky: after the first error every method returns it.
type Writer struct {
	out       io.Writer
	err       error
	sizeWidth int
	stack     []wframe
	buffered  int // index of the innermost known-size master, -1 if none
	scratch   []byte
}

// wframe is an open master element of the Writer.
type wframe struct {
	id      ID
	unknown bool
	width   int
	buf     []byte // children of a known-size master
}

// NewWriter returns a Writer that writes to w with minimal-width size fields.
func NewWriter(w io.Writer) *Writer {
	return &Writer{out: w, buffered: -1, scratch: make([]byte, 0, 64)}
}

// SetSizeWidth sets the width in octets (1 to 8) of the size fields of the
// elements written from now on; 0 means the minimal width. KVS writes its
// own Tags with 4-octet sizes, and its GetMedia Segment with an 8-octet
// unknown size; the KVS producer SDK writes SimpleBlocks with 8-octet sizes.
// A known-size master keeps the width that was set when it was started.
func (w *Writer) SetSizeWidth(n int) error {
	if n < 0 || n > 8 {
		return fmt.Errorf("set size width %d: %w", n, ErrSizeWidth)
	}
	w.sizeWidth = n
	return nil
}

// SizeWidth returns the current size field width; 0 means minimal.
func (w *Writer) SizeWidth() int { return w.sizeWidth }

// emit sends p to the innermost buffered master, or to the destination.
func (w *Writer) emit(p []byte) {
	if w.err != nil {
		return
	}
	if w.buffered >= 0 {
		f := &w.stack[w.buffered]
		f.buf = append(f.buf, p...)
		return
	}
	if _, err := w.out.Write(p); err != nil {
		w.err = fmt.Errorf("write: %w", err)
	}
}

// header appends an element header to the scratch buffer.
func (w *Writer) header(id ID, size int64) error {
	var err error
	w.scratch, err = AppendElementHeader(w.scratch[:0], id, size, w.sizeWidth)
	if err != nil {
		w.err = fmt.Errorf("write %s header: %w", id, err)
	}
	return w.err
}

// WriteRaw writes p verbatim, e.g. an element returned by Reader.Raw.
func (w *Writer) WriteRaw(p []byte) error {
	w.emit(p)
	return w.err
}

// WriteHeader writes an element header with the given data size (or
// UnknownSize); the caller then writes exactly size octets of data with
// WriteRaw or other elements.
func (w *Writer) WriteHeader(id ID, size int64) error {
	if w.err != nil {
		return w.err
	}
	if err := w.header(id, size); err != nil {
		return err
	}
	w.emit(w.scratch)
	return w.err
}

// StartMaster opens a Master Element whose size is computed when EndMaster
// closes it; its children are buffered until then.
func (w *Writer) StartMaster(id ID) error {
	return w.push(id, false)
}

// StartUnknownSizeMaster opens a Master Element with the unknown size and
// writes its header at once. RFC 9559 allows this for Segment and Cluster.
func (w *Writer) StartUnknownSizeMaster(id ID) error {
	if w.err != nil {
		return w.err
	}
	if err := w.header(id, UnknownSize); err != nil {
		return err
	}
	w.emit(w.scratch)
	return w.push(id, true)
}

func (w *Writer) push(id ID, unknown bool) error {
	if w.err != nil {
		return w.err
	}
	if !id.valid() {
		w.err = fmt.Errorf("start element %#x: %w", uint32(id), ErrInvalidID)
		return w.err
	}
	var buf []byte
	if n := len(w.stack); n < cap(w.stack) {
		buf = w.stack[:n+1][n].buf[:0] // reuse the buffer of a closed master
	}
	w.stack = append(w.stack, wframe{id: id, unknown: unknown, width: w.sizeWidth, buf: buf})
	if !unknown {
		w.buffered = len(w.stack) - 1
	}
	return nil
}

// EndMaster closes the innermost open Master Element. For a known-size
// master it writes the header and the buffered children.
func (w *Writer) EndMaster() error {
	if w.err != nil {
		return w.err
	}
	n := len(w.stack)
	if n == 0 {
		w.err = fmt.Errorf("end master: %w", ErrNoOpenMaster)
		return w.err
	}
	f := w.stack[n-1]
	w.stack = w.stack[:n-1]
	if f.unknown {
		return nil
	}
	w.buffered = -1
	for i := len(w.stack) - 1; i >= 0; i-- {
		if !w.stack[i].unknown {
			w.buffered = i
			break
		}
	}
	var err error
	w.scratch, err = AppendElementHeader(w.scratch[:0], f.id, int64(len(f.buf)), f.width)
	if err != nil {
		w.err = fmt.Errorf("write %s header: %w", f.id, err)
		return w.err
	}
	w.emit(w.scratch)
	w.emit(f.buf)
	// Keep the grown buffer for the next master at this level.
	w.stack[:n][n-1].buf = f.buf[:0]
	return w.err
}

// Close closes every open master. It does not close the destination.
func (w *Writer) Close() error {
	for len(w.stack) > 0 && w.err == nil {
		_ = w.EndMaster()
	}
	return w.err
}

// WriteUint writes an unsigned integer element of minimal width.
func (w *Writer) WriteUint(id ID, v uint64) error {
	return w.WriteUintWidth(id, v, 0)
}

// WriteUintWidth writes an unsigned integer element of width octets (1 to
// 8), or of minimal width when width is 0. The KVS producer SDK writes the
// Cluster Timestamp and TimestampScale as 8-octet values.
func (w *Writer) WriteUintWidth(id ID, v uint64, width int) error {
	if w.err != nil {
		return w.err
	}
	if width < 0 || width > 8 || (width > 0 && width < uintLen(v)) {
		w.err = fmt.Errorf("write %s: %d in %d octets: %w", id, v, width, ErrInvalidValue)
		return w.err
	}
	if width == 0 {
		width = uintLen(v)
	}
	if err := w.header(id, int64(width)); err != nil {
		return err
	}
	w.scratch = appendUintData(w.scratch, v, width)
	w.emit(w.scratch)
	return w.err
}

// WriteInt writes a signed integer element of minimal width.
func (w *Writer) WriteInt(id ID, v int64) error {
	if w.err != nil {
		return w.err
	}
	n := intLen(v)
	if err := w.header(id, int64(n)); err != nil {
		return err
	}
	w.scratch = appendUintData(w.scratch, uint64(v), n)
	w.emit(w.scratch)
	return w.err
}

// WriteFloat writes a float element as an 8-octet IEEE 754 double.
func (w *Writer) WriteFloat(id ID, v float64) error {
	if w.err != nil {
		return w.err
	}
	if err := w.header(id, 8); err != nil {
		return err
	}
	w.scratch = binary.BigEndian.AppendUint64(w.scratch, math.Float64bits(v))
	w.emit(w.scratch)
	return w.err
}

// WriteDate writes a date element: nanoseconds since 2001-01-01 UTC.
func (w *Writer) WriteDate(id ID, t time.Time) error {
	if w.err != nil {
		return w.err
	}
	if err := w.header(id, 8); err != nil {
		return err
	}
	w.scratch = binary.BigEndian.AppendUint64(w.scratch, uint64(t.Sub(ebmlEpoch)))
	w.emit(w.scratch)
	return w.err
}

// WriteString writes a String or UTF-8 element without NUL padding.
func (w *Writer) WriteString(id ID, s string) error {
	if w.err != nil {
		return w.err
	}
	if err := w.header(id, int64(len(s))); err != nil {
		return err
	}
	w.scratch = append(w.scratch, s...)
	w.emit(w.scratch)
	return w.err
}

// WriteBinary writes a binary element.
func (w *Writer) WriteBinary(id ID, data []byte) error {
	if err := w.WriteHeader(id, int64(len(data))); err != nil {
		return err
	}
	w.emit(data)
	return w.err
}

// WriteEBMLHeader writes an EBML header element (RFC 8794 section 11.2).
// Zero fields are written with their defaults and an empty DocType as
// "matroska".
func (w *Writer) WriteEBMLHeader(h EBMLHeader) error {
	def := func(v, d uint64) uint64 {
		if v == 0 {
			return d
		}
		return v
	}
	if h.DocType == "" {
		h.DocType = "matroska"
	}
	_ = w.StartMaster(IDEBML)
	_ = w.WriteUint(IDEBMLVersion, def(h.Version, 1))
	_ = w.WriteUint(IDEBMLReadVersion, def(h.ReadVersion, 1))
	_ = w.WriteUint(IDEBMLMaxIDLength, def(h.MaxIDLength, 4))
	_ = w.WriteUint(IDEBMLMaxSizeLength, def(h.MaxSizeLength, 8))
	_ = w.WriteString(IDDocType, h.DocType)
	_ = w.WriteUint(IDDocTypeVersion, def(h.DocTypeVersion, 1))
	_ = w.WriteUint(IDDocTypeReadVersion, def(h.DocTypeReadVersion, 1))
	return w.EndMaster()
}

// StartSegment opens a Segment. With unknownSize its header is written at
// once, as streaming producers and KVS GetMedia do; otherwise the whole
// Segment is buffered until EndMaster or Close.
func (w *Writer) StartSegment(unknownSize bool) error {
	if unknownSize {
		return w.StartUnknownSizeMaster(IDSegment)
	}
	return w.StartMaster(IDSegment)
}

// WriteInfo writes a Segment Info element. A zero TimestampScale is written
// as the default 1,000,000; empty strings, a zero Duration and a zero
// DateUTC are left out.
func (w *Writer) WriteInfo(info Info) error {
	_ = w.StartMaster(IDInfo)
	if len(info.SegmentUUID) > 0 {
		_ = w.WriteBinary(IDSegmentUUID, info.SegmentUUID)
	}
	scale := info.TimestampScale
	if scale == 0 {
		scale = 1_000_000
	}
	_ = w.WriteUint(IDTimestampScale, scale)
	if info.Title != "" {
		_ = w.WriteString(IDTitle, info.Title)
	}
	if info.MuxingApp != "" {
		_ = w.WriteString(IDMuxingApp, info.MuxingApp)
	}
	if info.WritingApp != "" {
		_ = w.WriteString(IDWritingApp, info.WritingApp)
	}
	if info.Duration != 0 {
		_ = w.WriteFloat(IDDuration, info.Duration)
	}
	if !info.DateUTC.IsZero() {
		_ = w.WriteDate(IDDateUTC, info.DateUTC)
	}
	return w.EndMaster()
}

// WriteTracks writes a Tracks element with one TrackEntry per entry.
func (w *Writer) WriteTracks(t Tracks) error {
	_ = w.StartMaster(IDTracks)
	for _, e := range t.Entries {
		_ = w.StartMaster(IDTrackEntry)
		_ = w.WriteUint(IDTrackNumber, e.Number)
		_ = w.WriteUint(IDTrackUID, e.UID)
		_ = w.WriteUint(IDTrackType, e.Type)
		if e.Name != "" {
			_ = w.WriteString(IDName, e.Name)
		}
		_ = w.WriteString(IDCodecID, e.CodecID)
		if len(e.CodecPrivate) > 0 {
			_ = w.WriteBinary(IDCodecPrivate, e.CodecPrivate)
		}
		if e.DefaultDuration != 0 {
			_ = w.WriteUint(IDDefaultDuration, e.DefaultDuration)
		}
		if v := e.Video; v != nil {
			_ = w.StartMaster(IDVideo)
			_ = w.WriteUint(IDPixelWidth, v.PixelWidth)
			_ = w.WriteUint(IDPixelHeight, v.PixelHeight)
			_ = w.EndMaster()
		}
		if a := e.Audio; a != nil {
			_ = w.StartMaster(IDAudio)
			_ = w.WriteFloat(IDSamplingFrequency, a.SamplingFrequency)
			_ = w.WriteUint(IDChannels, a.Channels)
			if a.BitDepth != 0 {
				_ = w.WriteUint(IDBitDepth, a.BitDepth)
			}
			_ = w.EndMaster()
		}
		_ = w.EndMaster()
	}
	return w.EndMaster()
}

// StartCluster opens a Cluster and writes its Timestamp (in TimestampScale
// units). With unknownSize the Cluster streams, as the KVS producer SDK
// writes it; otherwise it is buffered until EndMaster. Close the Cluster with
// EndMaster before starting the next one.
func (w *Writer) StartCluster(timestamp uint64, unknownSize bool) error {
	if unknownSize {
		_ = w.StartUnknownSizeMaster(IDCluster)
	} else {
		_ = w.StartMaster(IDCluster)
	}
	return w.WriteUint(IDTimestamp, timestamp)
}

// WriteSimpleBlock writes a SimpleBlock holding one frame (RFC 9559 section
// 10.2). timestamp is relative to the Cluster Timestamp; flags are the
// FlagKeyframe, FlagInvisible and FlagDiscardable bits. It does not
// allocate.
func (w *Writer) WriteSimpleBlock(track uint64, timestamp int16, flags uint8, frame []byte) error {
	return w.writeBlock(IDSimpleBlock, track, timestamp, flags, frame)
}

func (w *Writer) writeBlock(id ID, track uint64, timestamp int16, flags uint8, payload []byte) error {
	if w.err != nil {
		return w.err
	}
	if track == 0 || int64(track) > MaxSize {
		w.err = fmt.Errorf("write %s: track number %d: %w", id, track, ErrInvalidBlock)
		return w.err
	}
	trackLen := sizeLen(int64(track))
	if err := w.header(id, int64(trackLen+3+len(payload))); err != nil {
		return err
	}
	w.scratch, _ = appendSize(w.scratch, int64(track), 0)
	w.scratch = binary.BigEndian.AppendUint16(w.scratch, uint16(timestamp))
	w.scratch = append(w.scratch, flags)
	w.emit(w.scratch)
	w.emit(payload)
	return w.err
}

// WriteBlock writes b as a SimpleBlock when b.Simple is set, otherwise as a
// BlockGroup with a Block, a BlockDuration if b.HasDuration, and one
// ReferenceBlock per reference. b.Payload is written verbatim, so a laced
// block read by Reader is written back unchanged.
func (w *Writer) WriteBlock(b *Block) error {
	if b.Simple {
		return w.writeBlock(IDSimpleBlock, b.Track, b.Timestamp, b.Flags, b.Payload)
	}
	_ = w.StartMaster(IDBlockGroup)
	// The keyframe bit is reserved in a Block (RFC 9559 section 10.1).
	_ = w.writeBlock(IDBlock, b.Track, b.Timestamp, b.Flags&^FlagKeyframe, b.Payload)
	if b.HasDuration {
		_ = w.WriteUint(IDBlockDuration, b.Duration)
	}
	for _, ref := range b.References {
		_ = w.WriteInt(IDReferenceBlock, ref)
	}
	return w.EndMaster()
}

// WriteTags writes a Tags element. Tags without Targets are written without
// a Targets element, as KVS does.
func (w *Writer) WriteTags(t Tags) error {
	_ = w.StartMaster(IDTags)
	for _, tag := range t.Tags {
		_ = w.StartMaster(IDTag)
		if tg := tag.Targets; tg != nil {
			_ = w.StartMaster(IDTargets)
			_ = w.WriteUint(IDTargetTypeValue, tg.TypeValue)
			if tg.Type != "" {
				_ = w.WriteString(IDTargetType, tg.Type)
			}
			for _, uid := range tg.TrackUIDs {
				_ = w.WriteUint(IDTagTrackUID, uid)
			}
			_ = w.EndMaster()
		}
		for _, st := range tag.SimpleTags {
			w.writeSimpleTag(st)
		}
		_ = w.EndMaster()
	}
	return w.EndMaster()
}

// writeSimpleTag writes st; TagBinary replaces TagString when Binary is set.
func (w *Writer) writeSimpleTag(st SimpleTag) {
	_ = w.StartMaster(IDSimpleTag)
	_ = w.WriteString(IDTagName, st.Name)
	if st.Binary != nil {
		_ = w.WriteBinary(IDTagBinary, st.Binary)
	} else {
		_ = w.WriteString(IDTagString, st.String)
	}
	for _, c := range st.Children {
		w.writeSimpleTag(c)
	}
	_ = w.EndMaster()
}
