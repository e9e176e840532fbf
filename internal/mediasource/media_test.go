package mediasource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

// mediaDir holds the media the tests make with ffmpeg, once per run.
var mediaDir string

func TestMain(m *testing.M) {
	var err error
	mediaDir, err = os.MkdirTemp("", "mediasource-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(mediaDir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Inputs of the test media: 2 s of 320x240 at 25 fps, a key frame every
// second, and a 48 kHz stereo tone.
var (
	lavfiVideo = []string{"-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=25"}
	lavfiAudio = []string{"-f", "lavfi", "-i", "sine=frequency=440:duration=2:sample_rate=48000", "-ac", "2"}
	x264       = []string{"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p"}
	noB        = []string{"-bf", "0"}
	withB      = []string{"-bf", "3", "-b_strategy", "0"}
	x265       = []string{"-c:v", "libx265", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
		"-x265-params", "log-level=error:keyint=25:min-keyint=25:scenecut=0:bframes=0"}
	aac = []string{"-c:a", "aac", "-b:a", "64k"}
)

var (
	mediaMu    sync.Mutex
	mediaFiles = map[string]error{}
)

// media returns the path of a file made by ffmpeg with args (inputs and
// codecs; the output name is added), making it on first use.
func media(t testing.TB, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(mediaDir, name)
	mediaMu.Lock()
	defer mediaMu.Unlock()
	err, done := mediaFiles[name]
	if !done {
		cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...), path)...)
		out, runErr := cmd.CombinedOutput()
		if runErr != nil {
			err = fmt.Errorf("ffmpeg %v: %v: %s", args, runErr, out)
		}
		mediaFiles[name] = err
	}
	require.NoError(t, err)
	return path
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// probedPacket is one packet as ffprobe reports it.
type probedPacket struct {
	Key      bool
	PTS, DTS time.Duration
	HasDTS   bool
}

// probe returns ffprobe's packets of each stream type ("video", "audio"),
// in file order.
func probe(t testing.TB, path string) map[string][]probedPacket {
	t.Helper()
	// The sources ignore MP4 edit lists, so ffprobe does too.
	out, err := exec.Command("ffprobe", "-v", "error", "-ignore_editlist", "1", "-show_entries",
		"packet=stream_index,pts_time,dts_time,flags:stream=index,codec_type", "-of", "json", path).Output()
	require.NoError(t, err)
	var doc struct {
		Streams []struct {
			Index     int    `json:"index"`
			CodecType string `json:"codec_type"`
		} `json:"streams"`
		Packets []struct {
			StreamIndex int    `json:"stream_index"`
			PTSTime     string `json:"pts_time"`
			DTSTime     string `json:"dts_time"`
			Flags       string `json:"flags"`
		} `json:"packets"`
	}
	require.NoError(t, json.Unmarshal(out, &doc))
	types := map[int]string{}
	for _, s := range doc.Streams {
		types[s.Index] = s.CodecType
	}
	got := map[string][]probedPacket{}
	for _, p := range doc.Packets {
		pp := probedPacket{Key: strings.Contains(p.Flags, "K"), PTS: seconds(p.PTSTime)}
		pp.DTS, pp.HasDTS = seconds(p.DTSTime), p.DTSTime != "" && p.DTSTime != "N/A"
		got[types[p.StreamIndex]] = append(got[types[p.StreamIndex]], pp)
	}
	return got
}

// probeCounts returns `ffprobe -count_packets` per stream type.
func probeCounts(t testing.TB, path string) map[string]int {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-show_entries",
		"stream=codec_type,nb_read_packets", "-of", "csv=p=0", path).Output()
	require.NoError(t, err)
	counts := map[string]int{}
	for line := range strings.Lines(string(out)) {
		typ, n, ok := strings.Cut(strings.TrimSpace(line), ",")
		if !ok {
			continue
		}
		v, err := strconv.Atoi(n)
		require.NoError(t, err)
		counts[typ] += v
	}
	return counts
}

func seconds(s string) time.Duration {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return time.Duration(v * float64(time.Second))
}

// readAll reads a source to its end.
func readAll(t testing.TB, src Source) []producer.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var frames []producer.Frame
	for {
		f, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return frames
		}
		require.NoError(t, err)
		frames = append(frames, f)
	}
}

