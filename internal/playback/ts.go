package playback

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"io"
	"math"
	"slices"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"

	"github.com/openkvs/openkvs/internal/errkind"
)

// tsClock is the MPEG-TS clock rate.
const tsClock = 90000

// TSOffset is added to every MPEG-TS timestamp. The writer puts the PCR
// 100 ms before the first DTS, and decode times sit before presentation
// times by the reordering delay; at the start of a session's timeline
// either would be negative, which a 33-bit TS clock cannot say.
const TSOffset = tsClock

// tsUnit is one access unit to mux, timed in 90 kHz.
type tsUnit struct {
	track    int
	dts, pts int64
	key      bool
	data     []byte
}

// TSSegment writes fragment f as one self-contained MPEG-TS segment
// (GetTSFragment): PAT and PMT, every track of the fragment, H.264 in
// Annex B with an AUD and with the SPS and PPS before each key frame (TS
// has no init segment), and AAC in ADTS. at is the fragment's start on
// the session's timeline in nanoseconds.
//
// Presentation times are those of the fMP4 segments (CMAFSamples), so the
// two containers of one session play the same timeline. Decode times
// cannot be CMAF's sorted presentation times, because TS requires
// DTS <= PTS: they are moved back by the fragment's largest reordering
// delay, as Samples does for clips. An encoder keeps that delay constant,
// so decode times still continue from one segment to the next.
func TSSegment(w io.Writer, f *Fragment, at int64) error {
	h := f.Header
	tracks := make([]*mpegts.Track, len(h.Tracks))
	var units []tsUnit
	var paramSets [][]byte
	lengthSize := 4
	for ti := range h.Tracks {
		t := &h.Tracks[ti]
		switch t.Codec {
		case CodecH264:
			conf, err := avc.DecodeAVCDecConfRec(t.CodecPrivate)
			if err != nil || len(t.CodecPrivate) < 5 {
				return errkind.New(ErrInvalidCodecPrivateData, "Track %d: the AVC codec private data cannot be parsed.", ti+1)
			}
			paramSets = append(slices.Clone(conf.SPSnalus), conf.PPSnalus...)
			lengthSize = int(t.CodecPrivate[4]&3) + 1
			tracks[ti] = &mpegts.Track{Codec: &mpegts.CodecH264{}}
		case CodecAAC:
			var conf mpeg4audio.AudioSpecificConfig
			if err := conf.Unmarshal(t.CodecPrivate); err != nil {
				return errkind.New(ErrInvalidCodecPrivateData, "Track %d: the AAC codec private data cannot be parsed.", ti+1)
			}
			tracks[ti] = &mpegts.Track{Codec: &mpegts.CodecMPEG4Audio{Config: conf}}
		default:
			return errkind.New(ErrUnsupportedStreamMediaType, "Track %d has codec %q, which MPEG-TS segments do not carry.", ti+1, t.CodecID)
		}
		ss := f.CMAFSamples(ti, nil)
		if len(ss) == 0 {
			continue
		}
		base := t.NsTo(at) + ss[0].DTS
		if t.Codec == CodecAAC {
			// The AAC frame grid of the fMP4 audio segments.
			base = int64(math.Round(float64(base)/AACFrameSamples)) * AACFrameSamples
		}
		var delay int64
		for _, s := range ss {
			delay = max(delay, int64(-s.CTO))
		}
		for _, s := range ss {
			dts := base + s.DTS - ss[0].DTS
			units = append(units, tsUnit{track: ti, key: s.Key, data: s.Data,
				dts: rescale(dts-delay, t.Timescale) + TSOffset, pts: rescale(dts+int64(s.CTO), t.Timescale) + TSOffset})
		}
	}
	// Interleave by decode time, as a demuxer reads them, but open with the
	// first video frame: the writer makes the first track written carry
	// the PCR, and a segment should start on its key frame.
	slices.SortStableFunc(units, func(a, b tsUnit) int { return cmp.Compare(a.dts, b.dts) })
	if i := slices.IndexFunc(units, func(u tsUnit) bool { return h.Tracks[u.track].Codec.Video() }); i > 0 {
		v := units[i]
		copy(units[1:i+1], units[:i])
		units[0] = v
	}
	var buf bytes.Buffer
	mw := &mpegts.Writer{W: &buf, Tracks: tracks}
	if err := mw.Initialize(); err != nil {
		return err
	}
	for _, u := range units {
		tr := tracks[u.track]
		switch tr.Codec.(type) {
		case *mpegts.CodecH264:
			au, err := nalus(u.data, lengthSize)
			if err != nil {
				return errkind.New(ErrInvalidMediaFrame, "An H.264 frame of fragment %d cannot be parsed: %v", f.Meta.Number, err)
			}
			if u.key {
				au = append(slices.Clone(paramSets), au...)
			}
			if err := mw.WriteH264(tr, u.pts, u.dts, au); err != nil {
				return err
			}
		case *mpegts.CodecMPEG4Audio:
			if err := mw.WriteMPEG4Audio(tr, u.pts, [][]byte{u.data}); err != nil {
				return err
			}
		}
	}
	pids := make(map[uint16]bool, len(tracks))
	for _, t := range tracks {
		pids[t.PID] = true
	}
	markDiscontinuity(buf.Bytes(), pids)
	_, err := w.Write(buf.Bytes())
	return err
}

// markDiscontinuity sets the discontinuity_indicator in the first packet
// of each elementary stream PID in a segment. Every segment is muxed on
// its own, so its continuity counters start afresh; players that join
// segments into one TS stream (ffmpeg) would otherwise see a counter jump
// and drop the previous segment's last frame as corrupt. The indicator is
// ISO 13818-1's way to announce exactly that jump; the timestamps after it
// still continue.
func markDiscontinuity(ts []byte, pids map[uint16]bool) {
	for off := 0; off+tsPacketSize <= len(ts); off += tsPacketSize {
		p := ts[off : off+tsPacketSize]
		pid := uint16(p[1]&0x1f)<<8 | uint16(p[2])
		if !pids[pid] {
			continue
		}
		delete(pids, pid)
		// adaptation_field_control says an adaptation field follows, and
		// its length leaves room for the flags byte. The writer gives the
		// first packet of every PES of ours one (random access).
		if p[3]&0x20 != 0 && p[4] > 0 {
			p[5] |= 0x80
		}
		if len(pids) == 0 {
			return
		}
	}
}

// tsPacketSize is the size of an MPEG-TS packet.
const tsPacketSize = 188

// rescale converts ticks of timescale to the 90 kHz TS clock.
func rescale(v int64, timescale uint32) int64 {
	if timescale == tsClock {
		return v
	}
	return int64(math.Round(float64(v) * tsClock / float64(timescale)))
}

// nalus splits a length-prefixed (AVCC) frame into NAL units.
func nalus(data []byte, lengthSize int) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < lengthSize {
			return nil, io.ErrUnexpectedEOF
		}
		var n int
		switch lengthSize {
		case 4:
			n = int(binary.BigEndian.Uint32(data))
		case 3:
			n = int(data[0])<<16 | int(binary.BigEndian.Uint16(data[1:]))
		case 2:
			n = int(binary.BigEndian.Uint16(data))
		default:
			n = int(data[0])
		}
		data = data[lengthSize:]
		if n > len(data) || n == 0 {
			return nil, io.ErrUnexpectedEOF
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	if len(out) == 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return out, nil
}
