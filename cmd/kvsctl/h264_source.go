package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/openkvs/openkvs/internal/mediasource"
	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

// mediaSource is H.264 video ready to be muxed: access units in AVCC form
// (4-octet NAL lengths) and the track's CodecPrivate. The first frame is a
// key frame.
type mediaSource struct {
	Description   string
	CodecPrivate  []byte
	Width, Height int
	Frames        []sourceFrame
}

// sourceFrame is one access unit.
type sourceFrame struct {
	Data []byte
	Key  bool // holds an IDR picture
}

// errNoFFmpeg is returned when ffmpeg is needed but not installed.
var errNoFFmpeg = errors.New("ffmpeg is not on PATH: install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg) or pass --source FILE (.mkv or .h264)")

// ffmpegArgs returns the ffmpeg command line that encodes seconds of the
// lavfi test pattern to an Annex-B H.264 stream on stdout, with a key frame
// every gop frames and no B-frames.
func ffmpegArgs(fps, gop, seconds int, bitrate int64) []string {
	return []string{
		"-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=640x360:rate=%d", fps),
		"-t", strconv.Itoa(seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
		"-g", strconv.Itoa(gop), "-keyint_min", strconv.Itoa(gop), "-sc_threshold", "0", "-bf", "0",
		"-b:v", strconv.FormatInt(bitrate, 10),
		"-f", "h264", "-",
	}
}

// generateSource encodes the test pattern with ffmpeg.
func generateSource(ctx context.Context, fps, gop, seconds int, bitrate int64) (*mediaSource, error) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, errNoFFmpeg
	}
	args := ffmpegArgs(fps, gop, seconds, bitrate)
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("generate H.264 with ffmpeg: %w: %s", err, msg)
	}
	src, err := readSource(ctx, "-", &out, 0)
	if err != nil {
		return nil, fmt.Errorf("generate H.264 with ffmpeg: %w", err)
	}
	src.Description = fmt.Sprintf("ffmpeg testsrc %dx%d, %d s, libx264 GOP %d", src.Width, src.Height, seconds, gop)
	return src, nil
}

// loadSource reads the H.264 video of a file that `kvsctl put` takes (MP4,
// Matroska/WebM or Annex B), keeping at most limit frames (0: all).
func loadSource(ctx context.Context, path string, limit int) (*mediaSource, error) {
	src, err := readSource(ctx, path, nil, limit)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", path, err)
	}
	src.Description = fmt.Sprintf("%s (%dx%d, %d frames)", path, src.Width, src.Height, len(src.Frames))
	return src, nil
}

// readSource reads the video track of arg (a file, or "-" for stdin)
// through mediasource, which already gives access units in AVCC form with
// 4-octet lengths and a matching CodecPrivate, starting at a key frame.
func readSource(ctx context.Context, arg string, stdin io.Reader, limit int) (*mediaSource, error) {
	in, err := mediasource.Open(ctx, arg, stdin, mediasource.Options{})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	video := in.Tracks()[0]
	if video.CodecID != producer.CodecH264 {
		return nil, fmt.Errorf("the video is %s, not H.264 (%s)", video.CodecID, producer.CodecH264)
	}
	var src mediaSource
	for limit <= 0 || len(src.Frames) < limit {
		f, err := in.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if f.TrackID == video.ID {
			src.Frames = append(src.Frames, sourceFrame{Data: f.Data, Key: f.Key()})
		}
	}
	if len(src.Frames) == 0 {
		return nil, errors.New("the video has no frames")
	}
	// mediasource gives every file's H.264 track an AVCDecoderConfigurationRecord
	// with 4-octet lengths (only a camera may have none).
	cfg, err := parser.ParseAVCDecoderConfig(video.CodecPrivate)
	if err != nil || len(cfg.SPS) == 0 {
		return nil, fmt.Errorf("no SPS/PPS for the H.264 video: %v", err)
	}
	src.CodecPrivate, src.Width, src.Height = video.CodecPrivate, video.Width, video.Height
	if info, err := producer.ParseH264SPS(cfg.SPS[0]); err == nil && src.Width == 0 {
		src.Width, src.Height = info.Width, info.Height
	}
	return &src, nil
}
