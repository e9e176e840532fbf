package mediasource

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/openkvs/openkvs/producer"
)

// rtspQueue is how many frames the RTP callbacks may be ahead of Next;
// beyond it they wait, which on TCP slows the camera down and on UDP
// drops packets in the kernel.
const rtspQueue = 256

// rtspInterleave bounds the frames held to put audio and video in DTS order
// when one of them pauses.
const rtspInterleave = 64

// rtspFrame is a frame with the position of its track in Tracks().
type rtspFrame struct {
	index int
	frame producer.Frame
}

// rtspSource plays an RTSP camera with gortsplib. The client's goroutines
// deliver frames through a channel; a waiter goroutine records why the
// client ended and is joined by Close.
type rtspSource struct {
	client *gortsplib.Client
	name   string // the URL without credentials, for messages
	tracks []producer.Track
	// timeout bounds the wait for the next video frame; lastVideo is when
	// Next last returned one (or was first called).
	timeout   time.Duration
	lastVideo time.Time
	merge     *interleaver
	frames    chan rtspFrame
	stop      chan struct{} // closed by Close: callbacks stop waiting
	done      chan struct{} // closed when the client has ended
	err       error         // why the client ended, valid after done
	closed    sync.Once
}

// openRTSP connects to the camera, chooses the first H.264/H.265 media and
// the first MPEG-4 audio media, and starts playing them.
func openRTSP(ctx context.Context, rawURL string, opts Options, log *slog.Logger) (_ *rtspSource, err error) {
	u, err := base.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse rtsp url: %w", err)
	}
	timeout := opts.RTSPTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	s := &rtspSource{
		name:    u.Scheme + "://" + u.Host + u.Path,
		timeout: timeout,
		frames:  make(chan rtspFrame, rtspQueue),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	c := &gortsplib.Client{
		Scheme:       u.Scheme,
		Host:         u.Host,
		ReadTimeout:  timeout,
		WriteTimeout: timeout,
		OnTransportSwitch: func(err error) {
			log.Warn("rtsp: switching transport", "camera", s.name, "reason", err)
		},
		OnPacketsLost: func(lost uint64) { log.Warn("rtsp: packets lost", "camera", s.name, "count", lost) },
		OnDecodeError: func(err error) { log.Warn("rtsp: undecodable packet", "camera", s.name, "error", err) },
	}
	if opts.RTSPOverTCP {
		tcp := gortsplib.ProtocolTCP
		c.Protocol = &tcp
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("start rtsp client: %w", err)
	}
	s.client = c
	// gortsplib's requests take no context: closing the client ends them.
	defer context.AfterFunc(ctx, c.Close)()
	defer func() {
		if err != nil {
			c.Close()
			if ctx.Err() != nil {
				err = fmt.Errorf("rtsp %s: %w", s.name, ctx.Err())
			}
		}
	}()

	desc, _, err := c.Describe(u)
	if err != nil {
		return nil, fmt.Errorf("rtsp %s: describe: %v: %w", s.name, err, ErrUnreachable)
	}
	medias, err := s.setTracks(desc, log)
	if err != nil {
		return nil, err
	}
	for i, m := range medias {
		if _, err := c.Setup(desc.BaseURL, m.media, 0, 0); err != nil {
			return nil, fmt.Errorf("rtsp %s: setup %s: %v: %w", s.name, m.media.Type, err, ErrUnreachable)
		}
		c.OnPacketRTP(m.media, m.format, s.onPacket(i, m))
	}
	if _, err := c.Play(nil); err != nil {
		return nil, fmt.Errorf("rtsp %s: play: %v: %w", s.name, err, ErrUnreachable)
	}
	s.merge = newInterleaver(len(s.tracks), rtspInterleave)
	go func() {
		s.err = c.Wait()
		close(s.done)
	}()
	return s, nil
}

// rtspMedia is a media that is played, with its depacketizer.
type rtspMedia struct {
	media  *description.Media
	format format.Format
	track  rtspTrack
}

