package mkv

import (
	"fmt"
	"io"
	"math"
)

// Default limits of a Reader. They are far above what KVS producers send (a
// KVS fragment is at most 50 MB, codec private data at most 1 MiB) and small
// enough that a hostile size field cannot exhaust memory.
const (
	// DefaultMaxElementSize is the default ReaderOptions.MaxElementSize.
	DefaultMaxElementSize = 16 << 20
	// DefaultMaxFrameSize is the default ReaderOptions.MaxFrameSize.
	DefaultMaxFrameSize = 32 << 20
	// DefaultMaxDepth is the default ReaderOptions.MaxDepth.
	DefaultMaxDepth = 16
	// DefaultBufferSize is the default ReaderOptions.BufferSize.
	DefaultBufferSize = 64 << 10
)

// ReaderOptions bounds what a Reader holds in memory. A zero or negative
// field means its default.
type ReaderOptions struct {
	// MaxElementSize is the largest data size of an element other than a
	// block that the Reader loads into memory: the EBML header, Info, Tracks,
	// Tags, and any element passed to Data or Raw. Larger elements can still
	// be skipped or descended into.
	MaxElementSize int64

	// MaxFrameSize is the largest data size of a SimpleBlock, BlockGroup or
	// Block.
	MaxFrameSize int64

	// MaxDepth is the deepest element nesting accepted; top-level elements
	// have depth 0, Segment children depth 1.
	MaxDepth int

	// BufferSize is the initial size of the read buffer. The buffer grows
	// (by doubling, and only as data actually arrives) up to the largest
	// element that has to be held in memory.
	BufferSize int

	// Buffer, when it holds at least 16 octets, is the initial read buffer
	// in place of a new one of BufferSize octets: memory the caller has
	// prepared, such as pages mapped in advance. The Reader owns it from
	// then on.
	Buffer []byte
}

func (o ReaderOptions) withDefaults() ReaderOptions {
	if o.MaxElementSize <= 0 {
		o.MaxElementSize = DefaultMaxElementSize
	}
	if o.MaxFrameSize <= 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	// Keep limits representable as int on every platform.
	o.MaxElementSize = min(o.MaxElementSize, int64(math.MaxInt>>1))
	o.MaxFrameSize = min(o.MaxFrameSize, int64(math.MaxInt>>1))
	if o.BufferSize < 16 {
		// An element header is at most 12 octets; a smaller buffer would
		// only cause needless growth.
		o.BufferSize = 16
	}
	return o
}

// Element describes one EBML element header as it appears in the stream
// (RFC 8794 section 6). Offsets count octets from the first octet the Reader
// read from its source.
type Element struct {
	// ID is the Element ID.
	ID ID
	// Size is the Element Data Size, or UnknownSize.
	Size int64
	// Offset is the offset of the first octet of the Element ID.
	Offset int64
	// HeaderLen is the length of the Element ID plus the size field.
	HeaderLen int
	// SizeLen is the width of the size field in octets (1 to 8), as the
	// writer of the stream chose it.
	SizeLen int
	// Depth is the nesting level: 0 for top-level elements (EBML, Segment),
	// 1 for Segment children (Info, Tracks, Cluster, Tags), and so on.
	Depth int
	// Parent is the ID of the enclosing element, or 0 at the top level.
	Parent ID
}

// DataOffset returns the offset of the first octet of the element data.
func (e Element) DataOffset() int64 { return e.Offset + int64(e.HeaderLen) }

// UnknownSize reports whether the size field was the all-ones unknown size.
func (e Element) UnknownSize() bool { return e.Size == UnknownSize }

// End returns the offset just past the element, or -1 when its size is
// unknown.
func (e Element) End() int64 {
	if e.Size < 0 {
		return -1
	}
	return e.DataOffset() + e.Size
}

// IsMaster reports whether the schema defines the element as a Master
// Element, which the Reader descends into.
func (e Element) IsMaster() bool { return e.ID.Type() == TypeMaster }

// readState is what is known about the data of the current element.
type readState uint8

