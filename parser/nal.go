package parser

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"iter"
	"strings"

	"github.com/openkvs/openkvs/mkv"
)

// Matroska codec IDs of the video codecs the NAL helpers understand (RFC
// 9559 codec mappings; "V_MPEG4/ISO/AVC" is H.264, "V_MPEGH/ISO/HEVC" H.265).
const (
	// CodecH264 is the CodecID of H.264 (AVC) tracks.
	CodecH264 = "V_MPEG4/ISO/AVC"
	// CodecH265 is the CodecID of H.265 (HEVC) tracks.
	CodecH265 = "V_MPEGH/ISO/HEVC"
)

// NAL unit types used by the helpers (ITU-T H.264 table 7-1, H.265 table
// 7-1).
const (
	// H264NALIDR is an H.264 IDR slice.
	H264NALIDR = 5
	// H264NALSEI is H.264 supplemental enhancement information.
	H264NALSEI = 6
	// H264NALSPS is an H.264 sequence parameter set.
	H264NALSPS = 7
	// H264NALPPS is an H.264 picture parameter set.
	H264NALPPS = 8
	// H264NALAUD is an H.264 access unit delimiter.
	H264NALAUD = 9
	// H265NALVPS is an H.265 video parameter set.
	H265NALVPS = 32
	// H265NALSPS is an H.265 sequence parameter set.
	H265NALSPS = 33
	// H265NALPPS is an H.265 picture parameter set.
	H265NALPPS = 34
	// H265NALAUD is an H.265 access unit delimiter.
	H265NALAUD = 35
	// H265NALPrefixSEI is an H.265 prefix SEI message.
	H265NALPrefixSEI = 39
	// H265NALSuffixSEI is an H.265 suffix SEI message.
	H265NALSuffixSEI = 40
)

// H264NALType returns the nal_unit_type of an H.264 NAL unit (the low 5 bits
// of its first octet), or 0 for an empty unit.
func H264NALType(nal []byte) uint8 {
	if len(nal) == 0 {
		return 0
	}
	return nal[0] & 0x1f
}

// H265NALType returns the nal_unit_type of an H.265 NAL unit (bits 1-6 of its
// first octet), or 0 for an empty unit.
func H265NALType(nal []byte) uint8 {
	if len(nal) == 0 {
		return 0
	}
	return (nal[0] >> 1) & 0x3f
}

// startCode is the 4-octet Annex B start code the helpers write.
var startCode = []byte{0, 0, 0, 1}

// AVCCUnits yields the NAL units of a frame in the length-prefixed format of
// ISO/IEC 14496-15 (AVCC/HVCC, as Matroska stores H.264 and H.265), where
// each unit is preceded by its length in lengthSize octets (1 to 4). The
// units alias src. A malformed frame yields a final (nil, error).
func AVCCUnits(src []byte, lengthSize int) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		if lengthSize < 1 || lengthSize > 4 {
			yield(nil, fmt.Errorf("nal length size %d: %w", lengthSize, ErrInvalidNAL))
			return
		}
		for off := 0; off < len(src); {
			if len(src)-off < lengthSize {
				yield(nil, fmt.Errorf("nal length at offset %d: %w", off, ErrInvalidNAL))
				return
			}
			n := 0
			for _, b := range src[off : off+lengthSize] {
				n = n<<8 | int(b)
			}
			off += lengthSize
			if n > len(src)-off {
				yield(nil, fmt.Errorf("nal unit of %d octets at offset %d, %d left: %w", n, off, len(src)-off, ErrInvalidNAL))
				return
			}
			if !yield(src[off:off+n:off+n], nil) {
				return
			}
			off += n
		}
	}
}

// AnnexBUnits yields the NAL units of an Annex B byte stream (ITU-T H.264
// Annex B): units separated by 00 00 01 or 00 00 00 01 start codes. Octets
// before the first start code and the trailing zero octets of each unit are
// dropped. The units alias src.
func AnnexBUnits(src []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		i := bytes.Index(src, startCode[1:])
		if i < 0 {
			return
		}
		pos := i + 3
		for pos <= len(src) {
			next := bytes.Index(src[pos:], startCode[1:])
			end, after := len(src), len(src)+1
			if next >= 0 {
				end, after = pos+next, pos+next+3
			}
			nal := src[pos:end]
			for len(nal) > 0 && nal[len(nal)-1] == 0 {
				nal = nal[:len(nal)-1]
			}
			if len(nal) > 0 && !yield(nal[:len(nal):len(nal)]) {
				return
			}
			pos = after
		}
	}
}

