package parser

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openkvs/openkvs/mkv"
	"github.com/stretchr/testify/require"
)

// splitChunks cuts a GetMedia capture at its EBML headers.
func splitChunks(t testing.TB, data []byte) [][]byte {
	t.Helper()
	r := mkv.NewReader(bytes.NewReader(data), mkv.ReaderOptions{})
	var starts []int
	for {
		k, err := r.Next()
		if err != nil {
			break
		}
		if k == mkv.KindEBMLHeader {
			starts = append(starts, int(r.Element().Offset))
		}
	}
	var out [][]byte
	for i, s := range starts {
		end := len(data)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		out = append(out, data[s:end])
	}
	return out
}

// ffprobeFrames counts the video frames of a file with ffprobe and returns
// what ffprobe printed on stderr.
func ffprobeFrames(t *testing.T, path string, extra ...string) (int, string) {
	t.Helper()
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe not installed")
	}
	args := append([]string{"-v", "error"}, extra...)
	args = append(args, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	n, err := strconv.Atoi(strings.TrimSpace(stdout.String()))
	require.NoError(t, err, stdout.String())
	return n, stderr.String()
}

// TestMergeFFprobe merges real GetMedia captures into one file each and
// lets ffprobe count the frames.
func TestMergeFFprobe(t *testing.T) {
	tests := []struct {
		file     string
		frames   []int // per output segment
		truncErr bool
		opts     MergeOptions
	}{
		{file: "output_get_media.mkv", frames: []int{300}},
		{file: "kinesis_video_renderer_example_output.mkv", frames: []int{444}},
		// Cluster Timecode restarts at 0: a new segment per upload.
		{file: "output-get-media-equal-timecode.mkv", frames: []int{120, 119}, truncErr: true},
		{file: "output-get-media-non-increasing-timecode.mkv", frames: []int{30, 328}, truncErr: true},
		{file: "output-get-media-non-increasing-timecode.mkv", frames: []int{358}, truncErr: true,
			opts: MergeOptions{AllowTimestampRegression: true}},
	}
	for _, tc := range tests {
		name := tc.file
		if tc.opts.AllowTimestampRegression {
			name += "/allow-regression"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var files []string
			newFile := func() (io.Writer, error) {
				p := filepath.Join(dir, "out"+strconv.Itoa(len(files))+".mkv")
				f, err := os.Create(p)
				if err != nil {
					return nil, err
				}
				t.Cleanup(func() { f.Close() })
				files = append(files, p)
				return f, nil
			}
			first, err := newFile()
			require.NoError(t, err)
			opts := tc.opts
			var breaks []*BreakError
			opts.NextWriter = func(b *BreakError) (io.Writer, error) {
				breaks = append(breaks, b)
				return newFile()
			}
			src := bytes.NewReader(readFixture(t, parserLib+"/"+tc.file))
			err = Merge(first, src, opts)
			if tc.truncErr {
				require.ErrorIs(t, err, ErrTruncated)
			} else {
				require.NoError(t, err)
			}
			require.Len(t, files, len(tc.frames))
			for _, b := range breaks {
				require.Equal(t, BreakTimestampRegression, b.Reason)
			}
			for i, p := range files {
				n, stderr := ffprobeFrames(t, p)
				require.Equal(t, tc.frames[i], n, "segment %d", i)
				require.Empty(t, stderr, "ffprobe complained about segment %d", i)
				// The merged file reads back as one plain chunk.
				f, err := os.Open(p)
				require.NoError(t, err)
				got, err := collect(f, Options{})
				f.Close()
				require.NoError(t, err)
				require.Len(t, got, 1)
				require.Equal(t, tc.frames[i], got[0].frames)
				require.Empty(t, got[0].chunk.KVSTags, "KVS tags are dropped")
			}
		})
	}
}