const (
	stNone   readState = iota // no current element, or its data is consumed
	stBody                    // non-master element, data not read yet
	stMaster                  // master element, not entered, data not read
	stLoaded                  // data held in buf[mark+HeaderLen : r]
)

// frame is an open master element on the Reader's stack.
type frame struct {
	id  ID
	end int64 // offset past the element, -1 for unknown size
}

// Reader is a streaming, pull-style EBML/Matroska reader. It reads from any
// io.Reader, tolerates any read boundaries (including one octet per Read),
// and holds in memory only the element it currently reports.
//
// Two levels of API share one Reader:
//   - ReadElement walks the raw element tree in document order, descending
//     into every Master Element; Data, Raw, RawHeader and Skip act on the
//     element it returned.
//   - Next reports Matroska-level events (EBML header, Segment, Info,
//     Tracks, Tags, Cluster, cluster Timestamp, blocks, cluster and segment
//     ends) with typed accessors; Raw and RawHeader return the exact octets
//     of each event's element, so a caller can copy a stream verbatim.
//
// Use one level per stream; the accessors (Element, Data, Raw, RawHeader,
// Skip and the typed ones) work with both.
//
// Slices returned by Data, Raw, RawHeader and Block point into the Reader's
// buffer and are valid only until the next call of ReadElement, Next, Skip,
// Data or Raw. The per-frame path does not allocate.
//
// Unknown-size elements (Segment and Cluster from live producers) end where
// an element appears that the Matroska schema does not allow inside them,
// such as the next Cluster, a Segment-level Tags, or a new EBML header
// (RFC 8794 section 6.2), or at the end of the input.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	src    io.Reader
	srcErr error
	opts   ReaderOptions

	// buf[r:w] is read but not consumed; buf[mark:r] is the current
	// element's header (and data, once loaded), kept until the next element.
	buf     []byte
	r, w    int
	mark    int
	bufBase int64 // stream offset of buf[0]

	err       error // sticky error from ReadElement or Next
	stack     []frame
	cur       Element
	st        readState
	redeliver bool // ReadElement returns cur again instead of reading on

	// Next state.
	atEnd     bool // the current event is a ClusterEnd or SegmentEnd
	descend   bool // the current event's master is entered, not skipped
	ev        Element
	inSegment bool
	inCluster bool
	segment   Element
	cluster   Element
	clusterTS uint64
	block     Block
}

// NewReader returns a Reader that reads from src with the given limits.
func NewReader(src io.Reader, opts ReaderOptions) *Reader {
	opts = opts.withDefaults()
	buf := opts.Buffer
	if len(buf) < 16 {
		buf = make([]byte, opts.BufferSize)
	}
	opts.Buffer = nil // not kept alive once the buffer grows
	r := &Reader{
		opts:  opts,
		buf:   buf,
		stack: make([]frame, 0, opts.MaxDepth+1),
	}
	r.Reset(src)
	return r
}

// Reset makes the Reader read a new stream from src, keeping its buffer so
// that a pooled Reader parses without allocating. Reset on a zero Reader
// prepares it with the default options.
func (r *Reader) Reset(src io.Reader) {
	opts, buf := r.opts, r.buf
	if len(buf) == 0 {
		opts = opts.withDefaults()
		buf = make([]byte, opts.BufferSize)
	}
	*r = Reader{
		src:   src,
		opts:  opts,
		buf:   buf,
		stack: r.stack[:0],
		block: Block{laces: r.block.laces[:0]},
	}
}

// InputOffset returns the stream offset of the next octet the Reader will
// consume: after ReadElement it is the start of the element data, after Next
// or a consuming call the end of the element.
func (r *Reader) InputOffset() int64 { return r.bufBase + int64(r.r) }

// Element returns the current element: the one ReadElement returned, or the
// element of the current Next event (for KindClusterEnd and KindSegmentEnd,
// the master that ended).
func (r *Reader) Element() Element {
	if r.atEnd {
		return r.ev
	}
	return r.cur
}

