package mediasource

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpmpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"

	"github.com/openkvs/openkvs/producer"
)

// rtspTrack turns the RTP packets of one media into frames. pts is the
// packet's presentation time in the format's clock, synchronised across
// the medias by gortsplib.
type rtspTrack interface {
	handle(pkt *rtp.Packet, pts int64, emit func(producer.Frame))
}

// dtsExtractor is mediacommon's H.264 or H.265 DTS extractor, which reads
// the picture order from the slice headers: RTP carries only PTS.
type dtsExtractor interface {
	Extract(au [][]byte, pts int64) (int64, error)
}

// rtspVideo reassembles H.264/H.265 access units (RFC 6184, RFC 7798).
type rtspVideo struct {
	id     uint64
	codec  videoCodec
	clock  uint32
	decode func(*rtp.Packet) ([][]byte, error)
	newDTS func() dtsExtractor
	dts    dtsExtractor // nil until a key frame arrives
	log    *slog.Logger
	// params are the latest parameter sets, from the SDP or in-band: the
	// DTS extractor needs them with every key frame it starts from.
	params [][]byte

	// The decoder returns an access unit either at its marker packet or,
	// for cameras that never set the marker, at the first packet of the
	// next one. pendTS and pendPTS are the timestamp of the access unit
	// being assembled, so a unit is stamped with its own time either way.
	pending bool
	pendTS  uint32
	pendPTS int64
}

func newRTSPVideo(id uint64, forma format.Format, log *slog.Logger) (*rtspVideo, error) {
	v := &rtspVideo{id: id, clock: uint32(forma.ClockRate()), log: log}
	switch f := forma.(type) {
	case *format.H264:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		v.codec, v.decode = codecH264, dec.Decode
		sps, pps := f.SafeParams()
		v.remember([][]byte{sps, pps})
		v.newDTS = func() dtsExtractor {
			d := &h264.DTSExtractor{}
			d.Initialize()
			return d
		}
	case *format.H265:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		v.codec, v.decode = codecH265, dec.Decode
		vps, sps, pps := f.SafeParams()
		v.remember([][]byte{vps, sps, pps})
		v.newDTS = func() dtsExtractor {
			d := &h265.DTSExtractor{}
			d.Initialize()
			return d
		}
	}
	return v, nil
}

func (v *rtspVideo) handle(pkt *rtp.Packet, pts int64, emit func(producer.Frame)) {
	if !v.pending {
		v.pending, v.pendTS, v.pendPTS = true, pkt.Timestamp, pts
	}
	nalus, err := v.decode(pkt)
	switch {
	case errors.Is(err, rtph264.ErrMorePacketsNeeded), errors.Is(err, rtph265.ErrMorePacketsNeeded):
		return
	case err != nil:
		// The decoder dropped what it had; so do we. Losing the start of a
		// stream is normal (ErrNonStartingPacketAndNoPrevious).
		if !errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) && !errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious) {
			v.log.Warn("rtsp: dropped video packets", "error", err)
		}
		v.pending = false
		return
	}
	auPTS := v.pendPTS
	if pkt.Timestamp != v.pendTS {
		v.pendTS, v.pendPTS = pkt.Timestamp, pts // this packet starts the next unit
	} else {
		v.pending = false
	}
	if f, ok := v.frame(nalus, auPTS); ok {
		emit(f)
	}
}

// frame builds the AVCC frame of an access unit. Units before the first key
// frame are dropped, and after a DTS error the track waits for the next key
// frame, as a decoder would have to.
func (v *rtspVideo) frame(nalus [][]byte, pts int64) (producer.Frame, bool) {
	key := false
	for _, n := range nalus {
		key = key || v.codec.isKey(n)
	}
	if v.dts == nil {
		if !key {
			return producer.Frame{}, false
		}
		v.dts = v.newDTS()
	}
	au := nalus
	if key && !v.remember(nalus) && len(v.params) > 0 {
		au = append(slices.Clone(v.params), nalus...)
	}
	dts, err := v.dts.Extract(au, pts)
	if err != nil {
		v.log.Warn("rtsp: cannot order video frame, waiting for a key frame", "error", err)
		v.dts = nil
		return producer.Frame{}, false
	}
	var data []byte
	for _, n := range nalus {
		data = appendNAL(data, n)
	}
	f := producer.Frame{TrackID: v.id, DTS: ticks(dts, v.clock), PTS: ticks(pts, v.clock), Data: data}
	if key {
		f.Flags = producer.FrameKey
	}
	return f, true
}

// remember keeps the parameter sets among nalus, the latest of each type,
// and reports whether there was one.
func (v *rtspVideo) remember(nalus [][]byte) bool {
	found := false
	for _, n := range nalus {
		if len(n) == 0 || !v.codec.isParameterSet(n) {
			continue
		}
		found = true
		t := v.codec.nalType(n)
		v.params = slices.DeleteFunc(v.params, func(p []byte) bool { return v.codec.nalType(p) == t })
		v.params = append(v.params, bytes.Clone(n))
	}
	return found
}

// rtspAudio splits MPEG-4 audio packets (RFC 3640) into AAC frames.
type rtspAudio struct {
	id      uint64
	clock   uint32
	samples int64 // per access unit
	dec     *rtpmpeg4audio.Decoder
	log     *slog.Logger
}

func newRTSPAudio(id uint64, f *format.MPEG4Audio, log *slog.Logger) (*rtspAudio, error) {
	dec, err := f.CreateDecoder()
	if err != nil {
		return nil, err
	}
	a := &rtspAudio{id: id, clock: uint32(f.ClockRate()), samples: mpeg4audio.SamplesPerAccessUnit, dec: dec, log: log}
	if f.Config.FrameLengthFlag {
		a.samples = 960
	}
	return a, nil
}

func (a *rtspAudio) handle(pkt *rtp.Packet, pts int64, emit func(producer.Frame)) {
	aus, err := a.dec.Decode(pkt)
	if errors.Is(err, rtpmpeg4audio.ErrMorePacketsNeeded) {
		return
	}
	if err != nil {
		a.log.Warn("rtsp: dropped audio packet", "error", err)
		return
	}
	dur := ticks(a.samples, a.clock)
	for i, au := range aus {
		t := ticks(pts+int64(i)*a.samples, a.clock)
		emit(producer.Frame{TrackID: a.id, Flags: producer.FrameKey, DTS: t, PTS: t, Duration: dur, Data: bytes.Clone(au)})
	}
}

// audioChannels returns the channel count of an AudioSpecificConfig's
// channelConfiguration (ISO/IEC 14496-3 table 1.19); 0 when a program
// config element defines it.
func audioChannels(c *mpeg4audio.AudioSpecificConfig) int {
	switch {
	case c.ChannelConfig >= 1 && c.ChannelConfig <= 6:
		return int(c.ChannelConfig)
	case c.ChannelConfig == 7:
		return 8
	}
	return 0
}
