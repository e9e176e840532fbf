package mediasource

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/producer"
)

// TestOpenFiles reads files made by ffmpeg and compares every track with
// what ffprobe reports: frame counts, key frame positions and timestamps.
func TestOpenFiles(t *testing.T) {
	frag := []string{"-movflags", "frag_keyframe+empty_moov+default_base_moof"}
	tests := []struct {
		name  string
		args  []string
		audio bool
		// timing says which ffprobe timestamps the frames must match:
		// "dts" (the container stores DTS and PTS), "pts" (Matroska stores
		// PTS only) or "fps" (raw Annex B, stamped at 25 fps); "+b" asks
		// for B-frames (some PTS after its DTS).
		timing string
	}{
		{"h264_aac.mp4", concat(lavfiVideo, lavfiAudio, x264, noB, aac), true, "dts"},
		{"h264_bframes.mp4", concat(lavfiVideo, x264, withB), false, "dts+b"},
		{"h264_aac_frag.mp4", concat(lavfiVideo, lavfiAudio, x264, noB, aac, frag), true, "dts"},
		{"h265_aac.mp4", concat(lavfiVideo, lavfiAudio, x265, aac, []string{"-tag:v", "hvc1"}), true, "dts"},
		{"h264_aac.mkv", concat(lavfiVideo, lavfiAudio, x264, noB, aac), true, "pts"},
		{"h264_bframes.mkv", concat(lavfiVideo, x264, withB), false, "pts+b"},
		{"h265_aac.mkv", concat(lavfiVideo, lavfiAudio, x265, aac), true, "pts"},
		{"h264.h264", concat(lavfiVideo, x264, noB), false, "fps"},
		{"h265.h265", concat(lavfiVideo, x265), false, "fps"},
		{"h264_annexb.bin", concat(lavfiVideo, x264, noB, []string{"-f", "h264"}), false, "fps"},
		{"h264_aac.video", concat(lavfiVideo, lavfiAudio, x264, noB, aac, []string{"-f", "matroska"}), true, "pts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := media(t, tc.name, tc.args...)
			src, err := Open(context.Background(), path, nil, Options{})
			require.NoError(t, err)
			defer func() { require.NoError(t, src.Close()) }()
			checkAgainstProbe(t, path, src, tc.audio, tc.timing)
		})
	}
}

// TestOpenStdin reads Matroska from ffmpeg through a pipe, as in
// `ffmpeg ... -f matroska - | kvsctl put S -`.
func TestOpenStdin(t *testing.T) {
	args := concat(lavfiVideo, lavfiAudio, x264, noB, aac, []string{"-f", "matroska"})
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-loglevel", "error"}, args...), "-")...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { require.NoError(t, cmd.Wait()) }()

	src, err := Open(context.Background(), "-", stdout, Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, src.Close()) }()
	// The same command into a file is what ffprobe counts.
	checkAgainstProbe(t, media(t, "stdin_twin.mkv", args...), src, true, "pts")
}

// checkAgainstProbe reads src to its end and checks it against ffprobe's
// view of path.
func checkAgainstProbe(t *testing.T, path string, src Source, audio bool, timing string) {
	tracks := src.Tracks()
	if audio {
		require.Equal(t, 2, len(tracks), "tracks")
		checkAudioTrack(t, tracks[1], 48000, 2)
	} else {
		require.Equal(t, 1, len(tracks), "tracks")
	}
	checkVideoTrack(t, tracks[0], 320, 240)

	frames := readAll(t, src)
	checkOrder(t, tracks, frames)
	perTrack := byTrack(frames)
	video := perTrack[tracks[0].ID]
	for _, f := range video {
		checkAVCC(t, tracks[0].CodecID, f)
	}

	counts := probeCounts(t, path)
	packets := probe(t, path)
	require.Equal(t, counts["video"], len(video), "video frames")
	require.Equal(t, counts["video"], len(packets["video"]))
	if audio {
		// Audio before the first video frame is dropped (the doc's
		// contract); ffmpeg's Matroska muxer starts the audio first.
		require.Equal(t, len(packets["audio"]), counts["audio"])
		start := packets["video"][0].DTS
		want := 0
		for _, p := range packets["audio"] {
			if p.DTS >= start {
				want++
			}
		}
		require.Equal(t, want, len(perTrack[tracks[1].ID]), "audio frames (ffprobe: %d, %d before the video)", counts["audio"], counts["audio"]-want)
	}
	require.Equal(t,
		keyIndexes(packets["video"], func(p probedPacket) bool { return p.Key }),
		keyIndexes(video, func(f producer.Frame) bool { return f.Key() }), "key frames")

	timing, bframes := strings.CutSuffix(timing, "+b")
	reordered := slices.ContainsFunc(video, func(f producer.Frame) bool { return f.PTS > f.DTS })
	require.Equal(t, bframes, reordered, "frames with PTS after DTS")

	const tolerance = time.Millisecond
	p0, f0 := packets["video"][0], video[0]
	for i, f := range video {
		p := packets["video"][i]
		switch timing {
		case "dts":
			require.InDelta(t, p.DTS-p0.DTS, f.DTS-f0.DTS, float64(tolerance), "DTS of frame %d", i)
			require.InDelta(t, p.PTS-p0.DTS, f.PTS-f0.DTS, float64(tolerance), "PTS of frame %d", i)
		case "pts":
			require.InDelta(t, p.PTS-p0.PTS, f.PTS-f0.PTS, float64(tolerance), "PTS of frame %d", i)
		case "fps":
			require.Equal(t, time.Duration(i)*40*time.Millisecond, f.DTS, "frame %d", i)
			require.Equal(t, f.DTS, f.PTS)
		}
	}
}

func TestOptions(t *testing.T) {
	raw := media(t, "h264.h264", concat(lavfiVideo, x264, noB)...)

	t.Run("fps stamps raw annex b", func(t *testing.T) {
		src, err := Open(context.Background(), raw, nil, Options{FPS: 50})
		require.NoError(t, err)
		defer src.Close()
		frames := readAll(t, src)
		require.Len(t, frames, 50)
		for i, f := range frames {
			require.Equal(t, time.Duration(i)*20*time.Millisecond, f.DTS)
		}
		require.Zero(t, src.(durationer).Duration(), "raw streams have no known length")
	})

	t.Run("realtime paces frames", func(t *testing.T) {
		src, err := Open(context.Background(), raw, nil, Options{Realtime: true})
		require.NoError(t, err)
		defer src.Close()
		start := time.Now()
		for range 6 {
			_, err := src.Next(context.Background())
			require.NoError(t, err)
		}
		require.GreaterOrEqual(t, time.Since(start), 5*40*time.Millisecond)

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = src.Next(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("mp4 duration", func(t *testing.T) {
		path := media(t, "h264_aac.mp4", concat(lavfiVideo, lavfiAudio, x264, noB, aac)...)
		src, err := Open(context.Background(), path, nil, Options{Realtime: true})
		require.NoError(t, err)
		defer src.Close()
		require.InDelta(t, 2*time.Second, src.(durationer).Duration(), float64(50*time.Millisecond))
	})
}
