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

// spsInfo is what kvsctl needs from a sequence parameter set.
type spsInfo struct {
	Profile, Compat, Level  uint8
	ChromaFormat            uint // chroma_format_idc, 1 (4:2:0) when absent
	BitDepthLuma            uint // bit_depth_luma_minus8
	BitDepthChroma          uint // bit_depth_chroma_minus8
	Width, Height           int  // after frame cropping
	hasChromaFormatAndDepth bool // the SPS carries the high-profile fields
}

// highProfile reports whether the profile's SPS carries chroma_format_idc
// and the bit depths (ITU-T H.264 section 7.3.2.1.1).
func highProfile(p uint8) bool {
	switch p {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

// parseSPS parses an SPS NAL unit (header included) far enough to get the
// profile, chroma format, bit depths and picture size (ITU-T H.264 section
// 7.3.2.1.1).
func parseSPS(nal []byte) (spsInfo, error) {
	var s spsInfo
	if len(nal) < 4 || nalType(nal) != nalSPS {
		return s, errors.New("not an SPS NAL unit")
	}
	s.Profile, s.Compat, s.Level = nal[1], nal[2], nal[3]
	r := newBitReader(unescapeRBSP(nal[4:]))
	r.ue() // seq_parameter_set_id
	s.ChromaFormat = 1
	separateColourPlane := false
	if highProfile(s.Profile) {
		s.hasChromaFormatAndDepth = true
		s.ChromaFormat = r.ue()
		if s.ChromaFormat == 3 {
			separateColourPlane = r.bit() == 1
		}
		s.BitDepthLuma = r.ue()
		s.BitDepthChroma = r.ue()
		r.bit()           // qpprime_y_zero_transform_bypass_flag
		if r.bit() == 1 { // seq_scaling_matrix_present_flag
			lists := 8
			if s.ChromaFormat == 3 {
				lists = 12
			}
			for i := range lists {
				if r.bit() == 1 { // seq_scaling_list_present_flag
					size := 16
					if i >= 6 {
						size = 64
					}
					r.skipScalingList(size)
				}
			}
		}
	}
	r.ue()          // log2_max_frame_num_minus4
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bit() // delta_pic_order_always_zero_flag
		r.se()  // offset_for_non_ref_pic
		r.se()  // offset_for_top_to_bottom_field
		n := r.ue()
		for i := uint(0); i < n && r.err == nil; i++ {
			r.se() // offset_for_ref_frame
		}
	}
	r.ue()  // max_num_ref_frames
	r.bit() // gaps_in_frame_num_value_allowed_flag
	widthMBs := r.ue() + 1
	heightMapUnits := r.ue() + 1
	frameMBsOnly := r.bit()
	if frameMBsOnly == 0 {
		r.bit() // mb_adaptive_frame_field_flag
	}
	r.bit() // direct_8x8_inference_flag
	var cropL, cropR, cropT, cropB uint
	if r.bit() == 1 {
		cropL, cropR, cropT, cropB = r.ue(), r.ue(), r.ue(), r.ue()
	}
	if r.err != nil {
		return s, fmt.Errorf("parse SPS: %w", r.err)
	}
	if s.ChromaFormat > 3 || widthMBs > 1<<16 || heightMapUnits > 1<<16 {
		return s, errors.New("parse SPS: value out of range")
	}
	// Frame cropping units (equations 7-19 to 7-22).
	cropX, cropY := uint(1), 2-frameMBsOnly
	if !separateColourPlane && s.ChromaFormat != 0 {
		subW, subH := uint(2), uint(1)
		if s.ChromaFormat == 3 {
			subW = 1
		}
		if s.ChromaFormat == 1 {
			subH = 2
		}
		cropX, cropY = subW, subH*(2-frameMBsOnly)
	}
	w := int(widthMBs*16) - int(cropX*(cropL+cropR))
	h := int((2-frameMBsOnly)*heightMapUnits*16) - int(cropY*(cropT+cropB))
	if w <= 0 || h <= 0 {
		return s, errors.New("parse SPS: cropping leaves no picture")
	}
	s.Width, s.Height = w, h
	return s, nil
}

// avcDecoderConfig builds the AVCDecoderConfigurationRecord (ISO/IEC
// 14496-15 section 5.3.3.1) that Matroska stores as the CodecPrivate of a
// V_MPEG4/ISO/AVC track, with 4-octet NAL lengths. For the high profiles it
// ends with chroma_format, the bit depths and no SPS extensions, as ffmpeg
// writes it.
func avcDecoderConfig(spss, ppss [][]byte) ([]byte, error) {
	if len(spss) == 0 || len(ppss) == 0 {
		return nil, errors.New("build AVC decoder configuration: need at least one SPS and one PPS")
	}
	if len(spss) > 31 || len(ppss) > 255 {
		return nil, errors.New("build AVC decoder configuration: too many parameter sets")
	}
	info, err := parseSPS(spss[0])
	if err != nil {
		return nil, fmt.Errorf("build AVC decoder configuration: %w", err)
	}
	b := []byte{1, info.Profile, info.Compat, info.Level, 0xfc | (avccLengthSize - 1), 0xe0 | byte(len(spss))}
	for _, sps := range spss {
		if len(sps) > 0xffff {
			return nil, errors.New("build AVC decoder configuration: SPS too large")
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
		b = append(b, sps...)
	}
	b = append(b, byte(len(ppss)))
	for _, pps := range ppss {
		if len(pps) > 0xffff {
			return nil, errors.New("build AVC decoder configuration: PPS too large")
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
		b = append(b, pps...)
	}
	switch info.Profile {
	case 100, 110, 122, 144:
		b = append(b, 0xfc|byte(info.ChromaFormat), 0xf8|byte(info.BitDepthLuma), 0xf8|byte(info.BitDepthChroma), 0)
	}
	return b, nil
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

// unescapeRBSP removes the emulation prevention octets (00 00 03 -> 00 00)
// of a NAL unit payload (ITU-T H.264 section 7.4.1).
func unescapeRBSP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// bitReader reads the bits of an RBSP, most significant first. Reading past
// the end sets err and yields zeros.
type bitReader struct {
	b   []byte
	pos int // in bits
	err error
}

func newBitReader(b []byte) *bitReader { return &bitReader{b: b} }

func (r *bitReader) bit() uint {
	if r.pos >= len(r.b)*8 {
		r.err = errors.New("unexpected end of RBSP")
		return 0
	}
	v := uint(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v
}

// ue reads an unsigned Exp-Golomb code (ITU-T H.264 section 9.1).
func (r *bitReader) ue() uint {
	zeros := 0
	for r.bit() == 0 {
		if r.err != nil || zeros == 31 {
			if r.err == nil {
				r.err = errors.New("Exp-Golomb code too long")
			}
			return 0
		}
		zeros++
	}
	v := uint(1)
	for range zeros {
		v = v<<1 | r.bit()
	}
	return v - 1
}

// se reads a signed Exp-Golomb code (ITU-T H.264 section 9.1.1).
func (r *bitReader) se() int {
	k := r.ue()
	if k&1 == 1 {
		return int(k+1) / 2
	}
	return -int(k / 2)
}

// skipScalingList skips a scaling_list() of size entries (ITU-T H.264
// section 7.3.2.1.1.1).
func (r *bitReader) skipScalingList(size int) {
	last, next := 8, 8
	for range size {
		if next != 0 {
			delta := r.se()
			next = (last + delta + 256) % 256
		}
		if next != 0 {
			last = next
		}
		if r.err != nil {
			return
		}
	}
}
