package producer

import (
	"bytes"
	"fmt"
	"iter"

	"github.com/openkvs/openkvs/parser"
)

// NALAdaptation says how H.264 and H.265 data is converted between the
// Annex B byte-stream format (NAL units after 00 00 01 start codes, what
// most encoders write) and the AVCC format (NAL units after 4-octet
// lengths, what Matroska and the KVS players expect): the Go form of the
// producer SDK's NAL_ADAPTATION_* flags. Tracks of other codecs are never
// adapted.
//
// The zero value is the SDK default, NALAdaptAnnexBFrames |
// NALAdaptAnnexBCodecPrivate. The library does not guess the format of a
// frame: an AVCC frame whose first NAL unit is 256 to 511 octets long
// starts with 00 00 01, exactly like Annex B.
type NALAdaptation uint8

// NAL adaptation flags.
const (
	// NALAdaptAnnexBFrames converts Annex B frames to AVCC
	// (NAL_ADAPTATION_ANNEXB_NALS).
	NALAdaptAnnexBFrames NALAdaptation = 1 << iota
	// NALAdaptAVCCFrames converts AVCC frames to Annex B
	// (NAL_ADAPTATION_AVCC_NALS); it excludes NALAdaptAnnexBFrames.
	NALAdaptAVCCFrames
	// NALAdaptAnnexBCodecPrivate converts Annex B parameter sets given as
	// Track.CodecPrivate to a decoder configuration record
	// (NAL_ADAPTATION_ANNEXB_CPD_NALS).
	NALAdaptAnnexBCodecPrivate
	// NALAdaptNone sends frames and codec private data as given
	// (NAL_ADAPTATION_FLAG_NONE); it excludes the other flags.
	NALAdaptNone NALAdaptation = 1 << 7
)

// effective resolves the zero value to the default.
func (n NALAdaptation) effective() NALAdaptation {
	if n == 0 {
		return NALAdaptAnnexBFrames | NALAdaptAnnexBCodecPrivate
	}
	return n
}

func (n NALAdaptation) validate() error {
	n = n.effective()
	if n&NALAdaptAnnexBFrames != 0 && n&NALAdaptAVCCFrames != 0 {
		return fmt.Errorf("nal adaptation: both Annex B and AVCC frame adaptation given: %w", ErrInvalidDefinition)
	}
	if n&NALAdaptNone != 0 && n != NALAdaptNone {
		return fmt.Errorf("nal adaptation: NALAdaptNone combined with other flags: %w", ErrInvalidDefinition)
	}
	return nil
}

// framesAreAnnexB reports whether the application's frames are Annex B.
func (n NALAdaptation) framesAreAnnexB() bool { return n.effective()&NALAdaptAnnexBFrames != 0 }

// isNALCodec reports whether codec carries H.264 or H.265 NAL units.
func isNALCodec(codec string) bool { return codec == CodecH264 || codec == CodecH265 }

// adaptFrame returns a copy of a frame's data in the form it is sent.
func adaptFrame(dst []byte, codec string, nal NALAdaptation, data []byte) ([]byte, error) {
	if !isNALCodec(codec) {
		return append(dst, data...), nil
	}
	switch n := nal.effective(); {
	case n&NALAdaptAnnexBFrames != 0:
		out, err := parser.AnnexBToAVCC(dst, data, avccLengthSize)
		if err != nil {
			return nil, fmt.Errorf("adapt annex b frame: %w: %w", err, ErrInvalidFrame)
		}
		return out, nil
	case n&NALAdaptAVCCFrames != 0:
		out, err := parser.AVCCToAnnexB(dst, data, avccLengthSize)
		if err != nil {
			return nil, fmt.Errorf("adapt avcc frame: %w: %w", err, ErrInvalidFrame)
		}
		return out, nil
	}
	return append(dst, data...), nil
}

// frameUnits yields the NAL units of a frame as the application gave it.
func frameUnits(nal NALAdaptation, data []byte) iter.Seq[[]byte] {
	if nal.framesAreAnnexB() {
		return parser.AnnexBUnits(data)
	}
	return func(yield func([]byte) bool) {
		for u, err := range parser.AVCCUnits(data, avccLengthSize) {
			if err != nil || !yield(u) {
				return
			}
		}
	}
}

// parameterSets collects the parameter sets of an H.264 or H.265 unit
// sequence.
type parameterSets struct {
	vps, sps, pps [][]byte
}

func collectParameterSets(codec string, units iter.Seq[[]byte]) parameterSets {
	var ps parameterSets
	for u := range units {
		u = bytes.Clone(u)
		if codec == CodecH264 {
			switch parser.H264NALType(u) {
			case parser.H264NALSPS:
				ps.sps = append(ps.sps, u)
			case parser.H264NALPPS:
				ps.pps = append(ps.pps, u)
			}
			continue
		}
		switch parser.H265NALType(u) {
		case parser.H265NALVPS:
			ps.vps = append(ps.vps, u)
		case parser.H265NALSPS:
			ps.sps = append(ps.sps, u)
		case parser.H265NALPPS:
			ps.pps = append(ps.pps, u)
		}
	}
	return ps
}

// record builds the decoder configuration record of the parameter sets.
func (ps parameterSets) record(codec string) ([]byte, error) {
	if codec == CodecH264 {
		return H264CodecPrivate(ps.sps, ps.pps)
	}
	return H265CodecPrivate(ps.vps, ps.sps, ps.pps)
}

// videoSize returns the picture size of an H.264 or H.265 decoder
// configuration record (or Annex B parameter sets).
func videoSize(codec string, cpd []byte) (w, h int, err error) {
	switch codec {
	case CodecH264:
		c, err := parser.ParseAVCDecoderConfig(cpd)
		if err != nil {
			return 0, 0, fmt.Errorf("parse codec private data: %w: %w", err, ErrInvalidCodecData)
		}
		if len(c.SPS) == 0 {
			return 0, 0, fmt.Errorf("codec private data has no SPS: %w", ErrInvalidCodecData)
		}
		s, err := ParseH264SPS(c.SPS[0])
		return s.Width, s.Height, err
	case CodecH265:
		c, err := parser.ParseHEVCDecoderConfig(cpd)
		if err != nil {
			return 0, 0, fmt.Errorf("parse codec private data: %w: %w", err, ErrInvalidCodecData)
		}
		if len(c.SPS) == 0 {
			return 0, 0, fmt.Errorf("codec private data has no SPS: %w", ErrInvalidCodecData)
		}
		s, err := ParseH265SPS(c.SPS[0])
		return s.Width, s.Height, err
	}
	return 0, 0, nil
}

// adaptCodecPrivate turns Annex B parameter sets given as CodecPrivate into
// a decoder configuration record, when the adaptation asks for it.
func adaptCodecPrivate(codec string, nal NALAdaptation, cpd []byte) ([]byte, error) {
	if !isNALCodec(codec) || len(cpd) == 0 || nal.effective()&NALAdaptAnnexBCodecPrivate == 0 || !parser.IsAnnexB(cpd) {
		return bytes.Clone(cpd), nil
	}
	ps := collectParameterSets(codec, parser.AnnexBUnits(cpd))
	rec, err := ps.record(codec)
	if err != nil {
		return nil, fmt.Errorf("adapt annex b codec private data: %w", err)
	}
	return rec, nil
}