// TestMergeBreak checks the typed errors when no NextWriter is given.
func TestMergeBreak(t *testing.T) {
	ogm := splitChunks(t, readFixture(t, parserLib+"/output_get_media.mkv"))
	rend := splitChunks(t, readFixture(t, parserLib+"/kinesis_video_renderer_example_output.mkv"))
	eq := readFixture(t, parserLib+"/output-get-media-equal-timecode.mkv")
	tests := []struct {
		name   string
		input  []byte
		reason BreakReason
		chunk  int
		frames int
	}{
		{name: "codec private changes", input: append(bytes.Clone(ogm[0]), rend[0]...), reason: BreakTracksChanged, chunk: 1, frames: 60},
		{name: "timecode repeats", input: eq, reason: BreakTimestampRegression, chunk: 1, frames: 120},
		{name: "timecode goes back", input: append(bytes.Clone(ogm[1]), ogm[0]...), reason: BreakTimestampRegression, chunk: 1, frames: 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			m := NewMerger(&out, MergeOptions{})
			err := NewReader(bytes.NewReader(tc.input), Options{}).Walk(m.Handler())
			var be *BreakError
			require.ErrorAs(t, err, &be)
			require.ErrorIs(t, err, ErrSegmentBreak)
			require.Equal(t, tc.reason, be.Reason)
			require.Equal(t, tc.chunk, be.Chunk.Index)
			require.Equal(t, 1, be.Segment)
			require.ErrorIs(t, m.Close(), ErrSegmentBreak)
			require.Equal(t, tc.frames, m.Frames())
			require.Equal(t, 1, m.Segments())
		})
	}
}

// TestMergeConcatenate writes every segment to the same writer, as the Java
// OutputSegmentMerger does.
func TestMergeConcatenate(t *testing.T) {
	var out bytes.Buffer
	var reasons []BreakReason
	ogm := splitChunks(t, readFixture(t, parserLib+"/output_get_media.mkv"))
	rend := splitChunks(t, readFixture(t, parserLib+"/kinesis_video_renderer_example_output.mkv"))
	input := bytes.Join([][]byte{ogm[0], ogm[1], rend[0], rend[1]}, nil)
	err := Merge(&out, bytes.NewReader(input), MergeOptions{NextWriter: func(b *BreakError) (io.Writer, error) {
		reasons = append(reasons, b.Reason)
		return &out, nil
	}})
	require.NoError(t, err)
	require.Equal(t, []BreakReason{BreakTracksChanged}, reasons)
	got, err := collect(&out, Options{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, 120, got[0].frames)
	require.Equal(t, 118, got[1].frames)
	require.Equal(t, uint64(480), got[1].chunk.Tracks[0].Video.PixelHeight)
}

// TestMergeKeepKVSTags keeps the AWS tags: the merged file then parses back
// into the original chunks.
func TestMergeKeepKVSTags(t *testing.T) {
	var out bytes.Buffer
	src := readFixture(t, parserLib+"/test_mixed_tags.mkv")
	require.NoError(t, Merge(&out, bytes.NewReader(src), MergeOptions{KeepKVSTags: true}))
	want, err := collect(bytes.NewReader(src), Options{})
	require.NoError(t, err)
	got, err := collect(&out, Options{})
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i].chunk, got[i].chunk
		require.Equal(t, w.FragmentNumber, g.FragmentNumber)
		require.Equal(t, w.ContinuationToken, g.ContinuationToken)
		require.Equal(t, w.ServerTimestamp, g.ServerTimestamp)
		require.Equal(t, w.ProducerTimestamp, g.ProducerTimestamp)
		require.Equal(t, w.BehindNow, g.BehindNow)
		require.Equal(t, w.Tags, g.Tags)
		require.Equal(t, want[i].frames, got[i].frames)
	}
	require.Len(t, got[0].chunk.HeaderTags, 5, "the stream-level producer tags are kept in the header")
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestMergeWriteError(t *testing.T) {
	err := Merge(errWriter{}, bytes.NewReader(readFixture(t, parserLib+"/test_mixed_tags.mkv")), MergeOptions{})
	require.ErrorContains(t, err, "disk full")
}