// IsAnnexB reports whether b starts with an Annex B start code.
func IsAnnexB(b []byte) bool {
	return bytes.HasPrefix(b, startCode) || bytes.HasPrefix(b, startCode[1:])
}

// AVCCToAnnexB appends src, a length-prefixed frame, to dst in Annex B form:
// each NAL unit preceded by 00 00 00 01.
func AVCCToAnnexB(dst, src []byte, lengthSize int) ([]byte, error) {
	for nal, err := range AVCCUnits(src, lengthSize) {
		if err != nil {
			return dst, err
		}
		dst = append(dst, startCode...)
		dst = append(dst, nal...)
	}
	return dst, nil
}

// AnnexBToAVCC appends src, an Annex B frame, to dst in length-prefixed form
// with lengthSize-octet (1 to 4) lengths, as Matroska stores H.264/H.265.
func AnnexBToAVCC(dst, src []byte, lengthSize int) ([]byte, error) {
	if lengthSize < 1 || lengthSize > 4 {
		return dst, fmt.Errorf("nal length size %d: %w", lengthSize, ErrInvalidNAL)
	}
	zeros := len(src) - len(bytes.TrimLeft(src, "\x00"))
	if len(src) > 0 && (zeros < 2 || zeros == len(src) || src[zeros] != 1) {
		return dst, fmt.Errorf("annex b frame without start code: %w", ErrInvalidNAL)
	}
	for nal := range AnnexBUnits(src) {
		if uint64(len(nal)) >= 1<<(8*lengthSize) {
			return dst, fmt.Errorf("nal unit of %d octets in %d-octet length: %w", len(nal), lengthSize, ErrInvalidNAL)
		}
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(nal)))
		dst = append(dst, l[4-lengthSize:]...)
		dst = append(dst, nal...)
	}
	return dst, nil
}

// appendAnnexB appends each unit with a start code.
func appendAnnexB(dst []byte, units ...[][]byte) []byte {
	for _, list := range units {
		for _, nal := range list {
			dst = append(dst, startCode...)
			dst = append(dst, nal...)
		}
	}
	return dst
}

// AVCDecoderConfig is an AVCDecoderConfigurationRecord (ISO/IEC 14496-15
// section 5.3.3.1), the CodecPrivate of "V_MPEG4/ISO/AVC" tracks.
type AVCDecoderConfig struct {
	// Profile is AVCProfileIndication (profile_idc), e.g. 100 for High.
	Profile uint8
	// ProfileCompatibility is profile_compatibility (constraint flags).
	ProfileCompatibility uint8
	// Level is AVCLevelIndication (level_idc), e.g. 31 for 3.1.
	Level uint8
	// LengthSize is the size of the NAL unit lengths in the frames (1, 2 or
	// 4).
	LengthSize int
	// SPS are the sequence parameter sets.
	SPS [][]byte
	// PPS are the picture parameter sets.
	PPS [][]byte
	// SPSExt are the sequence parameter set extensions of High profiles.
	SPSExt [][]byte
}

// ParseAVCDecoderConfig decodes an AVCDecoderConfigurationRecord. A codec
// private that is itself an Annex B stream of SPS and PPS units (as some
// producers send) is accepted too, with LengthSize 4. The parameter sets
// alias b.
func ParseAVCDecoderConfig(b []byte) (*AVCDecoderConfig, error) {
	if IsAnnexB(b) {
		c := &AVCDecoderConfig{LengthSize: 4}
		for nal := range AnnexBUnits(b) {
			switch H264NALType(nal) {
			case H264NALSPS:
				c.SPS = append(c.SPS, nal)
				if len(nal) >= 4 && c.Profile == 0 {
					c.Profile, c.ProfileCompatibility, c.Level = nal[1], nal[2], nal[3]
				}
			case H264NALPPS:
				c.PPS = append(c.PPS, nal)
			}
		}
		if len(c.SPS) == 0 {
			return nil, fmt.Errorf("parse avc config: annex b without sps: %w", ErrInvalidNAL)
		}
		return c, nil
	}
	if len(b) < 7 || b[0] != 1 {
		return nil, fmt.Errorf("parse avc config: %d octets: %w", len(b), ErrInvalidNAL)
	}
	c := &AVCDecoderConfig{
		Profile:              b[1],
		ProfileCompatibility: b[2],
		Level:                b[3],
		LengthSize:           int(b[4]&3) + 1,
	}
	p := &byteReader{b: b, off: 5}
	var err error
	if c.SPS, err = p.units(int(p.u8() & 0x1f)); err != nil {
		return nil, fmt.Errorf("parse avc config sps: %w", err)
	}
	if c.PPS, err = p.units(int(p.u8())); err != nil {
		return nil, fmt.Errorf("parse avc config pps: %w", err)
	}
	if p.err != nil {
		return nil, fmt.Errorf("parse avc config: %w", p.err)
	}
	switch c.Profile {
	case 100, 110, 122, 144:
		// Optional high-profile tail: chroma format, bit depths, SPS
		// extensions. Some writers leave it out.
		if len(b)-p.off >= 4 {
			p.off += 3
			if ext, err := p.units(int(p.u8())); err == nil && p.err == nil {
				c.SPSExt = ext
			}
		}
	}
	return c, nil
}