// setTracks picks the media to play and builds the tracks.
func (s *rtspSource) setTracks(desc *description.Session, log *slog.Logger) ([]rtspMedia, error) {
	var video, audio *rtspMedia
	var found []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			found = append(found, f.Codec())
			switch f := f.(type) {
			case *format.H264, *format.H265:
				if video == nil {
					video = &rtspMedia{media: m, format: f}
				}
			case *format.MPEG4Audio:
				if audio == nil && f.Config != nil {
					audio = &rtspMedia{media: m, format: f}
				}
			}
		}
	}
	if video == nil {
		return nil, fmt.Errorf("rtsp %s: formats %v: %w (supported: H264, H265)", s.name, found, ErrNoVideo)
	}
	vt, err := newRTSPVideo(1, video.format, log)
	if err != nil {
		return nil, fmt.Errorf("rtsp %s: %w", s.name, err)
	}
	video.track = vt
	s.tracks = append(s.tracks, rtspVideoTrack(video.format, log))
	medias := []rtspMedia{*video}
	if audio != nil {
		f := audio.format.(*format.MPEG4Audio)
		at, err := newRTSPAudio(2, f, log)
		if err != nil {
			return nil, fmt.Errorf("rtsp %s: %w", s.name, err)
		}
		audio.track = at
		config, err := f.Config.Marshal()
		if err != nil {
			return nil, fmt.Errorf("rtsp %s: audio config: %v: %w", s.name, err, ErrMalformed)
		}
		s.tracks = append(s.tracks, producer.Track{
			ID: 2, Name: "kvs_audio_track", CodecID: producer.CodecAAC, Type: producer.TrackAudio,
			CodecPrivate: config, SampleRate: float64(f.Config.SampleRate), Channels: audioChannels(f.Config),
		})
		medias = append(medias, *audio)
	}
	return medias, nil
}

// rtspVideoTrack describes the video track. CodecPrivate comes from the
// SDP's sprop parameter sets (RFC 6184 section 8.1, RFC 7798 section 7.1);
// without them it stays nil and the producer takes it from the parameter
// sets of the first key frame.
func rtspVideoTrack(forma format.Format, log *slog.Logger) producer.Track {
	var ps parameterSets
	codec := codecH264
	switch f := forma.(type) {
	case *format.H264:
		sps, pps := f.SafeParams()
		ps.add(codec, sps)
		ps.add(codec, pps)
	case *format.H265:
		codec = codecH265
		vps, sps, pps := f.SafeParams()
		ps.add(codec, vps)
		ps.add(codec, sps)
		ps.add(codec, pps)
	}
	t := producer.Track{ID: 1, Name: "kvs_video_track", CodecID: codec.codecID(), Type: producer.TrackVideo}
	if len(ps.sps) == 0 {
		return t
	}
	rec, w, h, err := ps.decoderConfig(codec)
	if err != nil {
		log.Warn("rtsp: ignoring the SDP parameter sets", "error", err)
		return t
	}
	t.CodecPrivate, t.Width, t.Height = rec, w, h
	return t
}

// onPacket returns the RTP callback of the i-th track. It runs on a
// gortsplib goroutine.
func (s *rtspSource) onPacket(i int, m rtspMedia) func(*rtp.Packet) {
	emit := func(f producer.Frame) {
		select {
		case s.frames <- rtspFrame{index: i, frame: f}:
		case <-s.stop:
		}
	}
	return func(pkt *rtp.Packet) {
		pts, ok := s.client.PacketPTS(m.media, pkt)
		if !ok {
			return // no time reference yet: the track waits for a packet whose PTS is its DTS
		}
		m.track.handle(pkt, pts, emit)
	}
}

func (s *rtspSource) Tracks() []producer.Track { return s.tracks }

func (s *rtspSource) Next(ctx context.Context) (producer.Frame, error) {
	// A camera can send packets that never make a video frame (no
	// parameter sets anywhere, so no access unit can be timed) while its
	// audio flows; gortsplib's read timeout does not see that, so Next
	// bounds the time between video frames itself.
	if s.lastVideo.IsZero() {
		s.lastVideo = time.Now()
	}
	stalled := time.NewTimer(time.Until(s.lastVideo.Add(s.timeout)))
	defer stalled.Stop()
	for {
		if f, ok := s.merge.pop(false); ok {
			if f.TrackID == s.tracks[0].ID {
				s.lastVideo = time.Now()
			}
			return f, nil
		}
		select {
		case in := <-s.frames:
			s.merge.push(in.index, in.frame)
		case <-s.done:
			return producer.Frame{}, fmt.Errorf("rtsp %s: connection ended: %w", s.name, s.err)
		case <-stalled.C:
			return producer.Frame{}, fmt.Errorf("rtsp %s: no video frame for %s (a camera that sends no SPS/PPS, neither in its SDP nor before its key frames, cannot be decoded): %w",
				s.name, s.timeout, ErrMalformed)
		case <-ctx.Done():
			return producer.Frame{}, ctx.Err()
		}
	}
}

func (s *rtspSource) Close() error {
	s.closed.Do(func() {
		close(s.stop)
		s.client.Close()
		<-s.done
	})
	return nil
}
