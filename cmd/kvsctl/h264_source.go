package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/openkvs/openkvs/mkv"
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
	src, err := sourceFromAnnexB(out.Bytes(), 0)
	if err != nil {
		return nil, fmt.Errorf("generate H.264 with ffmpeg: %w", err)
	}
	src.Description = fmt.Sprintf("ffmpeg testsrc %dx%d, %d s, libx264 GOP %d", src.Width, src.Height, seconds, gop)
	return src, nil
}

// loadSource reads the access units of an .mkv/.webm (track 1) or an
// Annex-B .h264/.264 file, keeping at most limit frames (0: all).
func loadSource(path string, limit int) (*mediaSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open source: %w", err)
	}
	defer f.Close()
	var src *mediaSource
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".mkv", ".webm", ".mka":
		src, err = sourceFromMKV(f, limit)
	case ".h264", ".264", ".avc", ".h26l":
		var b []byte
		if b, err = io.ReadAll(f); err == nil {
			src, err = sourceFromAnnexB(b, limit)
		}
	default:
		return nil, fmt.Errorf("source %s: unknown extension %q (want .mkv or .h264)", path, ext)
	}
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", path, err)
	}
	src.Description = fmt.Sprintf("%s (%dx%d, %d frames)", path, src.Width, src.Height, len(src.Frames))
	return src, nil
}

// sourceFromAnnexB splits an Annex-B stream into access units, converts them
// to AVCC and builds the CodecPrivate from the first SPS and PPS. Access
// units before the first IDR are dropped.
func sourceFromAnnexB(b []byte, limit int) (*mediaSource, error) {
	aus := groupAccessUnits(splitAnnexB(b))
	var (
		src       mediaSource
		sps, pps  []byte
		total     int
		keyFrames int
	)
	for _, au := range aus {
		for _, nal := range au {
			switch nalType(nal) {
			case nalSPS:
				if sps == nil {
					sps = nal
				}
			case nalPPS:
				if pps == nil {
					pps = nal
				}
			}
		}
		key := isKeyAccessUnit(au)
		if len(src.Frames) == 0 && !key {
			continue
		}
		hasVCL := false
		for _, nal := range au {
			hasVCL = hasVCL || isVCL(nalType(nal))
		}
		if !hasVCL {
			continue // e.g. a trailing end-of-stream NAL unit
		}
		if key {
			keyFrames++
		}
		data := appendAVCC(nil, au)
		total += len(data)
		src.Frames = append(src.Frames, sourceFrame{Data: data, Key: key})
		if limit > 0 && len(src.Frames) >= limit {
			break
		}
	}
	if keyFrames == 0 {
		return nil, errors.New("no IDR access unit in the H.264 stream")
	}
	if sps == nil || pps == nil {
		return nil, errors.New("no SPS/PPS in the H.264 stream")
	}
	cp, err := producer.H264CodecPrivate([][]byte{sps}, [][]byte{pps})
	if err != nil {
		return nil, err
	}
	info, err := producer.ParseH264SPS(sps)
	if err != nil {
		return nil, err
	}
	src.CodecPrivate, src.Width, src.Height = cp, info.Width, info.Height
	return &src, nil
}

// sourceFromMKV reads the frames and CodecPrivate of track 1 of a Matroska
// stream. NAL length fields other than 4 octets are rewritten to 4.
func sourceFromMKV(r io.Reader, limit int) (*mediaSource, error) {
	mr := mkv.NewReader(r, mkv.ReaderOptions{})
	var (
		src        mediaSource
		haveTrack  bool
		lengthSize = avccLengthSize
	)
	for {
		kind, err := mr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read mkv: %w", err)
		}
		switch kind {
		case mkv.KindTracks:
			if haveTrack {
				continue
			}
			tracks, err := mr.Tracks()
			if err != nil {
				return nil, fmt.Errorf("read mkv tracks: %w", err)
			}
			t, ok := tracks.Track(1)
			if !ok {
				return nil, errors.New("the file has no track 1")
			}
			if t.CodecID != producer.CodecH264 {
				return nil, fmt.Errorf("track 1 is %s, not H.264 (%s)", t.CodecID, producer.CodecH264)
			}
			ls, sps, err := parseAVCDecoderConfig(t.CodecPrivate)
			if err != nil {
				return nil, fmt.Errorf("track 1 CodecPrivate: %w", err)
			}
			lengthSize = ls
			src.CodecPrivate = append([]byte(nil), t.CodecPrivate...)
			if lengthSize != avccLengthSize {
				src.CodecPrivate[4] = src.CodecPrivate[4]&^3 | (avccLengthSize - 1)
			}
			if sps != nil {
				if info, err := producer.ParseH264SPS(sps); err == nil {
					src.Width, src.Height = info.Width, info.Height
				}
			}
			if src.Width == 0 && t.Video != nil {
				src.Width, src.Height = int(t.Video.PixelWidth), int(t.Video.PixelHeight)
			}
			haveTrack = true
		case mkv.KindBlock:
			b := mr.Block()
			if !haveTrack || b.Track != 1 {
				continue
			}
			key := b.Keyframe()
			if len(src.Frames) == 0 && !key {
				continue
			}
			for i := range b.NumFrames() {
				data := append([]byte(nil), b.Frame(i)...)
				if lengthSize != avccLengthSize {
					nals, err := splitAVCC(data, lengthSize)
					if err != nil {
						return nil, fmt.Errorf("frame %d: %w", len(src.Frames), err)
					}
					data = appendAVCC(nil, nals)
				}
				src.Frames = append(src.Frames, sourceFrame{Data: data, Key: key && i == 0})
			}
			if limit > 0 && len(src.Frames) >= limit {
				return &src, nil
			}
		}
	}
	if !haveTrack {
		return nil, errors.New("no Tracks element")
	}
	if len(src.Frames) == 0 {
		return nil, errors.New("track 1 has no key frame")
	}
	return &src, nil
}
