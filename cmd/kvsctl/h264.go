package main

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// H.264 NAL unit types (ITU-T H.264 table 7-1) that kvsctl looks at.
const (
	nalSlice  = 1
	nalIDR    = 5
	nalSEI    = 6
	nalSPS    = 7
	nalPPS    = 8
	nalAUD    = 9
	nalFiller = 12
	nalPrefix = 14
)

// avccLengthSize is the NAL length field width kvsctl writes: 4 octets, as
// the KVS producer SDK does (lengthSizeMinusOne = 3).
const avccLengthSize = 4

// splitAnnexB returns the NAL units of an H.264 Annex-B byte stream
// (ITU-T H.264 annex B) without their start codes. The trailing zero octets
// before a 4-octet start code are dropped; bytes before the first start code
// are ignored. The NAL units point into b.
func splitAnnexB(b []byte) [][]byte {
	var nals [][]byte
	start := -1 // first octet of the current NAL unit
	i := 0
	for i+2 < len(b) {
		if b[i] != 0 || b[i+1] != 0 || b[i+2] != 1 {
			i++
			continue
		}
		if start >= 0 {
			nals = appendNAL(nals, b[start:i])
		}
		i += 3
		start = i
	}
	if start >= 0 {
		nals = appendNAL(nals, b[start:])
	}
	return nals
}

// appendNAL appends nal without its trailing zero octets (trailing_zero_8bits
// or the leading zero of a 4-octet start code); empty units are dropped.
func appendNAL(nals [][]byte, nal []byte) [][]byte {
	for len(nal) > 0 && nal[len(nal)-1] == 0 {
		nal = nal[:len(nal)-1]
	}
	if len(nal) == 0 {
		return nals
	}
	return append(nals, nal)
}

func nalType(nal []byte) int { return int(nal[0] & 0x1f) }

func isVCL(t int) bool { return t >= nalSlice && t <= nalIDR }

// groupAccessUnits splits a sequence of NAL units into access units after
// ITU-T H.264 section 7.4.1.2.3: a new access unit starts at an access unit
// delimiter, or, once the current unit holds a slice, at an SPS, PPS, SEI or
// prefix NAL unit, or at a slice whose first_mb_in_slice is 0 (a new
// picture; encoders that split pictures into slices number the later slices
// from their first macroblock). Redundant pictures and arbitrary slice order
// are not considered: kvsctl only needs to loop what common encoders write.
func groupAccessUnits(nals [][]byte) [][][]byte {
	var (
		aus    [][][]byte
		cur    [][]byte
		hasVCL bool
	)
	flush := func() {
		if len(cur) > 0 {
			aus = append(aus, cur)
		}
		cur, hasVCL = nil, false
	}
	for _, nal := range nals {
		t := nalType(nal)
		switch {
		case t == nalAUD:
			flush()
		case hasVCL && (t == nalSEI || t == nalSPS || t == nalPPS || t == nalPrefix || (t >= 16 && t <= 18)):
			flush()
		case hasVCL && isVCL(t) && firstMBIsZero(nal):
			flush()
		}
		cur = append(cur, nal)
		if isVCL(t) {
			hasVCL = true
		}
	}
	flush()
	return aus
}

// firstMBIsZero reports whether a slice's first_mb_in_slice, the first
// ue(v) of the slice header, is 0: a single '1' bit.
func firstMBIsZero(nal []byte) bool { return len(nal) > 1 && nal[1]&0x80 != 0 }

// isKeyAccessUnit reports whether the access unit holds an IDR picture.
func isKeyAccessUnit(au [][]byte) bool {
	for _, nal := range au {
		if nalType(nal) == nalIDR {
			return true
		}
	}
	return false
}

// appendAVCC appends the NAL units in AVCC form: each prefixed with its
// length as a 4-octet big-endian integer (ISO/IEC 14496-15 section 5.3.4.2).
func appendAVCC(dst []byte, nals [][]byte) []byte {
	for _, nal := range nals {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
		dst = append(dst, nal...)
	}
	return dst
}

// splitAVCC returns the NAL units of an AVCC frame with length fields of
// lengthSize octets.
func splitAVCC(frame []byte, lengthSize int) ([][]byte, error) {
	var nals [][]byte
	for len(frame) > 0 {
		if len(frame) < lengthSize {
			return nil, errors.New("truncated NAL length")
		}
		var n uint64
		for _, c := range frame[:lengthSize] {
			n = n<<8 | uint64(c)
		}
		frame = frame[lengthSize:]
		if n > uint64(len(frame)) {
			return nil, fmt.Errorf("NAL length %d exceeds the %d octets left", n, len(frame))
		}
		if n > 0 {
			nals = append(nals, frame[:n])
		}
		frame = frame[n:]
	}
	return nals, nil
}

// parseAVCDecoderConfig returns the NAL length size and the first SPS of an
// AVCDecoderConfigurationRecord.
func parseAVCDecoderConfig(b []byte) (lengthSize int, sps []byte, err error) {
	if len(b) < 7 || b[0] != 1 {
		return 0, nil, errors.New("not an AVCDecoderConfigurationRecord")
	}
	lengthSize = int(b[4]&3) + 1
	if b[5]&0x1f == 0 {
		return lengthSize, nil, nil
	}
	n := int(binary.BigEndian.Uint16(b[6:8]))
	if 8+n > len(b) {
		return 0, nil, errors.New("truncated AVCDecoderConfigurationRecord")
	}
	return lengthSize, b[8 : 8+n], nil
}
