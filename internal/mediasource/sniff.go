package mediasource

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// containerKind is what sniffing or a file extension says a source holds.
type containerKind uint8

const (
	kindUnknown containerKind = iota
	kindMP4
	kindMatroska
	kindH264
	kindH265
)

// sniffSize is how many octets sniffing looks at: enough for an ISO BMFF
// box header, the EBML magic, or leading zeros plus the first NAL header.
const sniffSize = 512

// ebmlMagic is the ID of the EBML header element (RFC 8794 section 11.2.1).
var ebmlMagic = []byte{0x1a, 0x45, 0xdf, 0xa3}

// sniff classifies the first octets of a pipe. It returns a reader that
// still yields them.
func sniff(r io.Reader) (*bufio.Reader, containerKind, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, kindUnknown, err
	}
	return br, classify(head), nil
}

// classify recognises a container from its first octets.
func classify(head []byte) containerKind {
	switch {
	case bytes.HasPrefix(head, ebmlMagic):
		return kindMatroska
	case isBMFF(head):
		return kindMP4
	}
	return classifyAnnexB(head)
}

// isBMFF reports whether head starts with an ISO BMFF box that begins MP4,
// MOV or fragmented MP4 files (ISO/IEC 14496-12 section 4.2).
func isBMFF(head []byte) bool {
	if len(head) < 8 {
		return false
	}
	switch string(head[4:8]) {
	case "ftyp", "styp", "moov", "moof", "mdat", "free", "skip", "wide", "pnot":
		return true
	}
	return false
}

// classifyAnnexB tells H.264 from H.265 by the header of the first NAL unit
// after leading zeros and a start code. The H.265 test goes first and asks
// for the two-octet header of a parameter set, delimiter, prefix SEI or
// IRAP slice with nuh_layer_id 0 and TemporalId 0; the one-octet H.264
// header those octets would form is either a type no stream starts with or
// an SEI with nal_ref_idc > 0, which H.264 forbids.
func classifyAnnexB(head []byte) containerKind {
	i := 0
	for i < len(head) && head[i] == 0 {
		i++
	}
	if i < 2 || i+2 >= len(head) || head[i] != 1 {
		return kindUnknown
	}
	nal := head[i+1:]
	if nal[0]&0x80 != 0 {
		return kindUnknown
	}
	switch t := (nal[0] >> 1) & 0x3f; {
	case nal[1] == 0x01 && (t >= 32 && t <= 35 || t == 39 || t >= 16 && t <= 21):
		return kindH265
	}
	switch t := nal[0] & 0x1f; t {
	case 1, 5, 7, 8, 9:
		return kindH264
	case 6:
		if nal[0]&0x60 == 0 {
			return kindH264
		}
	}
	return kindUnknown
}
