package mediasource

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

// videoCodec is the video codec of a track, which decides how NAL unit
// headers are read.
type videoCodec uint8

const (
	codecH264 videoCodec = iota + 1
	codecH265
)

func (c videoCodec) String() string {
	if c == codecH265 {
		return "H.265"
	}
	return "H.264"
}

// codecID returns the Matroska CodecID of the codec.
func (c videoCodec) codecID() string {
	if c == codecH265 {
		return producer.CodecH265
	}
	return producer.CodecH264
}

// nalType returns the nal_unit_type of a NAL unit of the codec.
func (c videoCodec) nalType(nal []byte) uint8 {
	if c == codecH265 {
		return parser.H265NALType(nal)
	}
	return parser.H264NALType(nal)
}

// isVCL reports whether the NAL unit carries slice data: H.264 types 1-5,
// H.265 types 0-31.
func (c videoCodec) isVCL(nal []byte) bool {
	t := c.nalType(nal)
	if c == codecH265 {
		return len(nal) > 0 && t < 32
	}
	return t >= 1 && t <= 5
}

// isKey reports whether the NAL unit is a random access point: an H.264
// IDR slice (type 5) or an H.265 IRAP slice (BLA, IDR, CRA: types 16-23).
func (c videoCodec) isKey(nal []byte) bool {
	t := c.nalType(nal)
	if c == codecH265 {
		return len(nal) > 0 && t >= 16 && t <= 23
	}
	return t == parser.H264NALIDR
}

// isParameterSet reports whether the NAL unit is an SPS or PPS (or an
// H.265 VPS).
func (c videoCodec) isParameterSet(nal []byte) bool {
	t := c.nalType(nal)
	if c == codecH265 {
		return len(nal) > 0 && (t == parser.H265NALVPS || t == parser.H265NALSPS || t == parser.H265NALPPS)
	}
	return t == parser.H264NALSPS || t == parser.H264NALPPS
}

// startsAccessUnit reports whether nal begins a new access unit when the
// access unit being built already holds a slice (ITU-T H.264 section
// 7.4.1.2.3, H.265 section 7.4.2.4.4): a delimiter, parameter set, prefix
// SEI or the like, or the first slice of another picture. Arbitrary slice
// order and redundant pictures are not considered; common encoders write
// neither.
func (c videoCodec) startsAccessUnit(nal []byte) bool {
	t := c.nalType(nal)
	if c == codecH265 {
		switch {
		case t < 32: // VCL: first_slice_segment_in_pic_flag, after the 2-octet header
			return len(nal) > 2 && nal[2]&0x80 != 0
		case t >= 32 && t <= 35, t == 39, t >= 41 && t <= 44, t >= 48 && t <= 55:
			return true
		}
		return false
	}
	switch {
	case t >= 1 && t <= 5: // first_mb_in_slice == 0 is a lone '1' bit
		return len(nal) > 1 && nal[1]&0x80 != 0
	case t == 6, t == 7, t == 8, t == 9, t >= 14 && t <= 18:
		return true
	}
	return false
}

// parameterSets collects the parameter sets seen in a stream, so a decoder
// configuration record can be built for raw Annex B input.
type parameterSets struct {
	vps, sps, pps [][]byte
}

// add keeps a copy of nal if it is a parameter set not seen yet.
func (p *parameterSets) add(c videoCodec, nal []byte) {
	var list *[][]byte
	switch t := c.nalType(nal); {
	case c == codecH264 && t == parser.H264NALSPS, c == codecH265 && t == parser.H265NALSPS:
		list = &p.sps
	case c == codecH264 && t == parser.H264NALPPS, c == codecH265 && t == parser.H265NALPPS:
		list = &p.pps
	case c == codecH265 && t == parser.H265NALVPS:
		list = &p.vps
	default:
		return
	}
	for _, have := range *list {
		if bytes.Equal(have, nal) {
			return
		}
	}
	*list = append(*list, bytes.Clone(nal))
}

