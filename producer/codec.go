package producer

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/openkvs/openkvs/parser"
)

// avccLengthSize is the NAL length field width the library writes: 4
// octets, as the KVS producer SDK does (lengthSizeMinusOne = 3).
const avccLengthSize = 4

// H264SPS is what the library reads from an H.264 sequence parameter set
// (ITU-T H.264 section 7.3.2.1.1).
type H264SPS struct {
	// Profile, Compatibility and Level are profile_idc, the constraint flags
	// octet and level_idc.
	Profile, Compatibility, Level uint8
	// ChromaFormat is chroma_format_idc (1, 4:2:0, when the SPS has none).
	ChromaFormat uint8
	// BitDepthLuma and BitDepthChroma are the sample bit depths (8 when
	// the SPS has none).
	BitDepthLuma, BitDepthChroma uint8
	// Width and Height are the picture size after frame cropping.
	Width, Height int
}

// ParseH264SPS parses an SPS NAL unit (its one-octet header included, no
// start code) far enough to get the profile, chroma format, bit depths and
// cropped picture size.
func ParseH264SPS(nal []byte) (H264SPS, error) {
	var s H264SPS
	if len(nal) < 4 || parser.H264NALType(nal) != parser.H264NALSPS {
		return s, fmt.Errorf("parse h264 sps: not an SPS NAL unit: %w", ErrInvalidCodecData)
	}
	s.Profile, s.Compatibility, s.Level = nal[1], nal[2], nal[3]
	r := newBitReader(unescapeRBSP(nal[4:]))
	r.ue() // seq_parameter_set_id
	chroma, depthL, depthC := uint(1), uint(0), uint(0)
	separatePlanes := false
	if h264HighProfile(s.Profile) {
		chroma = r.ue()
		if chroma == 3 {
			separatePlanes = r.bit() == 1
		}
		depthL, depthC = r.ue(), r.ue()
		r.bit()           // qpprime_y_zero_transform_bypass_flag
		if r.bit() == 1 { // seq_scaling_matrix_present_flag
			lists := 8
			if chroma == 3 {
				lists = 12
			}
			for i := range lists {
				if r.bit() == 1 {
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
		r.bit()
		r.se()
		r.se()
		n := r.ue()
		for i := uint(0); i < n && r.err == nil; i++ {
			r.se()
		}
	}
	r.ue()  // max_num_ref_frames
	r.bit() // gaps_in_frame_num_value_allowed_flag
	widthMBs := r.ue() + 1
	heightUnits := r.ue() + 1
	frameMBsOnly := r.bit()
	if frameMBsOnly == 0 {
		r.bit() // mb_adaptive_frame_field_flag
	}
	r.bit() // direct_8x8_inference_flag
	var cl, cr, ct, cb uint
	if r.bit() == 1 {
		cl, cr, ct, cb = r.ue(), r.ue(), r.ue(), r.ue()
	}
	if r.err != nil {
		return s, fmt.Errorf("parse h264 sps: %w: %w", r.err, ErrInvalidCodecData)
	}
	if chroma > 3 || depthL > 6 || depthC > 6 || widthMBs > 1<<14 || heightUnits > 1<<14 {
		return s, fmt.Errorf("parse h264 sps: value out of range: %w", ErrInvalidCodecData)
	}
	// Cropping units, equations 7-19 to 7-22.
	cropX, cropY := uint(1), 2-frameMBsOnly
	if !separatePlanes && chroma != 0 {
		subW, subH := uint(2), uint(1)
		if chroma == 3 {
			subW = 1
		}
		if chroma == 1 {
			subH = 2
		}
		cropX, cropY = subW, subH*(2-frameMBsOnly)
	}
	w := int(widthMBs*16) - int(cropX*(cl+cr))
	h := int((2-frameMBsOnly)*heightUnits*16) - int(cropY*(ct+cb))
	if w <= 0 || h <= 0 {
		return s, fmt.Errorf("parse h264 sps: cropping leaves no picture: %w", ErrInvalidCodecData)
	}
	s.ChromaFormat, s.BitDepthLuma, s.BitDepthChroma = uint8(chroma), uint8(depthL+8), uint8(depthC+8)
	s.Width, s.Height = w, h
	return s, nil
}

// h264HighProfile reports whether an SPS of the profile carries
// chroma_format_idc and the bit depths (ITU-T H.264 section 7.3.2.1.1).
func h264HighProfile(p uint8) bool {
	switch p {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

// H264CodecPrivate builds the AVCDecoderConfigurationRecord (ISO/IEC
// 14496-15 section 5.3.3.1) that Matroska stores as the CodecPrivate of a
// V_MPEG4/ISO/AVC track, with 4-octet NAL lengths, from SPS and PPS NAL
// units (headers included, no start codes). For the High profiles it ends
// with chroma_format, the bit depths and no SPS extensions, as ffmpeg
// writes it.
func H264CodecPrivate(sps, pps [][]byte) ([]byte, error) {
	if len(sps) == 0 || len(pps) == 0 {
		return nil, fmt.Errorf("build avc decoder configuration: need an SPS and a PPS: %w", ErrInvalidCodecData)
	}
	if len(sps) > 31 || len(pps) > 255 {
		return nil, fmt.Errorf("build avc decoder configuration: too many parameter sets: %w", ErrInvalidCodecData)
	}
	info, err := ParseH264SPS(sps[0])
	if err != nil {
		return nil, fmt.Errorf("build avc decoder configuration: %w", err)
	}
	b := []byte{1, info.Profile, info.Compatibility, info.Level, 0xfc | (avccLengthSize - 1), 0xe0 | byte(len(sps))}
	b, err = appendParameterSets(b, sps)
	if err != nil {
		return nil, err
	}
	b = append(b, byte(len(pps)))
	if b, err = appendParameterSets(b, pps); err != nil {
		return nil, err
	}
	// ISO/IEC 14496-15 5.3.3.1.1: profiles 100, 110, 122 and 144 carry the
	// chroma and bit depth fields; 244 (High 4:4:4) replaced 144.
	switch info.Profile {
	case 100, 110, 122, 144, 244:
		b = append(b, 0xfc|info.ChromaFormat, 0xf8|(info.BitDepthLuma-8), 0xf8|(info.BitDepthChroma-8), 0)
	}
	return b, nil
}

func appendParameterSets(b []byte, sets [][]byte) ([]byte, error) {
	for _, ps := range sets {
		if len(ps) == 0 || len(ps) > 0xffff {
			return nil, fmt.Errorf("parameter set of %d octets: %w", len(ps), ErrInvalidCodecData)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(ps)))
		b = append(b, ps...)
	}
	return b, nil
}

// H265SPS is what the library reads from an H.265 sequence parameter set
// (ITU-T H.265 section 7.3.2.2).
type H265SPS struct {
	// MaxSubLayers is sps_max_sub_layers_minus1 + 1.
	MaxSubLayers uint8
	// TemporalIDNesting is sps_temporal_id_nesting_flag.
	TemporalIDNesting bool
	// ProfileSpace, Tier, ProfileIDC, CompatibilityFlags, ConstraintFlags
	// (48 bits) and LevelIDC are the general profile_tier_level fields.
	ProfileSpace, Tier, ProfileIDC uint8
	CompatibilityFlags             uint32
	ConstraintFlags                uint64
	LevelIDC                       uint8
	// ChromaFormat is chroma_format_idc; BitDepthLuma and BitDepthChroma
	// are the sample bit depths.
	ChromaFormat                 uint8
	BitDepthLuma, BitDepthChroma uint8
	// Width and Height are the picture size after the conformance window.
	Width, Height int
}

// ParseH265SPS parses an H.265 SPS NAL unit (its two-octet header
// included, no start code) far enough to build an
// HEVCDecoderConfigurationRecord and to get the picture size.
func ParseH265SPS(nal []byte) (H265SPS, error) {
	var s H265SPS
	if len(nal) < 3 || parser.H265NALType(nal) != parser.H265NALSPS {
		return s, fmt.Errorf("parse h265 sps: not an SPS NAL unit: %w", ErrInvalidCodecData)
	}
	r := newBitReader(unescapeRBSP(nal[2:]))
	r.bits(4) // sps_video_parameter_set_id
	maxSub := uint8(r.bits(3)) + 1
	s.MaxSubLayers = maxSub
	s.TemporalIDNesting = r.bit() == 1
	// profile_tier_level(1, sps_max_sub_layers_minus1), section 7.3.3.
	s.ProfileSpace = uint8(r.bits(2))
	s.Tier = uint8(r.bit())
	s.ProfileIDC = uint8(r.bits(5))
	s.CompatibilityFlags = uint32(r.bits(32))
	s.ConstraintFlags = uint64(r.bits(32))<<16 | uint64(r.bits(16))
	s.LevelIDC = uint8(r.bits(8))
	profilePresent := make([]bool, maxSub)
	levelPresent := make([]bool, maxSub)
	for i := 0; i < int(maxSub)-1; i++ {
		profilePresent[i] = r.bit() == 1
		levelPresent[i] = r.bit() == 1
	}
	if maxSub > 1 {
		for i := maxSub - 1; i < 8; i++ {
			r.bits(2) // reserved_zero_2bits
		}
	}
	for i := 0; i < int(maxSub)-1; i++ {
		if profilePresent[i] {
			r.bits(32)
			r.bits(32)
			r.bits(24) // 88 bits of sub-layer profile
		}
		if levelPresent[i] {
			r.bits(8)
		}
	}
	r.ue() // sps_seq_parameter_set_id
	chroma := r.ue()
	if chroma == 3 {
		r.bit() // separate_colour_plane_flag
	}
	width, height := r.ue(), r.ue()
	var cl, cr, ct, cb uint
	if r.bit() == 1 { // conformance_window_flag
		cl, cr, ct, cb = r.ue(), r.ue(), r.ue(), r.ue()
	}
	depthL, depthC := r.ue(), r.ue()
	if r.err != nil {
		return s, fmt.Errorf("parse h265 sps: %w: %w", r.err, ErrInvalidCodecData)
	}
	if chroma > 3 || depthL > 8 || depthC > 8 || width == 0 || height == 0 || width > 1<<16 || height > 1<<16 {
		return s, fmt.Errorf("parse h265 sps: value out of range: %w", ErrInvalidCodecData)
	}
	subW, subH := uint(1), uint(1)
	if chroma == 1 || chroma == 2 {
		subW = 2
	}
	if chroma == 1 {
		subH = 2
	}
	w := int(width) - int(subW*(cl+cr))
	h := int(height) - int(subH*(ct+cb))
	if w <= 0 || h <= 0 {
		return s, fmt.Errorf("parse h265 sps: conformance window leaves no picture: %w", ErrInvalidCodecData)
	}
	s.ChromaFormat, s.BitDepthLuma, s.BitDepthChroma = uint8(chroma), uint8(depthL+8), uint8(depthC+8)
	s.Width, s.Height = w, h
	return s, nil
}

// H265CodecPrivate builds the HEVCDecoderConfigurationRecord (ISO/IEC
// 14496-15 section 8.3.3.1) that Matroska stores as the CodecPrivate of a
// V_MPEGH/ISO/HEVC track, with 4-octet NAL lengths, from VPS, SPS and PPS
// NAL units (headers included, no start codes).
func H265CodecPrivate(vps, sps, pps [][]byte) ([]byte, error) {
	if len(vps) == 0 || len(sps) == 0 || len(pps) == 0 {
		return nil, fmt.Errorf("build hevc decoder configuration: need a VPS, an SPS and a PPS: %w", ErrInvalidCodecData)
	}
	info, err := ParseH265SPS(sps[0])
	if err != nil {
		return nil, fmt.Errorf("build hevc decoder configuration: %w", err)
	}
	b := []byte{1, info.ProfileSpace<<6 | info.Tier<<5 | info.ProfileIDC}
	b = binary.BigEndian.AppendUint32(b, info.CompatibilityFlags)
	b = append(b, byte(info.ConstraintFlags>>40), byte(info.ConstraintFlags>>32), byte(info.ConstraintFlags>>24),
		byte(info.ConstraintFlags>>16), byte(info.ConstraintFlags>>8), byte(info.ConstraintFlags))
	b = append(b, info.LevelIDC,
		0xf0, 0x00, // reserved, min_spatial_segmentation_idc 0
		0xfc,                   // reserved, parallelismType 0 (unknown)
		0xfc|info.ChromaFormat, // reserved, chroma_format_idc
		0xf8|(info.BitDepthLuma-8), 0xf8|(info.BitDepthChroma-8),
		0, 0) // avgFrameRate unknown
	nesting := byte(0)
	if info.TemporalIDNesting {
		nesting = 1
	}
	// constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne.
	b = append(b, info.MaxSubLayers<<3|nesting<<2|(avccLengthSize-1))
	b = append(b, 3) // numOfArrays
	for _, arr := range []struct {
		typ  uint8
		nals [][]byte
	}{{parser.H265NALVPS, vps}, {parser.H265NALSPS, sps}, {parser.H265NALPPS, pps}} {
		b = append(b, 0x80|arr.typ) // array_completeness 1
		b = binary.BigEndian.AppendUint16(b, uint16(len(arr.nals)))
		if b, err = appendParameterSets(b, arr.nals); err != nil {
			return nil, err
		}
	}
	return b, nil
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

var errRBSPEnd = errors.New("unexpected end of RBSP")

// bitReader reads the bits of an RBSP, most significant first. Reading past
// the end sets err and yields zeros.
type bitReader struct {
	b   []byte
	pos int
	err error
}

func newBitReader(b []byte) *bitReader { return &bitReader{b: b} }

func (r *bitReader) bit() uint {
	if r.pos >= len(r.b)*8 {
		r.err = errRBSPEnd
		return 0
	}
	v := uint(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v
}

func (r *bitReader) bits(n int) uint64 {
	var v uint64
	for range n {
		v = v<<1 | uint64(r.bit())
	}
	return v
}

// ue reads an unsigned Exp-Golomb code (ITU-T H.264 section 9.1).
func (r *bitReader) ue() uint {
	zeros := 0
	for r.bit() == 0 {
		if r.err != nil || zeros == 31 {
			if r.err == nil {
				r.err = errors.New("exp-golomb code too long")
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
			next = (last + r.se() + 256) % 256
		}
		if next != 0 {
			last = next
		}
		if r.err != nil {
			return
		}
	}
}