// ReadElement returns the header of the next element in document order.
// If the previous element was a Master Element that was not consumed with
// Data, Raw or Skip, the next element is its first child; otherwise unread
// data of the previous element is skipped. At the end of the input it returns
// io.EOF, or an error wrapping io.ErrUnexpectedEOF if the input ends inside
// an element of known size.
func (r *Reader) ReadElement() (Element, error) {
	if r.err != nil {
		return Element{}, r.err
	}
	r.atEnd = false
	if r.redeliver {
		r.redeliver = false
		return r.cur, nil
	}
	if err := r.finishCurrent(); err != nil {
		return Element{}, r.fail(err)
	}
	el, err := r.readHeader()
	if err != nil {
		return Element{}, r.fail(err)
	}
	return el, nil
}

// Data returns the data of the current element, reading it if needed. A
// Master Element read this way is consumed whole: its children are not
// reported. The size must be known and within the configured limits.
func (r *Reader) Data() ([]byte, error) {
	if err := r.loadCurrent(); err != nil {
		return nil, err
	}
	return r.buf[r.mark+r.cur.HeaderLen : r.r], nil
}

// Raw returns the current element's octets exactly as they appeared in the
// stream, header included, reading the data if needed. For the masters that
// Next descends into (Segment, Cluster) and for unknown-size elements, use
// RawHeader: their children follow as separate elements.
func (r *Reader) Raw() ([]byte, error) {
	if err := r.loadCurrent(); err != nil {
		return nil, err
	}
	return r.buf[r.mark:r.r], nil
}

// RawHeader returns the current element's header (ID and size field) exactly
// as it appeared in the stream, or nil if there is no current element.
func (r *Reader) RawHeader() []byte {
	if r.atEnd || r.redeliver || r.st == stNone {
		return nil
	}
	return r.buf[r.mark : r.mark+r.cur.HeaderLen]
}

// Skip consumes the rest of the current element without reading its data
// into memory; for a Master Element that includes all its children. An
// unknown-size master is skipped up to the first element that ends it.
func (r *Reader) Skip() error {
	if r.atEnd || r.redeliver {
		return ErrNoElement
	}
	if r.err != nil {
		return r.err
	}
	switch r.st {
	case stLoaded:
		r.st = stNone
		return nil
	case stBody, stMaster:
		if r.cur.Size >= 0 {
			if err := r.skip(r.cur.Size); err != nil {
				return r.fail(fmt.Errorf("skip %s at offset %d: %w", r.cur.ID, r.cur.Offset, unexpected(err)))
			}
			r.st = stNone
			return nil
		}
		return r.skipUnknown()
	}
	return ErrNoElement
}

// skipUnknown skips an unknown-size master by walking its children until an
// element outside it appears, which ReadElement then returns.
func (r *Reader) skipUnknown() error {
	depth := r.cur.Depth
	if err := r.enter(); err != nil {
		return r.fail(err)
	}
	for {
		el, err := r.readHeader()
		if err == io.EOF {
			r.st = stNone
			return nil // ReadElement reports the EOF again
		}
		if err != nil {
			return r.fail(err)
		}
		if el.Depth <= depth {
			r.redeliver = true
			return nil
		}
		if r.st == stMaster && el.Size < 0 {
			if err := r.enter(); err != nil {
				return r.fail(err)
			}
			continue
		}
		if err := r.skip(el.Size); err != nil {
			return r.fail(fmt.Errorf("skip %s at offset %d: %w", el.ID, el.Offset, unexpected(err)))
		}
		r.st = stNone
	}
}

// fail records a sticky error.
func (r *Reader) fail(err error) error {
	r.err = err
	r.st = stNone
	r.redeliver = false
	return err
}

// unexpected turns io.EOF inside an element into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// isFrameElement reports whether the element carries media frames and is
// bounded by MaxFrameSize instead of MaxElementSize.
func isFrameElement(id ID) bool {
	switch id {
	case IDSimpleBlock, IDBlockGroup, IDBlock, IDEncryptedBlock:
		return true
	}
	return false
}

