package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/openkvs/openkvs/mkv"
	"github.com/stretchr/testify/require"
)

// firstTrack returns the first track of the first chunk of a fixture.
func firstTrack(t *testing.T, path string) mkv.TrackEntry {
	t.Helper()
	r := NewReader(bytes.NewReader(readFixture(t, path)), Options{})
	k, err := r.Next()
	require.NoError(t, err)
	require.Equal(t, KindChunkStart, k)
	return r.Chunk().Tracks[0]
}

// TestParseAVCDecoderConfig decodes the real H.264 codec private data.
func TestParseAVCDecoderConfig(t *testing.T) {
	tests := []struct {
		path                  string
		profile, level        uint8
		lengthSize            int
		spsLen, ppsLen        int
		annexBCodecPrivateLen int
	}{
		{path: producerDir + "/putmedia-body.mkv", profile: 100, level: 30, lengthSize: 4, spsLen: 29, ppsLen: 5},
		{path: parserLib + "/output_get_media.mkv", profile: 77, level: 30, lengthSize: 4, spsLen: 39, ppsLen: 4},
		{path: parserLib + "/kinesis_video_renderer_example_output.mkv", profile: 100, level: 40, lengthSize: 4, spsLen: 14, ppsLen: 4},
		{path: parserLib + "/output-get-media-non-increasing-timecode.mkv", profile: 100, level: 31, lengthSize: 4, spsLen: 34, ppsLen: 5},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			tr := firstTrack(t, tc.path)
			require.Equal(t, CodecH264, tr.CodecID)
			cfg, err := ParseAVCDecoderConfig(tr.CodecPrivate)
			require.NoError(t, err)
			require.Equal(t, tc.profile, cfg.Profile)
			require.Equal(t, tc.level, cfg.Level)
			require.Equal(t, tc.lengthSize, cfg.LengthSize)
			require.Len(t, cfg.SPS, 1)
			require.Len(t, cfg.PPS, 1)
			require.Len(t, cfg.SPS[0], tc.spsLen)
			require.Len(t, cfg.PPS[0], tc.ppsLen)
			require.EqualValues(t, H264NALSPS, H264NALType(cfg.SPS[0]))
			require.EqualValues(t, H264NALPPS, H264NALType(cfg.PPS[0]))
			require.Equal(t, tc.profile, cfg.SPS[0][1], "profile_idc is the SPS's second octet")

			ab := cfg.AppendAnnexB(nil)
			require.Equal(t, slices.Concat(startCode, cfg.SPS[0], startCode, cfg.PPS[0]), ab)
			// A codec private in Annex B form gives the same parameter sets.
			cfg2, err := ParseAVCDecoderConfig(ab)
			require.NoError(t, err)
			require.Equal(t, cfg.SPS, cfg2.SPS)
			require.Equal(t, cfg.PPS, cfg2.PPS)
			require.Equal(t, cfg.Profile, cfg2.Profile)
		})
	}
}

// TestParseHEVCDecoderConfig decodes the real H.265 codec private data.
func TestParseHEVCDecoderConfig(t *testing.T) {
	tr := firstTrack(t, producerDir+"/putmedia-body-h265.mkv")
	require.Equal(t, CodecH265, tr.CodecID)
	require.Len(t, tr.CodecPrivate, 123)
	cfg, err := ParseHEVCDecoderConfig(tr.CodecPrivate)
	require.NoError(t, err)
	require.EqualValues(t, 1, cfg.ProfileIDC, "Main profile")
	require.EqualValues(t, 1, cfg.ChromaFormat)
	require.EqualValues(t, 8, cfg.BitDepthLuma)
	require.Equal(t, 4, cfg.LengthSize)
	require.Len(t, cfg.VPS, 1)
	require.Len(t, cfg.SPS, 1)
	require.Len(t, cfg.PPS, 1)
	require.EqualValues(t, H265NALVPS, H265NALType(cfg.VPS[0]))
	require.EqualValues(t, H265NALSPS, H265NALType(cfg.SPS[0]))
	require.EqualValues(t, H265NALPPS, H265NALType(cfg.PPS[0]))
	ab := cfg.AppendAnnexB(nil)
	var types []uint8
	for nal := range AnnexBUnits(ab) {
		types = append(types, H265NALType(nal))
	}
	require.Equal(t, []uint8{H265NALVPS, H265NALSPS, H265NALPPS}, types)
	cfg2, err := ParseHEVCDecoderConfig(ab)
	require.NoError(t, err)
	require.Equal(t, cfg.SPS, cfg2.SPS)
}

