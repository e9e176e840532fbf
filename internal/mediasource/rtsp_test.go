package mediasource

import (
	"bytes"
	"context"
	"net"
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
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

// testCamera is gortsplib's RTSP server playing the part of a camera: on
// /cam it loops the frames of a file made by ffmpeg (read with this
// package), packetized with gortsplib's RTP encoders; /mjpeg offers only
// Motion JPEG; other paths answer 404.
type testCamera struct {
	server *gortsplib.Server
	cam    *gortsplib.ServerStream
	mjpeg  *gortsplib.ServerStream
	stop   chan struct{}
	wg     sync.WaitGroup
}

func (c *testCamera) stream(path string) *gortsplib.ServerStream {
	switch strings.Trim(path, "/") {
	case "cam":
		return c.cam
	case "mjpeg":
		return c.mjpeg
	}
	return nil
}

func (c *testCamera) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if s := c.stream(ctx.Path); s != nil {
		return &base.Response{StatusCode: base.StatusOK}, s, nil
	}
	return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
}

func (c *testCamera) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if s := c.stream(ctx.Path); s != nil {
		return &base.Response{StatusCode: base.StatusOK}, s, nil
	}
	return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
}

func (c *testCamera) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// cameraInput is what the camera sends: the tracks and frames of a file.
type cameraInput struct {
	tracks []producer.Track
	frames []producer.Frame
	loop   time.Duration // added to the timestamps on each pass
}

func readCameraInput(t *testing.T, name string, video []string) cameraInput {
	path := media(t, name, concat(lavfiVideo, lavfiAudio, video, noB, aac)...)
	src, err := Open(context.Background(), path, nil, Options{})
	require.NoError(t, err)
	defer src.Close()
	in := cameraInput{tracks: src.Tracks(), frames: readAll(t, src), loop: 2 * time.Second}
	require.Len(t, in.tracks, 2)
	return in
}

// videoFormat returns the RTP format of the input's video and its
// parameter sets.
func (in cameraInput) videoFormat(t *testing.T, sprop bool) (format.Format, func([][]byte) ([]*rtp.Packet, error), [][]byte) {
	if in.tracks[0].CodecID == producer.CodecH265 {
		hevc, err := parser.ParseHEVCDecoderConfig(in.tracks[0].CodecPrivate)
		require.NoError(t, err)
		f := &format.H265{PayloadTyp: 96}
		if sprop {
			f.VPS, f.SPS, f.PPS = hevc.VPS[0], hevc.SPS[0], hevc.PPS[0]
		}
		enc, err := f.CreateEncoder()
		require.NoError(t, err)
		return f, enc.Encode, [][]byte{hevc.VPS[0], hevc.SPS[0], hevc.PPS[0]}
	}
	avc, err := parser.ParseAVCDecoderConfig(in.tracks[0].CodecPrivate)
	require.NoError(t, err)
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	if sprop {
		f.SPS, f.PPS = avc.SPS[0], avc.PPS[0]
	}
	enc, err := f.CreateEncoder()
	require.NoError(t, err)
	return f, enc.Encode, [][]byte{avc.SPS[0], avc.PPS[0]}
}