// AppendAnnexB appends the SPS and PPS (and SPS extensions) to dst as an
// Annex B stream, ready to be fed to a decoder before the first frame.
func (c *AVCDecoderConfig) AppendAnnexB(dst []byte) []byte {
	return appendAnnexB(dst, c.SPS, c.SPSExt, c.PPS)
}

// HEVCDecoderConfig is an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15
// section 8.3.3.1), the CodecPrivate of "V_MPEGH/ISO/HEVC" tracks.
type HEVCDecoderConfig struct {
	// ProfileSpace, Tier and ProfileIDC are general_profile_space,
	// general_tier_flag and general_profile_idc (1 is Main).
	ProfileSpace, Tier, ProfileIDC uint8
	// LevelIDC is general_level_idc (level times 30, e.g. 93 for 3.1).
	LevelIDC uint8
	// ChromaFormat is chroma_format_idc (1 is 4:2:0).
	ChromaFormat uint8
	// BitDepthLuma and BitDepthChroma are the sample bit depths.
	BitDepthLuma, BitDepthChroma uint8
	// LengthSize is the size of the NAL unit lengths in the frames (1, 2 or
	// 4).
	LengthSize int
	// VPS, SPS and PPS are the parameter sets.
	VPS, SPS, PPS [][]byte
	// SEI are the prefix and suffix SEI units of the record.
	SEI [][]byte
}

// ParseHEVCDecoderConfig decodes an HEVCDecoderConfigurationRecord. An Annex
// B stream of VPS, SPS and PPS units is accepted too, with LengthSize 4. The
// parameter sets alias b.
func ParseHEVCDecoderConfig(b []byte) (*HEVCDecoderConfig, error) {
	c := &HEVCDecoderConfig{}
	add := func(nal []byte) {
		switch H265NALType(nal) {
		case H265NALVPS:
			c.VPS = append(c.VPS, nal)
		case H265NALSPS:
			c.SPS = append(c.SPS, nal)
		case H265NALPPS:
			c.PPS = append(c.PPS, nal)
		case H265NALPrefixSEI, H265NALSuffixSEI:
			c.SEI = append(c.SEI, nal)
		}
	}
	if IsAnnexB(b) {
		c.LengthSize = 4
		for nal := range AnnexBUnits(b) {
			add(nal)
		}
		if len(c.SPS) == 0 {
			return nil, fmt.Errorf("parse hevc config: annex b without sps: %w", ErrInvalidNAL)
		}
		return c, nil
	}
	if len(b) < 23 || b[0] != 1 {
		return nil, fmt.Errorf("parse hevc config: %d octets: %w", len(b), ErrInvalidNAL)
	}
	c.ProfileSpace, c.Tier, c.ProfileIDC = b[1]>>6, (b[1]>>5)&1, b[1]&0x1f
	c.LevelIDC = b[12]
	c.ChromaFormat = b[16] & 3
	c.BitDepthLuma, c.BitDepthChroma = b[17]&7+8, b[18]&7+8
	c.LengthSize = int(b[21]&3) + 1
	p := &byteReader{b: b, off: 22}
	arrays := int(p.u8())
	for i := 0; i < arrays && p.err == nil; i++ {
		p.u8() // array_completeness, reserved, NAL_unit_type: each unit says its type
		units, err := p.units(int(p.u16()))
		if err != nil {
			return nil, fmt.Errorf("parse hevc config array %d: %w", i, err)
		}
		for _, nal := range units {
			add(nal)
		}
	}
	if p.err != nil {
		return nil, fmt.Errorf("parse hevc config: %w", p.err)
	}
	return c, nil
}

// AppendAnnexB appends the VPS, SPS, PPS and SEI units to dst as an Annex B
// stream, ready to be fed to a decoder before the first frame.
func (c *HEVCDecoderConfig) AppendAnnexB(dst []byte) []byte {
	return appendAnnexB(dst, c.VPS, c.SPS, c.PPS, c.SEI)
}

