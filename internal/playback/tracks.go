package playback

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/av1"
	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/mkv"
)

// Codec is a codec the remuxer packages.
type Codec int

// Codecs, by Matroska CodecID (data-plane-api.md §0.4).
const (
	CodecUnknown Codec = iota
	CodecH264          // V_MPEG4/ISO/AVC
	CodecH265          // V_MPEGH/ISO/HEVC, also spelled V_MPEG/ISO/HEVC
	CodecAAC           // A_AAC
	CodecG711A         // A_MS/ACM with WAVEFORMATEX wFormatTag 6 (A-law)
	CodecG711U         // A_MS/ACM with WAVEFORMATEX wFormatTag 7 (μ-law)
	CodecOpus          // A_OPUS
	CodecAV1           // V_AV1 (fMP4 and MP4 only)
)

func codecOf(id string) Codec {
	switch id {
	case "V_MPEG4/ISO/AVC", "V_MPEG/ISO/AVC":
		return CodecH264
	case "V_MPEGH/ISO/HEVC", "V_MPEG/ISO/HEVC":
		return CodecH265
	case "A_AAC", "A_AAC/MPEG4/LC", "A_AAC/MPEG2/LC":
		return CodecAAC
	case "A_MS/ACM":
		// Which G.711 law is in the CodecPrivate; newTrack decides.
		return CodecG711A
	case "A_OPUS":
		return CodecOpus
	case "V_AV1":
		return CodecAV1
	}
	return CodecUnknown
}

// Video reports whether the codec is a video codec.
func (c Codec) Video() bool { return c == CodecH264 || c == CodecH265 || c == CodecAV1 }

// Audio reports whether the codec is an audio codec.
func (c Codec) Audio() bool { return c >= CodecAAC && c <= CodecOpus }

// KVSAudio reports whether KVS itself plays the codec over HLS: AAC only.
// G.711 and Opus are ours, in fMP4 only (MPEG-TS has no mapping for them
// that players read).
func (c Codec) KVSAudio() bool { return c == CodecAAC }

// VideoTimescale is the MP4 timescale of video tracks: 90 kHz divides the
// millisecond timestamps of Matroska exactly and every common frame rate.
const VideoTimescale = 90000

// AACFrameSamples is the number of PCM samples one AAC frame decodes to (at
// the AudioSpecificConfig's base sampling frequency).
const AACFrameSamples = 1024

// Track is one Matroska track, ready to be written as an MP4 track.
type Track struct {
	// Number is the Matroska TrackNumber that blocks refer to.
	Number  uint64
	Codec   Codec
	CodecID string
	// Timescale is the MP4 media timescale: 90 kHz for video, the sampling
	// frequency for audio.
	Timescale uint32
	// Width and Height are the coded picture size (video).
	Width, Height int
	// SampleRate and Channels describe audio.
	SampleRate, Channels int
	// CodecString is the RFC 6381 codecs parameter (avc1.64001f, mp4a.40.2).
	CodecString string
	// CodecPrivate is the Matroska CodecPrivate, compared to tell whether
	// two headers describe the same streams.
	CodecPrivate []byte
	// entry is the MP4 sample entry (avc1, hvc1, mp4a).
	entry mp4.Box
}

// SameTracks reports whether h and o describe the same tracks with the same
// decoder configuration, so one MP4 sample description serves both.
func (h *Header) SameTracks(o *Header) bool {
	if h == o {
		return true
	}
	if len(h.Tracks) != len(o.Tracks) {
		return false
	}
	for i := range h.Tracks {
		a, b := &h.Tracks[i], &o.Tracks[i]
		if a.Number != b.Number || a.CodecID != b.CodecID || !bytes.Equal(a.CodecPrivate, b.CodecPrivate) {
			return false
		}
	}
	return true
}

// Header is a parsed producer header: the Segment's TimestampScale and the
// tracks, in TrackEntry order.
type Header struct {
	Raw            []byte
	TimestampScale uint64 // nanoseconds per Matroska tick
	Tracks         []Track
	// err is the first problem with the tracks, reported when an API
	// checks them (so that one bad track does not hide which API failed).
	err error
}

// Track returns the index of the track with the Matroska number n.
func (h *Header) trackIndex(n uint64) int {
	for i := range h.Tracks {
		if h.Tracks[i].Number == n {
			return i
		}
	}
	return -1
}