// byTrack splits frames per track ID.
func byTrack(frames []producer.Frame) map[uint64][]producer.Frame {
	out := map[uint64][]producer.Frame{}
	for _, f := range frames {
		out[f.TrackID] = append(out[f.TrackID], f)
	}
	return out
}

// checkVideoTrack checks a video track's CodecPrivate parses as a decoder
// configuration record with 4-octet lengths and an SPS of the track's size.
func checkVideoTrack(t *testing.T, tr producer.Track, width, height int) {
	t.Helper()
	require.Equal(t, producer.TrackVideo, tr.Type)
	require.Equal(t, width, tr.Width)
	require.Equal(t, height, tr.Height)
	switch tr.CodecID {
	case producer.CodecH264:
		cfg, err := parser.ParseAVCDecoderConfig(tr.CodecPrivate)
		require.NoError(t, err)
		require.Equal(t, 4, cfg.LengthSize)
		require.NotEmpty(t, cfg.PPS)
		require.NotEmpty(t, cfg.SPS)
		sps, err := producer.ParseH264SPS(cfg.SPS[0])
		require.NoError(t, err)
		require.Equal(t, [2]int{width, height}, [2]int{sps.Width, sps.Height})
	case producer.CodecH265:
		cfg, err := parser.ParseHEVCDecoderConfig(tr.CodecPrivate)
		require.NoError(t, err)
		require.Equal(t, 4, cfg.LengthSize)
		require.NotEmpty(t, cfg.VPS)
		require.NotEmpty(t, cfg.PPS)
		require.NotEmpty(t, cfg.SPS)
		sps, err := producer.ParseH265SPS(cfg.SPS[0])
		require.NoError(t, err)
		require.Equal(t, [2]int{width, height}, [2]int{sps.Width, sps.Height})
	default:
		t.Fatalf("video codec %q", tr.CodecID)
	}
}

// checkAudioTrack checks an AAC track's AudioSpecificConfig.
func checkAudioTrack(t *testing.T, tr producer.Track, rate, channels int) {
	t.Helper()
	require.Equal(t, producer.TrackAudio, tr.Type)
	require.Equal(t, producer.CodecAAC, tr.CodecID)
	var cfg mpeg4audio.AudioSpecificConfig
	require.NoError(t, cfg.Unmarshal(tr.CodecPrivate))
	require.Equal(t, rate, cfg.SampleRate)
	require.Equal(t, channels, audioChannels(&cfg))
	require.Equal(t, float64(rate), tr.SampleRate)
	require.Equal(t, channels, tr.Channels)
}

// checkAVCC checks that a video frame is a whole access unit in AVCC form
// with 4-octet lengths: the lengths tile the frame exactly, every unit has
// a valid header, and one of them is a slice.
func checkAVCC(t *testing.T, codec string, f producer.Frame) {
	t.Helper()
	c := codecH264
	if codec == producer.CodecH265 {
		c = codecH265
	}
	n, slices := 0, 0
	for nal, err := range parser.AVCCUnits(f.Data, 4) {
		require.NoError(t, err, "frame at %v", f.DTS)
		require.NotEmpty(t, nal)
		require.Zero(t, nal[0]&0x80, "forbidden_zero_bit")
		n += 4 + len(nal)
		if c.isVCL(nal) {
			slices++
		}
	}
	require.Equal(t, len(f.Data), n, "frame at %v", f.DTS)
	require.Positive(t, slices, "frame at %v has no slice", f.DTS)
}

// checkOrder checks the timestamps the package promises: the first frame is
// a video key frame at 0, DTS never decreases across all tracks, and no
// PTS is before its DTS.
func checkOrder(t *testing.T, tracks []producer.Track, frames []producer.Frame) {
	t.Helper()
	require.NotEmpty(t, frames)
	require.Equal(t, tracks[0].ID, frames[0].TrackID)
	require.True(t, frames[0].Key())
	require.Zero(t, frames[0].DTS)
	for i, f := range frames {
		require.GreaterOrEqual(t, f.PTS, f.DTS, "frame %d", i)
		if i > 0 {
			require.GreaterOrEqual(t, f.DTS, frames[i-1].DTS, "frame %d of track %d", i, f.TrackID)
		}
	}
}

// keyIndexes returns the positions of the key frames.
func keyIndexes[T any](items []T, key func(T) bool) []int {
	var out []int
	for i, it := range items {
		if key(it) {
			out = append(out, i)
		}
	}
	return out
}