// byteReader reads big-endian fields of a codec private record.
type byteReader struct {
	b   []byte
	off int
	err error
}

func (p *byteReader) u8() uint8 {
	if p.err != nil || p.off >= len(p.b) {
		p.err = fmt.Errorf("record ends at offset %d: %w", p.off, ErrInvalidNAL)
		return 0
	}
	p.off++
	return p.b[p.off-1]
}

func (p *byteReader) u16() int {
	return int(p.u8())<<8 | int(p.u8())
}

// units reads n units, each with a 16-bit length.
func (p *byteReader) units(n int) ([][]byte, error) {
	var out [][]byte
	for range n {
		l := p.u16()
		if p.err != nil {
			return nil, p.err
		}
		if l > len(p.b)-p.off {
			return nil, fmt.Errorf("unit of %d octets at offset %d: %w", l, p.off, ErrInvalidNAL)
		}
		out = append(out, p.b[p.off:p.off+l:p.off+l])
		p.off += l
	}
	return out, nil
}

// AnnexBConverter turns the frames of one H.264 or H.265 track into an
// Annex B elementary stream that a decoder (or ffmpeg -f h264/hevc) accepts,
// the Go counterpart of the Java library's H264FrameDecoder input handling:
// NAL lengths become start codes, and the parameter sets from the track's
// CodecPrivate are put before every key frame. Frames that already are
// Annex B are passed through.
type AnnexBConverter struct {
	hevc       bool
	lengthSize int
	params     []byte
}

// NewAnnexBConverter returns a converter for an H.264 (CodecH264) or H.265
// (CodecH265) track, using its CodecPrivate.
func NewAnnexBConverter(t mkv.TrackEntry) (*AnnexBConverter, error) {
	c := &AnnexBConverter{}
	switch {
	case strings.HasPrefix(t.CodecID, CodecH264):
		cfg, err := ParseAVCDecoderConfig(t.CodecPrivate)
		if err != nil {
			return nil, fmt.Errorf("track %d: %w", t.Number, err)
		}
		c.lengthSize, c.params = cfg.LengthSize, cfg.AppendAnnexB(nil)
	case strings.HasPrefix(t.CodecID, CodecH265):
		cfg, err := ParseHEVCDecoderConfig(t.CodecPrivate)
		if err != nil {
			return nil, fmt.Errorf("track %d: %w", t.Number, err)
		}
		c.hevc, c.lengthSize, c.params = true, cfg.LengthSize, cfg.AppendAnnexB(nil)
	default:
		return nil, fmt.Errorf("track %d: codec %q is not h.264 or h.265: %w", t.Number, t.CodecID, ErrInvalidNAL)
	}
	return c, nil
}

// ParameterSets returns the track's parameter sets as Annex B.
func (c *AnnexBConverter) ParameterSets() []byte { return c.params }

// Append appends one frame to dst as Annex B, preceded by the parameter sets
// if the frame is a key frame that does not carry its own. It does not
// allocate when dst has room.
func (c *AnnexBConverter) Append(dst []byte, f *Frame) ([]byte, error) {
	data := f.Data
	if !c.validAVCC(data) && IsAnnexB(data) {
		if f.Keyframe && !c.hasParams(AnnexBUnits(data)) {
			dst = append(dst, c.params...)
		}
		return append(dst, data...), nil
	}
	if f.Keyframe && !c.hasParamsAVCC(data) {
		dst = append(dst, c.params...)
	}
	return AVCCToAnnexB(dst, data, c.lengthSize)
}

// validAVCC reports whether data parses as length-prefixed units.
func (c *AnnexBConverter) validAVCC(data []byte) bool {
	for _, err := range AVCCUnits(data, c.lengthSize) {
		if err != nil {
			return false
		}
	}
	return len(data) > 0
}

// isSPS reports whether nal is a sequence parameter set of the codec.
func (c *AnnexBConverter) isSPS(nal []byte) bool {
	if c.hevc {
		return H265NALType(nal) == H265NALSPS
	}
	return H264NALType(nal) == H264NALSPS
}

func (c *AnnexBConverter) hasParams(units iter.Seq[[]byte]) bool {
	for nal := range units {
		if c.isSPS(nal) {
			return true
		}
	}
	return false
}

func (c *AnnexBConverter) hasParamsAVCC(data []byte) bool {
	for nal, err := range AVCCUnits(data, c.lengthSize) {
		if err == nil && c.isSPS(nal) {
			return true
		}
	}
	return false
}
