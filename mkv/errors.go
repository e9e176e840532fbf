package mkv

import "errors"

// Sentinel errors. Reader and Writer wrap them with the element and offset
// involved, so callers match them with errors.Is. A stream that ends at an
// element boundary ends with io.EOF; one that ends inside an element fails
// with an error that wraps io.ErrUnexpectedEOF.
var (
	// ErrInvalidVint reports a variable-size integer whose first octet is 0x00,
	// i.e. one longer than 8 octets (RFC 8794 section 4).
	ErrInvalidVint = errors.New("mkv: invalid variable-size integer")

	// ErrInvalidID reports an Element ID longer than 4 octets or with VINT_DATA
	// all zeros or all ones (RFC 8794 section 5).
	ErrInvalidID = errors.New("mkv: invalid element id")

	// ErrElementTooLarge reports an element whose data would have to be held in
	// memory but is larger than ReaderOptions.MaxElementSize.
	ErrElementTooLarge = errors.New("mkv: element larger than the configured limit")

	// ErrFrameTooLarge reports a SimpleBlock or BlockGroup larger than
	// ReaderOptions.MaxFrameSize.
	ErrFrameTooLarge = errors.New("mkv: frame larger than the configured limit")

	// ErrTooDeep reports Master Elements nested deeper than
	// ReaderOptions.MaxDepth.
	ErrTooDeep = errors.New("mkv: elements nested too deep")

	// ErrUnknownSize reports an unknown size on an element that may not have
	// one (only Segment and Cluster may, RFC 9559 section 6), or a request for
	// the data of an unknown-size element.
	ErrUnknownSize = errors.New("mkv: unknown element size not allowed here")

	// ErrElementOverflow reports a child element that extends past the end of
	// its parent.
	ErrElementOverflow = errors.New("mkv: element extends past its parent")

	// ErrInvalidValue reports element data that does not fit its EBML type,
	// such as a 9-octet integer or a 5-octet float (RFC 8794 section 7).
	ErrInvalidValue = errors.New("mkv: invalid element value")

	// ErrInvalidBlock reports a malformed SimpleBlock or Block: a short header,
	// bad lacing, or a BlockGroup without a Block (RFC 9559 section 10).
	ErrInvalidBlock = errors.New("mkv: invalid block")

	// ErrTruncated reports element data that ends inside a value or a nested
	// element while decoding data already held in memory.
	ErrTruncated = errors.New("mkv: truncated element data")

	// ErrNoElement reports a call that needs a current element (Data, Raw,
	// Skip, the typed accessors) when there is none, or when the element's
	// bytes were already consumed.
	ErrNoElement = errors.New("mkv: no current element")

	// ErrSizeWidth reports a size that does not fit the requested size field
	// width, or a width outside 0..8.
	ErrSizeWidth = errors.New("mkv: size does not fit the size field width")

	// ErrNoOpenMaster reports Writer.EndMaster without a matching start.
	ErrNoOpenMaster = errors.New("mkv: no open master element")
)