// API names a playback API, whose track rules differ (data-plane-api.md §1).
type API int

// Playback APIs.
const (
	APIClip API = iota
	APIHLS
	APIDASH
)

// Check applies the API's track requirements: track 1 H.264, H.265 or AV1
// video (or audio for HLS and DASH), an optional audio track 2, nothing more,
// and codec private data that parses.
func (h *Header) Check(api API) error {
	if h.err != nil {
		return h.err
	}
	ts := h.Tracks
	if len(ts) == 0 || len(ts) > 2 {
		return errkind.New(ErrUnsupportedStreamMediaType, "The stream has %d tracks; playback needs a video track and at most one audio track.", len(ts))
	}
	first := ts[0].Codec
	switch {
	case first.Video():
	case first.Audio() && api != APIClip && len(ts) == 1:
	default:
		return errkind.New(ErrUnsupportedStreamMediaType, "Track 1 has codec %q; it must be V_MPEG4/ISO/AVC, V_MPEGH/ISO/HEVC or V_AV1.", ts[0].CodecID)
	}
	if len(ts) == 2 && !ts[1].Codec.Audio() {
		return errkind.New(ErrUnsupportedStreamMediaType, "Track 2 has codec %q; it must be A_AAC, A_MS/ACM (G.711) or A_OPUS.", ts[1].CodecID)
	}
	return nil
}

// ParseHeader parses a stored producer header: the EBML header and the
// Segment's elements before the first Cluster.
func ParseHeader(raw []byte) (*Header, error) {
	h := &Header{Raw: raw, TimestampScale: 1_000_000}
	r := mkv.NewReader(bytes.NewReader(raw), mkv.ReaderOptions{})
	var entries []mkv.TrackEntry
	for {
		kind, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse header: %w", err)
		}
		switch kind {
		case mkv.KindInfo:
			info, err := r.Info()
			if err != nil {
				return nil, fmt.Errorf("parse header info: %w", err)
			}
			if info.TimestampScale != 0 {
				h.TimestampScale = info.TimestampScale
			}
		case mkv.KindTracks:
			tr, err := r.Tracks()
			if err != nil {
				return nil, fmt.Errorf("parse header tracks: %w", err)
			}
			entries = tr.Entries
		}
	}
	for _, e := range entries {
		t, err := newTrack(e)
		if err != nil && h.err == nil {
			h.err = err
		}
		h.Tracks = append(h.Tracks, t)
	}
	return h, nil
}