// loadCurrent makes sure the current element's data is in the buffer.
func (r *Reader) loadCurrent() error {
	if r.atEnd || r.redeliver {
		return ErrNoElement
	}
	if r.err != nil {
		return r.err
	}
	switch r.st {
	case stLoaded:
		return nil
	case stBody, stMaster:
	default:
		return ErrNoElement
	}
	el := r.cur
	if el.Size < 0 {
		return fmt.Errorf("read %s data at offset %d: %w", el.ID, el.Offset, ErrUnknownSize)
	}
	if isFrameElement(el.ID) {
		if el.Size > r.opts.MaxFrameSize {
			return fmt.Errorf("read %s at offset %d: %d octets: %w", el.ID, el.Offset, el.Size, ErrFrameTooLarge)
		}
	} else if el.Size > r.opts.MaxElementSize {
		return fmt.Errorf("read %s at offset %d: %d octets: %w", el.ID, el.Offset, el.Size, ErrElementTooLarge)
	}
	if err := r.need(int(el.Size)); err != nil {
		return r.fail(fmt.Errorf("read %s at offset %d: %w", el.ID, el.Offset, unexpected(err)))
	}
	r.r += int(el.Size)
	r.st = stLoaded
	return nil
}

// finishCurrent moves past the current element: its unread data is skipped
// and an unconsumed master is entered.
func (r *Reader) finishCurrent() error {
	switch r.st {
	case stBody:
		if err := r.skip(r.cur.Size); err != nil {
			return fmt.Errorf("skip %s at offset %d: %w", r.cur.ID, r.cur.Offset, unexpected(err))
		}
	case stMaster:
		if err := r.enter(); err != nil {
			return err
		}
	}
	r.st = stNone
	return nil
}

// enter pushes the current master onto the stack so that its children follow.
func (r *Reader) enter() error {
	if r.cur.Depth+1 > r.opts.MaxDepth {
		return fmt.Errorf("enter %s at offset %d, depth %d: %w", r.cur.ID, r.cur.Offset, r.cur.Depth+1, ErrTooDeep)
	}
	r.stack = append(r.stack, frame{id: r.cur.ID, end: r.cur.End()})
	r.st = stNone
	return nil
}

// popFinished closes the known-size masters that end at or before the current
// offset, together with any unknown-size masters inside them.
func (r *Reader) popFinished() {
	pos := r.InputOffset()
	for i, f := range r.stack {
		if f.end >= 0 && pos >= f.end {
			r.stack = r.stack[:i]
			return
		}
	}
}

// limit returns the end of the innermost known-size master, or -1.
func (r *Reader) limit() int64 {
	for i := len(r.stack) - 1; i >= 0; i-- {
		if r.stack[i].end >= 0 {
			return r.stack[i].end
		}
	}
	return -1
}

// closeUnknown closes the unknown-size masters that, per the schema, cannot
// contain an element with ID id (RFC 8794 section 6.2).
func (r *Reader) closeUnknown(id ID) {
	for n := len(r.stack); n > 0; n-- {
		top := r.stack[n-1]
		if top.end >= 0 || isDescendant(id, top.id) {
			return
		}
		r.stack = r.stack[:n-1]
	}
}