// TestCodecPrivateErrors feeds broken records.
func TestCodecPrivateErrors(t *testing.T) {
	avc := firstTrack(t, producerDir+"/putmedia-body.mkv").CodecPrivate
	hevc := firstTrack(t, producerDir+"/putmedia-body-h265.mkv").CodecPrivate
	tests := []struct {
		name string
		data []byte
		hevc bool
	}{
		{name: "avc empty", data: nil},
		{name: "avc version 0", data: append([]byte{0}, avc[1:]...)},
		{name: "avc cut in sps", data: avc[:12]},
		{name: "avc cut before pps count", data: avc[:8+29]},
		{name: "avc annex b without sps", data: []byte{0, 0, 0, 1, 0x68, 1, 2}},
		{name: "hevc short", data: hevc[:22], hevc: true},
		{name: "hevc cut in array", data: hevc[:40], hevc: true},
		{name: "hevc annex b without sps", data: []byte{0, 0, 1, 0x40, 1}, hevc: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.hevc {
				_, err = ParseHEVCDecoderConfig(tc.data)
			} else {
				_, err = ParseAVCDecoderConfig(tc.data)
			}
			require.ErrorIs(t, err, ErrInvalidNAL)
		})
	}
}

// TestNALUnits checks both NAL unit framings on hand-made input.
func TestNALUnits(t *testing.T) {
	a, b, c := []byte{0x67, 1, 2}, []byte{0x68, 3}, []byte{0x65, 0, 0, 3, 0, 9}
	tests := []struct {
		name   string
		annexB []byte
		units  [][]byte
	}{
		{name: "4-octet start codes", annexB: slices.Concat([]byte{0, 0, 0, 1}, a, []byte{0, 0, 0, 1}, b), units: [][]byte{a, b}},
		{name: "3-octet start codes", annexB: slices.Concat([]byte{0, 0, 1}, a, []byte{0, 0, 1}, c), units: [][]byte{a, c}},
		{name: "trailing zeros dropped", annexB: slices.Concat([]byte{0, 0, 1}, a, []byte{0, 0}, []byte{0, 0, 0, 1}, b, []byte{0}), units: [][]byte{a, b}},
		{name: "leading zeros", annexB: slices.Concat([]byte{0, 0, 0, 0, 0, 1}, b), units: [][]byte{b}},
		{name: "empty units skipped", annexB: slices.Concat([]byte{0, 0, 1, 0, 0, 1}, b, []byte{0, 0, 1}), units: [][]byte{b}},
		{name: "no start code", annexB: []byte{1, 2, 3}, units: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [][]byte
			for nal := range AnnexBUnits(tc.annexB) {
				got = append(got, nal)
			}
			require.Equal(t, tc.units, got)
			if tc.units == nil {
				_, err := AnnexBToAVCC(nil, tc.annexB, 4)
				require.ErrorIs(t, err, ErrInvalidNAL)
				return
			}
			for _, size := range []int{1, 2, 4} {
				avcc, err := AnnexBToAVCC(nil, tc.annexB, size)
				require.NoError(t, err)
				var back [][]byte
				for nal, err := range AVCCUnits(avcc, size) {
					require.NoError(t, err)
					back = append(back, nal)
				}
				require.Equal(t, tc.units, back)
				ab, err := AVCCToAnnexB(nil, avcc, size)
				require.NoError(t, err)
				var want []byte
				for _, u := range tc.units {
					want = slices.Concat(want, startCode, u)
				}
				require.Equal(t, want, ab)
			}
		})
	}
	// Malformed AVCC.
	for _, bad := range []struct {
		data []byte
		size int
	}{
		{[]byte{0, 0, 0, 5, 1}, 4},
		{[]byte{0, 0}, 4},
		{[]byte{2, 1}, 1},
		{[]byte{1, 1}, 5},
		{[]byte{1, 1}, 0},
	} {
		_, err := AVCCToAnnexB(nil, bad.data, bad.size)
		require.ErrorIs(t, err, ErrInvalidNAL, "%x/%d", bad.data, bad.size)
	}
	_, err := AnnexBToAVCC(nil, slices.Concat(startCode, bytes.Repeat([]byte{0xaa}, 300)), 1)
	require.ErrorIs(t, err, ErrInvalidNAL, "unit too long for a 1-octet length")
}

