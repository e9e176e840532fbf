package mkv

import (
	"fmt"
	"math/bits"
)

// UnknownSize is the Element.Size of an element whose size field has all
// VINT_DATA bits set (RFC 8794 section 6.2). Producers write Segment and
// Cluster this way when they stream and cannot know the size in advance.
const UnknownSize int64 = -1

// MaxSize is the largest known element data size a size field can carry: an
// 8-octet VINT with all but one data bit set, since all ones means unknown.
const MaxSize int64 = 1<<56 - 2

// vintLen returns the length in octets of a VINT from its first octet, or a
// value above 8 for 0x00, which has no length marker (RFC 8794 section 4).
func vintLen(b byte) int {
	return bits.LeadingZeros8(b) + 1
}

// vintData decodes the VINT_DATA of an n-octet VINT in b[:n] and reports
// whether all data bits are set (the reserved "unknown" value).
func vintData(b []byte, n int) (v uint64, allOnes bool) {
	v = uint64(b[0]) & (0xFF >> n)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, v == 1<<(7*n)-1
}

// readVint decodes one VINT at the start of b. It is used on data that is
// already in memory (block headers, lace sizes, nested elements).
func readVint(b []byte) (v uint64, n int, allOnes bool, err error) {
	if len(b) == 0 {
		return 0, 0, false, ErrTruncated
	}
	n = vintLen(b[0])
	if n > 8 {
		return 0, 0, false, ErrInvalidVint
	}
	if len(b) < n {
		return 0, 0, false, ErrTruncated
	}
	v, allOnes = vintData(b, n)
	return v, n, allOnes, nil
}

// readID decodes an Element ID at the start of b.
func readID(b []byte) (ID, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrTruncated
	}
	n := vintLen(b[0])
	if n > 4 {
		return 0, 0, ErrInvalidID
	}
	if len(b) < n {
		return 0, 0, ErrTruncated
	}
	var id uint32
	for i := range n {
		id = id<<8 | uint32(b[i])
	}
	if !ID(id).valid() {
		return 0, 0, ErrInvalidID
	}
	return ID(id), n, nil
}

// ParseElementHeader decodes the element header (Element ID and Element Data
// Size, RFC 8794 sections 5 and 6) at the start of b. It returns the ID, the
// data size (UnknownSize when all size bits are set) and the header length.
// It returns ErrTruncated when b ends inside the header.
func ParseElementHeader(b []byte) (id ID, size int64, headerLen int, err error) {
	id, idLen, err := readID(b)
	if err != nil {
		return 0, 0, 0, err
	}
	v, sizeLen, allOnes, err := readVint(b[idLen:])
	if err != nil {
		return 0, 0, 0, err
	}
	if allOnes {
		return id, UnknownSize, idLen + sizeLen, nil
	}
	return id, int64(v), idLen + sizeLen, nil
}

// sizeLen returns the minimal width of a size field that holds size. All-ones
// values are reserved for "unknown", so a width of n holds 0..2^(7n)-2.
func sizeLen(size int64) int {
	for n := 1; n < 8; n++ {
		if size < 1<<(7*n)-1 {
			return n
		}
	}
	return 8
}

// appendSize appends size as a VINT of the given width; width 0 picks the
// minimal width. UnknownSize is written as all ones (0xFF when width is 0).
func appendSize(dst []byte, size int64, width int) ([]byte, error) {
	if width < 0 || width > 8 {
		return dst, fmt.Errorf("size width %d: %w", width, ErrSizeWidth)
	}
	if size == UnknownSize {
		if width == 0 {
			width = 1
		}
		dst = append(dst, 0xFF>>(width-1))
		for i := 1; i < width; i++ {
			dst = append(dst, 0xFF)
		}
		return dst, nil
	}
	if size < 0 || size > MaxSize {
		return dst, fmt.Errorf("size %d: %w", size, ErrSizeWidth)
	}
	if width == 0 {
		width = sizeLen(size)
	} else if size >= 1<<(7*width)-1 {
		return dst, fmt.Errorf("size %d in %d octets: %w", size, width, ErrSizeWidth)
	}
	v := uint64(size) | 1<<(7*width)
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst, nil
}

// appendID appends the encoded Element ID.
func appendID(dst []byte, id ID) ([]byte, error) {
	if !id.valid() {
		return dst, fmt.Errorf("element id %#x: %w", uint32(id), ErrInvalidID)
	}
	for i := id.Len() - 1; i >= 0; i-- {
		dst = append(dst, byte(id>>(8*i)))
	}
	return dst, nil
}

// AppendElementHeader appends an element header: the ID and a size field of
// sizeWidth octets (1 to 8), or of minimal width when sizeWidth is 0. Pass
// UnknownSize to write the all-ones unknown size; KVS GetMedia output, for
// example, starts each Segment with an 8-octet unknown size
// (01 FF FF FF FF FF FF FF).
func AppendElementHeader(dst []byte, id ID, size int64, sizeWidth int) ([]byte, error) {
	dst, err := appendID(dst, id)
	if err != nil {
		return dst, err
	}
	return appendSize(dst, size, sizeWidth)
}

// appendUintData appends v as a big-endian unsigned integer of width octets,
// or of minimal width (0 octets for 0, as RFC 8794 section 7.2 allows) when
// width is 0.
func appendUintData(dst []byte, v uint64, width int) []byte {
	if width == 0 {
		width = (bits.Len64(v) + 7) / 8
	}
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

// uintLen returns the minimal width of v as an EBML unsigned integer.
func uintLen(v uint64) int {
	return (bits.Len64(v) + 7) / 8
}

// intLen returns the minimal width of v as an EBML signed integer.
func intLen(v int64) int {
	if v == 0 {
		return 0
	}
	for n := 1; n < 8; n++ {
		lim := int64(1) << (8*n - 1)
		if v >= -lim && v < lim {
			return n
		}
	}
	return 8
}
