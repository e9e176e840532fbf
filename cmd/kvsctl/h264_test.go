package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// Parameter sets written by real encoders (SPS and PPS NAL units, headers
// included), with what ffprobe reports for them.
const (
	// libx264, High, 640x360 (ffmpeg testsrc).
	x264SPS = "6764001eacb405017fcb80880000030008000003019078b175"
	x264PPS = "68ef3cb0"
	// The ffmpeg Matroska muxer's CodecPrivate for x264SPS/x264PPS.
	x264AVCC = "0164001effe100196764001eacb405017fcb80880000030008000003019078b17501000468ef3cb0fdf8f800"
	// The KVS producer C SDK sample frames, High, 640x480
	// (shared/fixtures/producer-c/putmedia-body.mkv).
	sdkSPS = "6764001eacb201407b602d4180415000000300100000030328f162e480"
	sdkPPS = "68ebccb22c"
	// The SDK's own CodecPrivate, which has no High-profile extension.
	sdkAVCC = "0164001effe1001d6764001eacb201407b602d4180415000000300100000030328f162e48001000568ebccb22c"
	// libx264 Constrained Baseline 1920x1080 (8 rows cropped).
	baselineSPS = "6742c028d900780227e5c044000003000400000300c83c60c920"
	baselinePPS = "68cb83cb20"
	// libx264 interlaced (frame_mbs_only_flag 0) 720x576.
	interlacedSPS = "6764001eacd940b424d8088000000300800000190f8a14cb"
	// libx264 High 4:4:4 Predictive, 320x240.
	yuv444SPS = "67f4000d919b28283f6022000003000200000300641e28532c"
	// libx264 High 10, 1280x720.
	high10SPS = "676e001fa6cd9405005bb011000003000100000300320f183196"
)

// bitWriter builds RBSPs for synthetic parameter sets.
type bitWriter struct {
	b []byte
	n int // bits used
}

func (w *bitWriter) bit(v uint) {
	if w.n%8 == 0 {
		w.b = append(w.b, 0)
	}
	if v != 0 {
		w.b[len(w.b)-1] |= 0x80 >> (w.n % 8)
	}
	w.n++
}

func (w *bitWriter) bits(v uint, n int) {
	for i := n - 1; i >= 0; i-- {
		w.bit(v >> i & 1)
	}
}

func (w *bitWriter) ue(v uint) {
	v++
	n := 0
	for x := v; x > 1; x >>= 1 {
		n++
	}
	w.bits(0, n)
	w.bits(v, n+1)
}

func (w *bitWriter) se(v int) {
	if v > 0 {
		w.ue(uint(2*v - 1))
	} else {
		w.ue(uint(-2 * v))
	}
}

// syntheticSPS is a High-profile 1920x1080 SPS with scaling lists and
// pic_order_cnt_type 1, which no x264 setting produces.
func syntheticSPS() []byte {
	w := &bitWriter{}
	w.ue(0) // seq_parameter_set_id
	w.ue(1) // chroma_format_idc
	w.ue(0) // bit_depth_luma_minus8
	w.ue(0) // bit_depth_chroma_minus8
	w.bit(0)
	w.bit(1) // seq_scaling_matrix_present_flag
	for i := range 8 {
		switch i {
		case 0:
			w.bit(1)
			w.se(-8) // nextScale 0: use the default matrix, no more deltas
		case 6:
			w.bit(1)
			for range 64 {
				w.se(0)
			}
		default:
			w.bit(0)
		}
	}
	w.ue(0) // log2_max_frame_num_minus4
	w.ue(1) // pic_order_cnt_type
	w.bit(0)
	w.se(-2)
	w.se(3)
	w.ue(2)
	w.se(1)
	w.se(-1)
	w.ue(4)   // max_num_ref_frames
	w.bit(0)  // gaps
	w.ue(119) // 120 macroblocks wide
	w.ue(67)  // 68 high
	w.bit(1)  // frame_mbs_only_flag
	w.bit(1)  // direct_8x8_inference_flag
	w.bit(1)  // frame_cropping_flag
	w.ue(0)
	w.ue(0)
	w.ue(0)
	w.ue(4)  // 8 rows at the bottom
	w.bit(0) // vui_parameters_present_flag
	w.bit(1) // rbsp_stop_one_bit
	return append([]byte{0x67, 100, 0, 40}, w.b...)
}

// TestParseSPS checks the SPS parser the bench takes the picture size
// from (the producer library's) on parameter sets of real encoders.
func TestParseSPS(t *testing.T) {
	tests := []struct {
		name    string
		sps     []byte
		profile uint8
		// depth is bit_depth_minus8, as the SPS codes it.
		chroma, depth uint8
		width, height int
		wantErr       bool
	}{
		{name: "x264 high", sps: unhex(t, x264SPS), profile: 100, chroma: 1, width: 640, height: 360},
		{name: "producer SDK sample", sps: unhex(t, sdkSPS), profile: 100, chroma: 1, width: 640, height: 480},
		{name: "baseline cropped", sps: unhex(t, baselineSPS), profile: 66, chroma: 1, width: 1920, height: 1080},
		{name: "interlaced", sps: unhex(t, interlacedSPS), profile: 100, chroma: 1, width: 720, height: 576},
		{name: "4:4:4", sps: unhex(t, yuv444SPS), profile: 244, chroma: 3, width: 320, height: 240},
		{name: "10 bit", sps: unhex(t, high10SPS), profile: 110, chroma: 1, depth: 2, width: 1280, height: 720},
		{name: "scaling lists and poc type 1", sps: syntheticSPS(), profile: 100, chroma: 1, width: 1920, height: 1080},
		{name: "PPS", sps: unhex(t, x264PPS), wantErr: true},
		{name: "truncated", sps: unhex(t, x264SPS)[:6], wantErr: true},
		{name: "empty", sps: nil, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := producer.ParseH264SPS(tc.sps)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.profile, got.Profile)
			require.Equal(t, tc.chroma, got.ChromaFormat)
			require.Equal(t, 8+tc.depth, got.BitDepthLuma)
			require.Equal(t, 8+tc.depth, got.BitDepthChroma)
			require.Equal(t, tc.width, got.Width)
			require.Equal(t, tc.height, got.Height)
		})
	}
}