// TestAnnexBConverterFFprobe converts real frames to Annex B elementary
// streams, checks that AVCC -> Annex B -> AVCC gives the frames back, and
// lets ffprobe decode the result.
func TestAnnexBConverterFFprobe(t *testing.T) {
	tests := []struct {
		path   string
		format string
		frames int
	}{
		{path: parserLib + "/output_get_media.mkv", format: "h264", frames: 300},
		{path: parserLib + "/kinesis_video_renderer_example_output.mkv", format: "h264", frames: 444},
		{path: producerDir + "/putmedia-body.mkv", format: "h264", frames: 215},
		{path: producerDir + "/putmedia-body-h265.mkv", format: "hevc", frames: 614},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			var conv *AnnexBConverter
			var es, frame, back []byte
			n, keyframes := 0, 0
			err := NewReader(bytes.NewReader(readFixture(t, tc.path)), Options{}).Walk(Handler{
				ChunkStart: func(c *Chunk) error {
					var err error
					if conv == nil {
						conv, err = NewAnnexBConverter(c.Tracks[0])
					}
					return err
				},
				Frame: func(c *Chunk, f *Frame) error {
					var err error
					frame, err = conv.Append(frame[:0], f)
					if err != nil {
						return err
					}
					if f.Keyframe {
						keyframes++
						first, ok := firstUnit(frame)
						require.True(t, ok)
						if tc.format == "hevc" {
							require.EqualValues(t, H265NALVPS, H265NALType(first))
						} else if !bytes.Contains(frame, conv.ParameterSets()) {
							t.Fatalf("key frame %d without parameter sets", n)
						}
					}
					back, err = AnnexBToAVCC(back[:0], frame, 4)
					require.NoError(t, err)
					if !f.Keyframe || !bytes.HasPrefix(frame, conv.ParameterSets()) {
						require.Equal(t, f.Data, back, "round trip of frame %d", n)
					}
					es = append(es, frame...)
					n++
					return nil
				},
			})
			require.NoError(t, err)
			require.Equal(t, tc.frames, n)
			require.NotZero(t, keyframes)
			p := filepath.Join(t.TempDir(), "es."+tc.format)
			require.NoError(t, os.WriteFile(p, es, 0o600))
			got, _ := ffprobeFrames(t, p, "-f", tc.format)
			require.Equal(t, tc.frames, got)
		})
	}
}

func firstUnit(ab []byte) ([]byte, bool) {
	for nal := range AnnexBUnits(ab) {
		return nal, true
	}
	return nil, false
}

// TestAnnexBConverterPassThrough passes Annex B frames through and rejects
// other codecs.
func TestAnnexBConverterPassThrough(t *testing.T) {
	tr := firstTrack(t, parserLib+"/output_get_media.mkv")
	conv, err := NewAnnexBConverter(tr)
	require.NoError(t, err)
	slice := slices.Concat(startCode, []byte{0x41, 0x9a, 1, 2})
	out, err := conv.Append(nil, &Frame{Data: slice})
	require.NoError(t, err)
	require.Equal(t, slice, out)
	idr := slices.Concat(startCode, []byte{0x65, 0x88, 1, 2})
	out, err = conv.Append(nil, &Frame{Data: idr, Keyframe: true})
	require.NoError(t, err)
	require.Equal(t, slices.Concat(conv.ParameterSets(), idr), out)

	_, err = NewAnnexBConverter(mkv.TrackEntry{CodecID: "A_AAC"})
	require.ErrorIs(t, err, ErrInvalidNAL)
	_, err = NewAnnexBConverter(mkv.TrackEntry{CodecID: CodecH265, CodecPrivate: []byte{1}})
	require.ErrorIs(t, err, ErrInvalidNAL)
}