// newTrack builds the MP4 sample entry of a Matroska track. The error is a
// playback error kind (missing, invalid CPD or unsupported codec).
func newTrack(e mkv.TrackEntry) (Track, error) {
	t := Track{Number: e.Number, CodecID: e.CodecID, Codec: codecOf(e.CodecID), CodecPrivate: bytes.Clone(e.CodecPrivate)}
	if t.Codec == CodecUnknown {
		return t, errkind.New(ErrUnsupportedStreamMediaType, "Track %d has codec %q, which playback does not support.", e.Number, e.CodecID)
	}
	if len(e.CodecPrivate) == 0 {
		return t, errkind.New(ErrMissingCodecPrivateData, "Track %d (%s) has no codec private data.", e.Number, e.CodecID)
	}
	bad := func(err error) error {
		return errkind.New(ErrInvalidCodecPrivateData, "The codec private data of track %d (%s) is not valid: %v", e.Number, e.CodecID, err)
	}
	switch t.Codec {
	case CodecH264:
		rec, err := avc.DecodeAVCDecConfRec(e.CodecPrivate)
		if err != nil {
			return t, bad(err)
		}
		if len(rec.SPSnalus) == 0 || len(rec.PPSnalus) == 0 {
			return t, bad(errors.New("no SPS or PPS"))
		}
		sps, err := avc.ParseSPSNALUnit(rec.SPSnalus[0], false)
		if err != nil {
			return t, bad(err)
		}
		t.Width, t.Height, t.Timescale = int(sps.Width), int(sps.Height), VideoTimescale
		t.CodecString = avc.CodecString("avc1", sps)
		t.entry = mp4.CreateVisualSampleEntryBox("avc1", uint16(sps.Width), uint16(sps.Height), &mp4.AvcCBox{DecConfRec: rec})
	case CodecH265:
		rec, err := hevc.DecodeHEVCDecConfRec(e.CodecPrivate)
		if err != nil {
			return t, bad(err)
		}
		spss := rec.GetNalusForType(hevc.NALU_SPS)
		if len(spss) == 0 {
			return t, bad(errors.New("no SPS"))
		}
		sps, err := hevc.ParseSPSNALUnit(spss[0])
		if err != nil {
			return t, bad(err)
		}
		w, hgt := sps.ImageSize()
		t.Width, t.Height, t.Timescale = int(w), int(hgt), VideoTimescale
		t.CodecString = hevc.CodecString("hvc1", sps)
		t.entry = mp4.CreateVisualSampleEntryBox("hvc1", uint16(w), uint16(hgt), &mp4.HvcCBox{DecConfRec: rec})
	case CodecAAC:
		asc, err := aac.DecodeAudioSpecificConfig(bytes.NewReader(e.CodecPrivate))
		if err != nil {
			return t, bad(err)
		}
		if asc.SamplingFrequency <= 0 || asc.SamplingFrequency > 0xffff {
			return t, bad(fmt.Errorf("sampling frequency %d", asc.SamplingFrequency))
		}
		t.SampleRate, t.Channels, t.Timescale = asc.SamplingFrequency, int(asc.ChannelConfiguration), uint32(asc.SamplingFrequency)
		if t.Channels == 0 && e.Audio != nil {
			t.Channels = int(e.Audio.Channels)
		}
		t.CodecString = fmt.Sprintf("mp4a.40.%d", asc.ObjectType)
		esds := mp4.CreateEsdsBox(bytes.Clone(e.CodecPrivate))
		t.entry = mp4.CreateAudioSampleEntryBox("mp4a", uint16(max(t.Channels, 1)), 16, uint16(asc.SamplingFrequency), esds)
	case CodecG711A:
		if err := t.g711(e.CodecPrivate); err != nil {
			if errors.Is(err, ErrUnsupportedStreamMediaType) {
				return t, err
			}
			return t, bad(err)
		}
	case CodecOpus:
		if err := t.opus(e.CodecPrivate); err != nil {
			return t, bad(err)
		}
	case CodecAV1:
		if err := t.av1(e); err != nil {
			return t, bad(err)
		}
	}
	return t, nil
}

// g711 reads the WAVEFORMATEX that the KVS producer SDKs (and ffmpeg)
// write as the CodecPrivate of A_MS/ACM G.711 tracks: wFormatTag,
// nChannels, nSamplesPerSec, nAvgBytesPerSec, nBlockAlign, wBitsPerSample,
// little-endian. The MP4 sample entry is the QuickTime 'alaw' or 'ulaw',
// which ffmpeg and Apple players read; it needs no decoder configuration.
func (t *Track) g711(cpd []byte) error {
	if len(cpd) < 16 {
		return fmt.Errorf("WAVEFORMATEX of %d bytes", len(cpd))
	}
	tag := binary.LittleEndian.Uint16(cpd)
	channels := int(binary.LittleEndian.Uint16(cpd[2:]))
	rate := int(binary.LittleEndian.Uint32(cpd[4:]))
	name := ""
	switch tag {
	case 6:
		t.Codec, name = CodecG711A, "alaw"
	case 7:
		t.Codec, name = CodecG711U, "ulaw"
	default:
		return errkind.New(ErrUnsupportedStreamMediaType, "Track %d is A_MS/ACM with wFormatTag %d; playback supports G.711 A-law (6) and μ-law (7).", t.Number, tag)
	}
	if channels < 1 || channels > 8 || rate < 1 || rate > 0xffff {
		return fmt.Errorf("%d channels at %d Hz", channels, rate)
	}
	t.SampleRate, t.Channels, t.Timescale, t.CodecString = rate, channels, uint32(rate), name
	t.entry = mp4.CreateAudioSampleEntryBox(name, uint16(channels), 16, uint16(rate), nil)
	return nil
}