// TestAVCDecoderConfig checks the CodecPrivate the bench sends (built by
// the producer library) against ffmpeg's and the producer SDK's, and that
// the parser library reads it back.
func TestAVCDecoderConfig(t *testing.T) {
	tests := []struct {
		name     string
		sps, pps [][]byte
		want     []byte
		wantErr  bool
	}{
		{name: "x264 as ffmpeg writes it", sps: [][]byte{unhex(t, x264SPS)}, pps: [][]byte{unhex(t, x264PPS)}, want: unhex(t, x264AVCC)},
		{
			name: "SDK parameter sets get the High-profile extension",
			sps:  [][]byte{unhex(t, sdkSPS)}, pps: [][]byte{unhex(t, sdkPPS)},
			want: append(unhex(t, sdkAVCC), 0xfd, 0xf8, 0xf8, 0),
		},
		{
			name: "baseline has no extension",
			sps:  [][]byte{unhex(t, baselineSPS)}, pps: [][]byte{unhex(t, baselinePPS)},
			want: append(append(append([]byte{1, 0x42, 0xc0, 0x28, 0xff, 0xe1, 0, 26}, unhex(t, baselineSPS)...), 1, 0, 5), unhex(t, baselinePPS)...),
		},
		{
			name: "two PPS",
			sps:  [][]byte{unhex(t, baselineSPS)}, pps: [][]byte{{0x68, 1}, {0x68, 2}},
			want: append(append([]byte{1, 0x42, 0xc0, 0x28, 0xff, 0xe1, 0, 26}, unhex(t, baselineSPS)...), 2, 0, 2, 0x68, 1, 0, 2, 0x68, 2),
		},
		{name: "no PPS", sps: [][]byte{unhex(t, x264SPS)}, wantErr: true},
		{name: "no SPS", pps: [][]byte{unhex(t, x264PPS)}, wantErr: true},
		{name: "broken SPS", sps: [][]byte{{0x67, 100}}, pps: [][]byte{unhex(t, x264PPS)}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := producer.H264CodecPrivate(tc.sps, tc.pps)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(tc.want), hex.EncodeToString(got))
			cfg, err := parser.ParseAVCDecoderConfig(got)
			require.NoError(t, err)
			require.Equal(t, 4, cfg.LengthSize)
			require.Equal(t, tc.sps[0], cfg.SPS[0])
		})
	}
}

// TestSourceMatchesFFmpegMuxer checks the bench's sources, read through
// mediasource, against ffmpeg's Matroska muxer: the raw Annex B stream and
// ffmpeg's Matroska of it must give the same frames and CodecPrivate.
func TestSourceMatchesFFmpegMuxer(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	ctx := context.Background()
	raw, err := exec.CommandContext(ctx, "ffmpeg", ffmpegArgs(25, 25, 2, 1_000_000)...).Output()
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
		"-f", "h264", "-i", "pipe:0", "-c", "copy", "-f", "matroska", "pipe:1")
	cmd.Stdin = bytes.NewReader(raw)
	muxed, err := cmd.Output()
	require.NoError(t, err)

	mine, err := readSource(ctx, "-", bytes.NewReader(raw), 0)
	require.NoError(t, err)
	dir := t.TempDir()
	mkvPath := filepath.Join(dir, "muxed.mkv")
	require.NoError(t, os.WriteFile(mkvPath, muxed, 0o600))
	theirs, err := loadSource(ctx, mkvPath, 0)
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(theirs.CodecPrivate), hex.EncodeToString(mine.CodecPrivate))
	require.Equal(t, 640, mine.Width)
	require.Equal(t, 360, mine.Height)
	require.Len(t, mine.Frames, 50)
	require.Len(t, theirs.Frames, len(mine.Frames))
	keys := 0
	for i := range mine.Frames {
		require.Equal(t, theirs.Frames[i].Key, mine.Frames[i].Key, "frame %d", i)
		require.True(t, bytes.Equal(theirs.Frames[i].Data, mine.Frames[i].Data), "frame %d", i)
		if mine.Frames[i].Key {
			keys++
		}
	}
	require.Equal(t, 2, keys, "one IDR per 25-frame GOP")

	limited, err := loadSource(ctx, mkvPath, 10)
	require.NoError(t, err)
	require.Len(t, limited.Frames, 10)

	_, err = loadSource(ctx, filepath.Join(dir, "missing.mkv"), 0)
	require.Error(t, err)
	notVideo := filepath.Join(dir, "text.h264")
	require.NoError(t, os.WriteFile(notVideo, []byte("not video at all"), 0o600))
	_, err = loadSource(ctx, notVideo, 0)
	require.Error(t, err)
}