// startCamera starts the camera on 127.0.0.1. With sprop the SDP carries
// the parameter sets; without, they are sent in-band before each key
// frame, as many cameras do.
func startCamera(t *testing.T, in cameraInput, sprop bool) (url string) {
	vf, vencode, params := in.videoFormat(t, sprop)
	var asc mpeg4audio.AudioSpecificConfig
	require.NoError(t, asc.Unmarshal(in.tracks[1].CodecPrivate))
	aac := &format.MPEG4Audio{PayloadTyp: 97, Config: &asc, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
	video := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{vf}}
	audio := &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{aac}}

	c := &testCamera{stop: make(chan struct{})}
	c.server = &gortsplib.Server{Handler: c, RTSPAddress: "127.0.0.1:0"}
	require.NoError(t, c.server.Start())
	c.cam = &gortsplib.ServerStream{Server: c.server, Desc: &description.Session{Medias: []*description.Media{video, audio}}}
	require.NoError(t, c.cam.Initialize())
	c.mjpeg = &gortsplib.ServerStream{Server: c.server, Desc: &description.Session{Medias: []*description.Media{
		{Type: description.MediaTypeVideo, Formats: []format.Format{&format.MJPEG{}}},
	}}}
	require.NoError(t, c.mjpeg.Initialize())

	aenc, err := aac.CreateEncoder()
	require.NoError(t, err)
	inBand := params
	if sprop {
		inBand = nil
	}
	c.wg.Go(func() {
		// Ten times faster than real time, so the test is short; the RTP
		// timestamps are what the client orders by.
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for pass := 0; ; pass++ {
			for _, f := range in.frames {
				select {
				case <-c.stop:
					return
				case <-tick.C:
				}
				pts := f.PTS + time.Duration(pass)*in.loop
				if f.TrackID == in.tracks[0].ID {
					var nalus [][]byte
					if f.Key() {
						nalus = append(nalus, inBand...)
					}
					for nal, err := range parser.AVCCUnits(f.Data, 4) {
						require.NoError(t, err)
						nalus = append(nalus, nal)
					}
					writeRTP(t, c.cam, video, vencode, nalus, uint32(pts*90000/time.Second))
				} else {
					writeRTP(t, c.cam, audio, aenc.Encode, [][]byte{f.Data}, uint32(pts*48000/time.Second))
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

func writeRTP(t *testing.T, s *gortsplib.ServerStream, m *description.Media, encode func([][]byte) ([]*rtp.Packet, error), units [][]byte, ts uint32) {
	pkts, err := encode(units)
	require.NoError(t, err)
	for _, p := range pkts {
		p.Timestamp = ts
		require.NoError(t, s.WritePacketRTP(m, p))
	}
}

// TestRTSP plays the test camera and checks that the frames are those of
// the file, in order, whole, with their key flags and timestamps.
func TestRTSP(t *testing.T) {
	for _, codec := range []struct {
		name  string
		video []string
	}{{"h264", x264}, {"h265", x265}} {
		t.Run(codec.name, func(t *testing.T) {
			testRTSP(t, readCameraInput(t, "camera_"+codec.name+".mkv", codec.video))
		})
	}
}

func testRTSP(t *testing.T, in cameraInput) {
	var video, audio []producer.Frame
	for _, f := range in.frames {
		if f.TrackID == in.tracks[0].ID {
			video = append(video, f)
		} else {
			audio = append(audio, f)
		}
	}
	for _, sprop := range []bool{true, false} {
		name := map[bool]string{true: "sdp parameter sets", false: "in-band parameter sets"}[sprop]
		t.Run(name, func(t *testing.T) {
			url := startCamera(t, in, sprop)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			src, err := Open(ctx, url+"/cam", nil, Options{RTSPOverTCP: true, RTSPTimeout: 5 * time.Second})
			require.NoError(t, err)
			defer func() { require.NoError(t, src.Close()) }()

			tracks := src.Tracks()
			require.Len(t, tracks, 2)
			require.Equal(t, in.tracks[0].CodecID, tracks[0].CodecID)
			if sprop {
				checkVideoTrack(t, tracks[0], 320, 240)
			} else {
				require.Nil(t, tracks[0].CodecPrivate)
			}
			checkAudioTrack(t, tracks[1], 48000, 2)

			// 60 video frames: more than one pass of the 50-frame file.
			var got []producer.Frame
			var gotVideo, gotAudio []producer.Frame
			for len(gotVideo) < 60 {
				f, err := src.Next(ctx)
				require.NoError(t, err)
				got = append(got, f)
				if f.TrackID == tracks[0].ID {
					gotVideo = append(gotVideo, f)
				} else {
					gotAudio = append(gotAudio, f)
				}
			}
			checkOrder(t, tracks, got)

			start := indexOfFrame(t, video, gotVideo[0].Data)
			for i, f := range gotVideo {
				want := video[(start+i)%len(video)]
				checkAVCC(t, tracks[0].CodecID, f)
				data := f.Data
				if !sprop && want.Key() {
					data = stripParameterSets(t, tracks[0].CodecID, data)
				}
				require.Equal(t, want.Data, data, "video frame %d", i)
				require.Equal(t, want.Key(), f.Key(), "key flag of video frame %d", i)
				require.Equal(t, time.Duration(i)*40*time.Millisecond, f.DTS, "DTS of video frame %d", i)
				require.Equal(t, f.DTS, f.PTS)
			}

			require.NotEmpty(t, gotAudio)
			first := indexOfFrame(t, audio, gotAudio[0].Data)
			for i, f := range gotAudio {
				require.Equal(t, audio[(first+i)%len(audio)].Data, f.Data, "audio frame %d", i)
				require.True(t, f.Key())
			}
		})
	}
}

// indexOfFrame returns where data is among frames.
func indexOfFrame(t *testing.T, frames []producer.Frame, data []byte) int {
	t.Helper()
	for i, f := range frames {
		if bytes.Equal(f.Data, data) || bytes.HasSuffix(data, f.Data) && f.Key() {
			return i
		}
	}
	t.Fatal("frame not in the file")
	return 0
}

// stripParameterSets removes the parameter sets the camera sent in-band.
func stripParameterSets(t *testing.T, codecID string, frame []byte) []byte {
	t.Helper()
	codec := codecOfMatroska(codecID)
	var out []byte
	for nal, err := range parser.AVCCUnits(frame, 4) {
		require.NoError(t, err)
		if !codec.isParameterSet(nal) {
			out = appendNAL(out, nal)
		}
	}
	return out
}

// TestRTSPErrors checks that cameras that cannot be played fail at Open
// with the right error, quickly.
func TestRTSPErrors(t *testing.T) {
	url := startCamera(t, readCameraInput(t, "camera_h264.mkv", x264), true)

	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "rtsp://" + l.Addr().String() + "/cam"
	require.NoError(t, l.Close())

	tests := []struct {
		name string
		url  string
		want error
	}{
		{"connection refused", closed, ErrUnreachable},
		{"not found", url + "/nothing", ErrUnreachable},
		{"no h264 or h265", url + "/mjpeg", ErrNoVideo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			src, err := Open(context.Background(), tc.url, nil, Options{RTSPOverTCP: true, RTSPTimeout: 5 * time.Second})
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, src)
			require.Less(t, time.Since(start), 2*time.Second)
			t.Log(err)
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Open(ctx, url+"/cam", nil, Options{RTSPOverTCP: true})
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("close without reading", func(t *testing.T) {
		src, err := Open(context.Background(), url+"/cam", nil, Options{RTSPOverTCP: true})
		require.NoError(t, err)
		time.Sleep(300 * time.Millisecond) // the queue fills up
		require.NoError(t, src.Close())
		require.NoError(t, src.Close(), "a second Close")
	})
}