// readHeader reads the next element header at the current offset.
func (r *Reader) readHeader() (Element, error) {
	r.popFinished()
	r.mark = r.r
	off := r.InputOffset()
	limit := r.limit()
	if err := r.need(1); err != nil {
		if err == io.EOF {
			if limit >= 0 {
				return Element{}, fmt.Errorf("read element at offset %d: input ends inside %s: %w",
					off, r.innermostKnown(), io.ErrUnexpectedEOF)
			}
			r.stack = r.stack[:0]
			return Element{}, io.EOF
		}
		return Element{}, fmt.Errorf("read element at offset %d: %w", off, err)
	}
	idLen := vintLen(r.buf[r.r])
	if idLen > 4 {
		return Element{}, fmt.Errorf("read element at offset %d: first octet %#02x: %w", off, r.buf[r.r], ErrInvalidID)
	}
	if err := r.need(idLen + 1); err != nil {
		return Element{}, fmt.Errorf("read element header at offset %d: %w", off, unexpected(err))
	}
	sizeLen := vintLen(r.buf[r.r+idLen])
	if sizeLen > 8 {
		return Element{}, fmt.Errorf("read element size at offset %d: %w", off+int64(idLen), ErrInvalidVint)
	}
	hlen := idLen + sizeLen
	if err := r.need(hlen); err != nil {
		return Element{}, fmt.Errorf("read element header at offset %d: %w", off, unexpected(err))
	}
	id, _, err := readID(r.buf[r.r : r.r+idLen])
	if err != nil {
		return Element{}, fmt.Errorf("read element at offset %d: %w", off, err)
	}
	v, allOnes := vintData(r.buf[r.r+idLen:], sizeLen)
	size := int64(v)
	info, known := lookup(id)
	if allOnes {
		size = UnknownSize
		if !known || info.flags&flagUnknownSizeAllowed == 0 {
			return Element{}, fmt.Errorf("read %s at offset %d: %w", id, off, ErrUnknownSize)
		}
	}
	r.closeUnknown(id)
	if limit >= 0 && (off+int64(hlen) > limit || (size >= 0 && off+int64(hlen)+size > limit)) {
		return Element{}, fmt.Errorf("read %s at offset %d: size %d, parent ends at %d: %w",
			id, off, size, limit, ErrElementOverflow)
	}
	r.r += hlen
	el := Element{ID: id, Size: size, Offset: off, HeaderLen: hlen, SizeLen: sizeLen, Depth: len(r.stack)}
	if el.Depth > 0 {
		el.Parent = r.stack[el.Depth-1].id
	}
	r.cur = el
	r.st = stBody
	if known && info.typ == TypeMaster {
		r.st = stMaster
	}
	return el, nil
}

// innermostKnown names the innermost open known-size master, for errors.
func (r *Reader) innermostKnown() ID {
	for i := len(r.stack) - 1; i >= 0; i-- {
		if r.stack[i].end >= 0 {
			return r.stack[i].id
		}
	}
	return 0
}

// need makes at least n unconsumed octets available in buf[r:w]. It returns
// io.EOF only when the source ended; callers decide whether that is an
// unexpected end.
func (r *Reader) need(n int) error {
	for r.w-r.r < n {
		if err := r.fill(); err != nil {
			return err
		}
	}
	return nil
}

// maxEmptyReads bounds how often a source may return (0, nil) in a row.
const maxEmptyReads = 100

// fill reads more octets from the source. When the buffer is full it first
// drops what precedes mark and only then grows, by doubling: growth therefore
// follows octets that actually arrived, never a size field.
func (r *Reader) fill() error {
	if r.srcErr != nil {
		return r.srcErr
	}
	if r.w == len(r.buf) {
		if r.mark > 0 {
			n := copy(r.buf, r.buf[r.mark:r.w])
			r.bufBase += int64(r.mark)
			r.r -= r.mark
			r.w = n
			r.mark = 0
		} else {
			nb := make([]byte, 2*len(r.buf))
			copy(nb, r.buf[:r.w])
			r.buf = nb
		}
	}
	for range maxEmptyReads {
		n, err := r.src.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			r.srcErr = fmt.Errorf("read source: invalid count %d", n)
			return r.srcErr
		}
		r.w += n
		if err != nil {
			r.srcErr = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	r.srcErr = io.ErrNoProgress
	return r.srcErr
}

// skip consumes n octets without keeping them.
func (r *Reader) skip(n int64) error {
	for {
		avail := int64(r.w - r.r)
		if n <= avail {
			r.r += int(n)
			r.mark = r.r
			return nil
		}
		n -= avail
		r.bufBase += int64(r.w)
		r.r, r.w, r.mark = 0, 0, 0
		if err := r.fill(); err != nil {
			return err
		}
	}
}