// opus reads the OpusHead of an A_OPUS CodecPrivate (RFC 7845 §5.1,
// little-endian) into the dOps box of the 'Opus' sample entry (Opus in
// ISOBMFF, big-endian). Opus always decodes at 48 kHz, the MP4 timescale.
func (t *Track) opus(cpd []byte) error {
	if len(cpd) < 19 || string(cpd[:8]) != "OpusHead" {
		return errors.New("no OpusHead")
	}
	d := &mp4.DopsBox{
		OutputChannelCount: cpd[9],
		// PreSkip is 0: it trims the decoder's warm-up at the start of
		// the stream, but a segment or clip almost never starts there,
		// and ffmpeg applies it again at every HLS and DASH segment,
		// which moved each segment's audio 6.5 ms early.
		PreSkip:              0,
		InputSampleRate:      binary.LittleEndian.Uint32(cpd[12:]),
		OutputGain:           int16(binary.LittleEndian.Uint16(cpd[16:])),
		ChannelMappingFamily: cpd[18],
	}
	if d.OutputChannelCount == 0 {
		return errors.New("0 channels")
	}
	if d.ChannelMappingFamily != 0 {
		if len(cpd) < 21+int(d.OutputChannelCount) {
			return errors.New("short channel mapping table")
		}
		d.StreamCount, d.CoupledCount = cpd[19], cpd[20]
		d.ChannelMapping = bytes.Clone(cpd[21 : 21+int(d.OutputChannelCount)])
	}
	t.SampleRate, t.Channels, t.Timescale, t.CodecString = OpusRate, int(d.OutputChannelCount), OpusRate, "opus"
	t.entry = mp4.CreateAudioSampleEntryBox("Opus", uint16(d.OutputChannelCount), 16, OpusRate, d)
	return nil
}

// av1 reads the AV1CodecConfigurationRecord that is the CodecPrivate of a
// V_AV1 track (the Matroska AV1 mapping uses the ISOBMFF av1C layout) into
// the av1C box of an 'av01' sample entry. Matroska blocks hold the same
// low-overhead OBU stream (no temporal delimiters) as MP4 samples, so
// frames are copied as they are. The size is the sequence header's
// maximum frame size, or the TrackEntry's pixel size when the record
// carries no sequence header (its configOBUs are optional).
func (t *Track) av1(e mkv.TrackEntry) error {
	rec, err := av1.DecodeAV1CodecConfRec(e.CodecPrivate)
	if err != nil {
		return err
	}
	var w, h uint32
	if sh, err := rec.SequenceHeader(); err == nil {
		w, h = sh.Width(), sh.Height()
	} else if e.Video != nil {
		w, h = uint32(e.Video.PixelWidth), uint32(e.Video.PixelHeight)
	}
	if w == 0 || h == 0 || w > 0xffff || h > 0xffff {
		return fmt.Errorf("picture size %dx%d (no sequence header in configOBUs and no PixelWidth/PixelHeight)", w, h)
	}
	t.Width, t.Height, t.Timescale = int(w), int(h), VideoTimescale
	t.CodecString = rec.CodecString("av01")
	t.entry = mp4.CreateVisualSampleEntryBox("av01", uint16(w), uint16(h), &mp4.Av1CBox{CodecConfRec: rec})
	return nil
}

// OpusRate is the rate Opus decodes at, whatever the input rate.
const OpusRate = 48000

// frameSamples is how many samples (at the track's timescale) one stored
// frame of an audio track decodes to, or 0 if unknown.
func (t *Track) frameSamples(data []byte) int64 {
	switch t.Codec {
	case CodecAAC:
		return AACFrameSamples
	case CodecG711A, CodecG711U:
		// One byte per sample per channel.
		return int64(len(data) / max(t.Channels, 1))
	case CodecOpus:
		return opusSamples(data)
	}
	return 0
}

// opusSamples is the number of 48 kHz samples of an Opus packet, from its
// TOC byte and frame count (RFC 6716 §3.1), or 0 if it is malformed.
func opusSamples(p []byte) int64 {
	if len(p) == 0 {
		return 0
	}
	toc := p[0]
	config := toc >> 3
	var per int64 // samples per frame at 48 kHz
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		per = []int64{480, 960, 1920, 2880}[config&3]
	case config < 16: // Hybrid: 10, 20 ms
		per = []int64{480, 960}[config&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		per = []int64{120, 240, 480, 960}[config&3]
	}
	frames := int64(1)
	switch toc & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(p) < 2 {
			return 0
		}
		frames = int64(p[1] & 0x3f)
	}
	return per * frames
}
