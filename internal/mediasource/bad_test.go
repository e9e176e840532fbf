package mediasource

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// drain opens path and reads it to its end, returning the first error that
// is not io.EOF.
func drain(path string, stdin io.Reader) error {
	src, err := Open(context.Background(), path, stdin, Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	for {
		_, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// truncated copies the first half of a file.
func truncated(t *testing.T, path, name string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return writeFile(t, name, data[:len(data)/2])
}

// withoutLeadingIDR cuts a raw H.264 stream before its first non-IDR
// slice, so no IDR picture and no parameter set is left.
func withoutLeadingIDR(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := 0; i+3 < len(data); i++ {
		if data[i] == 0 && data[i+1] == 0 && data[i+2] == 1 && data[i+3]&0x1f == 1 {
			return data[i:]
		}
	}
	t.Fatal("no non-IDR slice")
	return nil
}

func TestOpenBadInputs(t *testing.T) {
	video := concat(lavfiVideo, x264, noB)
	oneIDR := concat(lavfiVideo, []string{"-c:v", "libx264", "-preset", "veryfast", "-g", "1000", "-sc_threshold", "0", "-bf", "0"})
	audioOnly := concat(lavfiAudio, aac)
	text := []byte(strings.Repeat("this is not a video\n", 50))
	tests := []struct {
		name  string
		path  func(t *testing.T) string
		stdin func(t *testing.T) io.Reader
		want  error
	}{
		{"text file", func(t *testing.T) string { return writeFile(t, "notes.txt", text) }, nil, ErrUnsupported},
		{"text named mp4", func(t *testing.T) string { return writeFile(t, "notes.mp4", text) }, nil, ErrMalformed},
		{"text named mkv", func(t *testing.T) string { return writeFile(t, "notes.mkv", text) }, nil, ErrMalformed},
		{"text named h264", func(t *testing.T) string { return writeFile(t, "notes.h264", text) }, nil, ErrNoVideo},
		{"text on stdin", func(*testing.T) string { return "-" }, func(*testing.T) io.Reader { return bytes.NewReader(text) }, ErrUnsupported},
		{"empty stdin", func(*testing.T) string { return "-" }, func(*testing.T) io.Reader { return bytes.NewReader(nil) }, ErrUnsupported},
		{"missing file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "gone.mp4") }, nil, fs.ErrNotExist},
		{"truncated mp4, moov at the end", func(t *testing.T) string {
			return truncated(t, media(t, "trunc.mp4", video...), "trunc.mp4")
		}, nil, ErrMalformed},
		{"truncated mp4, moov first", func(t *testing.T) string {
			return truncated(t, media(t, "trunc_faststart.mp4", concat(video, []string{"-movflags", "+faststart"})...), "trunc.mp4")
		}, nil, ErrMalformed},
		{"truncated mkv", func(t *testing.T) string {
			return truncated(t, media(t, "trunc.mkv", video...), "trunc.mkv")
		}, nil, ErrMalformed},
		{"mkv without key frames", func(t *testing.T) string {
			return media(t, "nokey.mkv", concat(video, []string{"-bsf:v", "noise=drop=key"})...)
		}, nil, ErrNoKeyFrame},
		{"h264 without key frames", func(t *testing.T) string {
			return writeFile(t, "nokey.h264", withoutLeadingIDR(t, media(t, "one_idr.h264", oneIDR...)))
		}, nil, ErrNoKeyFrame},
		{"audio-only mp4", func(t *testing.T) string { return media(t, "audio.m4a", audioOnly...) }, nil, ErrNoVideo},
		{"audio-only mkv", func(t *testing.T) string { return media(t, "audio.mka", audioOnly...) }, nil, ErrNoVideo},
		{"mpeg-4 part 2 video", func(t *testing.T) string {
			return media(t, "mpeg4.mkv", concat(lavfiVideo, []string{"-c:v", "mpeg4"})...)
		}, nil, ErrNoVideo},
		{"mp4 on stdin", func(*testing.T) string { return "-" }, func(t *testing.T) io.Reader {
			data, err := os.ReadFile(media(t, "stdin.mp4", video...))
			require.NoError(t, err)
			return bytes.NewReader(data)
		}, ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdin io.Reader
			if tc.stdin != nil {
				stdin = tc.stdin(t)
			}
			err := drain(tc.path(t), stdin)
			require.ErrorIs(t, err, tc.want)
			t.Log(err)
		})
	}
}