// decoderConfig builds the AVC/HEVC decoder configuration record that
// Matroska stores as CodecPrivate (4-octet NAL lengths), and reads the
// picture size from the SPS.
func (p *parameterSets) decoderConfig(c videoCodec) (record []byte, width, height int, err error) {
	if len(p.sps) == 0 || len(p.pps) == 0 || (c == codecH265 && len(p.vps) == 0) {
		return nil, 0, 0, fmt.Errorf("%s parameter sets missing before the first key frame: %w", c, ErrMalformed)
	}
	if c == codecH265 {
		record, err = producer.H265CodecPrivate(p.vps, p.sps, p.pps)
	} else {
		record, err = producer.H264CodecPrivate(p.sps, p.pps)
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s decoder configuration: %v: %w", c, err, ErrMalformed)
	}
	width, height = videoSize(c, record)
	return record, width, height, nil
}

// appendNAL appends nal to dst with a 4-octet big-endian length.
func appendNAL(dst, nal []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
	return append(dst, nal...)
}

// toAVCC4 returns frame, a length-prefixed access unit with lengthSize-octet
// lengths, with 4-octet lengths. A frame that already has them is returned
// as is (after checking it parses).
func toAVCC4(frame []byte, lengthSize int) ([]byte, error) {
	if lengthSize == 4 {
		for _, err := range parser.AVCCUnits(frame, 4) {
			if err != nil {
				return nil, fmt.Errorf("%v: %w", err, ErrMalformed)
			}
		}
		return frame, nil
	}
	out := make([]byte, 0, len(frame)+len(frame)/8)
	for nal, err := range parser.AVCCUnits(frame, lengthSize) {
		if err != nil {
			return nil, fmt.Errorf("%v: %w", err, ErrMalformed)
		}
		out = appendNAL(out, nal)
	}
	return out, nil
}

// frameIsKey reports whether an AVCC access unit (4-octet lengths) holds a
// random access picture.
func frameIsKey(c videoCodec, frame []byte) bool {
	for nal, err := range parser.AVCCUnits(frame, 4) {
		if err != nil {
			return false
		}
		if c.isKey(nal) {
			return true
		}
	}
	return false
}

// normaliseDecoderConfig checks a container's AVC/HEVC decoder configuration
// record and returns it with lengthSizeMinusOne = 3, plus the NAL length
// size the container's frames use. An Annex B CodecPrivate (some muxers
// write one) is turned into a record.
func normaliseDecoderConfig(c videoCodec, cp []byte) (record []byte, lengthSize int, err error) {
	if parser.IsAnnexB(cp) {
		var ps parameterSets
		for nal := range parser.AnnexBUnits(cp) {
			ps.add(c, nal)
		}
		rec, _, _, err := ps.decoderConfig(c)
		return rec, 4, err
	}
	record = bytes.Clone(cp)
	if c == codecH265 {
		cfg, err := parser.ParseHEVCDecoderConfig(cp)
		if err != nil {
			return nil, 0, fmt.Errorf("hevc decoder configuration: %v: %w", err, ErrMalformed)
		}
		record[21] |= 3
		return record, cfg.LengthSize, nil
	}
	cfg, err := parser.ParseAVCDecoderConfig(cp)
	if err != nil {
		return nil, 0, fmt.Errorf("avc decoder configuration: %v: %w", err, ErrMalformed)
	}
	record[4] |= 3
	return record, cfg.LengthSize, nil
}

// videoSize returns the picture size stored in a decoder configuration
// record's first SPS, or zeros: a broken SPS only costs the size hint.
func videoSize(c videoCodec, record []byte) (width, height int) {
	if c == codecH265 {
		cfg, err := parser.ParseHEVCDecoderConfig(record)
		if err != nil || len(cfg.SPS) == 0 {
			return 0, 0
		}
		sps, err := producer.ParseH265SPS(cfg.SPS[0])
		if err != nil {
			return 0, 0
		}
		return sps.Width, sps.Height
	}
	cfg, err := parser.ParseAVCDecoderConfig(record)
	if err != nil || len(cfg.SPS) == 0 {
		return 0, 0
	}
	sps, err := producer.ParseH264SPS(cfg.SPS[0])
	if err != nil {
		return 0, 0
	}
	return sps.Width, sps.Height
}
