package mediasource

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/mediasource/rtsptest"
	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

// cameraInput is what the test camera sends: the tracks and frames of a
// file made by ffmpeg.
func readCameraInput(t *testing.T, name string, video []string) rtsptest.Input {
	path := media(t, name, concat(lavfiVideo, lavfiAudio, video, noB, aac)...)
	src, err := Open(context.Background(), path, nil, Options{})
	require.NoError(t, err)
	defer src.Close()
	in := rtsptest.Input{Tracks: src.Tracks(), Frames: readAll(t, src), Loop: 2 * time.Second}
	require.Len(t, in.Tracks, 2)
	return in
}

// startCamera starts gortsplib's server looping in; with sprop the SDP
// carries the parameter sets, otherwise they travel in-band.
func startCamera(t *testing.T, in rtsptest.Input, sprop bool) (url string) {
	return rtsptest.Start(t, in, rtsptest.Options{SDPParameterSets: sprop})
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

func testRTSP(t *testing.T, in rtsptest.Input) {
	var video, audio []producer.Frame
	for _, f := range in.Frames {
		if f.TrackID == in.Tracks[0].ID {
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
			require.Equal(t, in.Tracks[0].CodecID, tracks[0].CodecID)
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
