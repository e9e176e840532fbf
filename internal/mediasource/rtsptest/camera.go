// Package rtsptest runs gortsplib's RTSP server as a camera for tests: it
// loops the frames of a media file (read with package mediasource) as RTP,
// packetized with gortsplib's own encoders, so that RTSP clients are tested
// against a real server rather than a fake of our own.
package rtsptest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"

	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

// Input is what the camera sends: an H.264 or H.265 video track first, an
// optional AAC track second, and their frames in DTS order (AVCC video, as
// package mediasource yields them). The frames repeat, each pass Loop later
// than the one before.
type Input struct {
	Tracks []producer.Track
	Frames []producer.Frame
	Loop   time.Duration
}

// Options tune the camera.
type Options struct {
	// SDPParameterSets puts SPS/PPS (and VPS) in the SDP; without it they
	// are sent in-band before each key frame, as many cameras do.
	SDPParameterSets bool
	// NoParameterSets sends them neither in the SDP nor in-band: a broken
	// camera whose video cannot be decoded.
	NoParameterSets bool
	// FrameInterval is the wall-clock time between frames; 0 means 2 ms,
	// about ten times faster than real time at 25 fps, so tests are short.
	// Clients order frames by their RTP timestamps, not by arrival.
	FrameInterval time.Duration
}

// camera serves /cam (the input) and /mjpeg (Motion JPEG only, for clients
// that must refuse it); other paths answer 404.
type camera struct {
	server *gortsplib.Server
	cam    *gortsplib.ServerStream
	mjpeg  *gortsplib.ServerStream
	stop   chan struct{}
	wg     sync.WaitGroup
}

func (c *camera) stream(path string) *gortsplib.ServerStream {
	switch strings.Trim(path, "/") {
	case "cam":
		return c.cam
	case "mjpeg":
		return c.mjpeg
	}
	return nil
}

func (c *camera) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if s := c.stream(ctx.Path); s != nil {
		return &base.Response{StatusCode: base.StatusOK}, s, nil
	}
	return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
}

func (c *camera) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if s := c.stream(ctx.Path); s != nil {
		return &base.Response{StatusCode: base.StatusOK}, s, nil
	}
	return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
}

func (c *camera) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// videoFormat returns the RTP format of the input's video, its encoder and
// its parameter sets.
func videoFormat(t testing.TB, in Input, sdp bool) (format.Format, func([][]byte) ([]*rtp.Packet, error), [][]byte) {
	t.Helper()
	if in.Tracks[0].CodecID == producer.CodecH265 {
		hevc, err := parser.ParseHEVCDecoderConfig(in.Tracks[0].CodecPrivate)
		must(t, err)
		f := &format.H265{PayloadTyp: 96}
		if sdp {
			f.VPS, f.SPS, f.PPS = hevc.VPS[0], hevc.SPS[0], hevc.PPS[0]
		}
		enc, err := f.CreateEncoder()
		must(t, err)
		return f, enc.Encode, [][]byte{hevc.VPS[0], hevc.SPS[0], hevc.PPS[0]}
	}
	avc, err := parser.ParseAVCDecoderConfig(in.Tracks[0].CodecPrivate)
	must(t, err)
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	if sdp {
		f.SPS, f.PPS = avc.SPS[0], avc.PPS[0]
	}
	enc, err := f.CreateEncoder()
	must(t, err)
	return f, enc.Encode, [][]byte{avc.SPS[0], avc.PPS[0]}
}

// Start starts the camera on 127.0.0.1 and returns its base URL
// ("rtsp://127.0.0.1:port"); the stream is at /cam. It stops when the test
// ends.
func Start(t testing.TB, in Input, opts Options) string {
	t.Helper()
	vf, vencode, params := videoFormat(t, in, opts.SDPParameterSets && !opts.NoParameterSets)
	video := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{vf}}
	medias := []*description.Media{video}
	var audio *description.Media
	var aencode func([][]byte) ([]*rtp.Packet, error)
	if len(in.Tracks) > 1 {
		var asc mpeg4audio.AudioSpecificConfig
		must(t, asc.Unmarshal(in.Tracks[1].CodecPrivate))
		aac := &format.MPEG4Audio{PayloadTyp: 97, Config: &asc, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
		audio = &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{aac}}
		medias = append(medias, audio)
		enc, err := aac.CreateEncoder()
		must(t, err)
		aencode = enc.Encode
	}

	c := &camera{stop: make(chan struct{})}
	c.server = &gortsplib.Server{Handler: c, RTSPAddress: "127.0.0.1:0"}
	must(t, c.server.Start())
	c.cam = &gortsplib.ServerStream{Server: c.server, Desc: &description.Session{Medias: medias}}
	must(t, c.cam.Initialize())
	c.mjpeg = &gortsplib.ServerStream{Server: c.server, Desc: &description.Session{Medias: []*description.Media{
		{Type: description.MediaTypeVideo, Formats: []format.Format{&format.MJPEG{}}},
	}}}
	must(t, c.mjpeg.Initialize())

	inBand := params
	if opts.SDPParameterSets || opts.NoParameterSets {
		inBand = nil
	}
	interval := opts.FrameInterval
	if interval <= 0 {
		interval = 2 * time.Millisecond
	}
	c.wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for pass := 0; ; pass++ {
			for _, f := range in.Frames {
				select {
				case <-c.stop:
					return
				case <-tick.C:
				}
				pts := f.PTS + time.Duration(pass)*in.Loop
				var err error
				if f.TrackID == in.Tracks[0].ID {
					err = writeVideo(c.cam, video, vencode, f, inBand, uint32(pts*90000/time.Second))
				} else if audio != nil {
					rate := time.Duration(in.Tracks[1].SampleRate)
					err = writeRTP(c.cam, audio, aencode, [][]byte{f.Data}, uint32(pts*rate/time.Second))
				}
				if err != nil {
					t.Errorf("rtsptest: send frame: %v", err)
					return
				}
			}
		}
	})
	t.Cleanup(func() {
		close(c.stop)
		c.wg.Wait()
		c.cam.Close()
		c.mjpeg.Close()
		c.server.Close()
	})
	return "rtsp://" + c.server.NetListener().Addr().String()
}

// writeVideo sends one access unit, with the parameter sets first on key
// frames when they travel in-band.
func writeVideo(s *gortsplib.ServerStream, m *description.Media, encode func([][]byte) ([]*rtp.Packet, error),
	f producer.Frame, inBand [][]byte, ts uint32) error {
	var nalus [][]byte
	if f.Key() {
		nalus = append(nalus, inBand...)
	}
	for nal, err := range parser.AVCCUnits(f.Data, 4) {
		if err != nil {
			return err
		}
		nalus = append(nalus, nal)
	}
	return writeRTP(s, m, encode, nalus, ts)
}

func writeRTP(s *gortsplib.ServerStream, m *description.Media, encode func([][]byte) ([]*rtp.Packet, error), units [][]byte, ts uint32) error {
	pkts, err := encode(units)
	if err != nil {
		return err
	}
	for _, p := range pkts {
		p.Timestamp = ts
		if err := s.WritePacketRTP(m, p); err != nil {
			return err
		}
	}
	return nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
