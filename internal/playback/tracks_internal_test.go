package playback

import (
	"errors"
	"testing"

	"github.com/openkvs/openkvs/mkv"
)

// TestOpusSamples checks packet durations from the TOC byte (RFC 6716
// §3.1) for each mode and frame count code.
func TestOpusSamples(t *testing.T) {
	for _, tc := range []struct {
		p    []byte
		want int64
	}{
		{[]byte{0<<3 | 0}, 480},         // SILK 10 ms, one frame
		{[]byte{3<<3 | 1}, 2 * 2880},    // SILK 60 ms, two frames
		{[]byte{13<<3 | 2}, 2 * 960},    // Hybrid 20 ms, two frames
		{[]byte{16<<3 | 0}, 120},        // CELT 2.5 ms
		{[]byte{31<<3 | 3, 5}, 5 * 960}, // CELT 20 ms, code 3 with 5 frames
		{[]byte{31<<3 | 3}, 0},          // code 3 without its count byte
		{nil, 0},
	} {
		if got := opusSamples(tc.p); got != tc.want {
			t.Errorf("opusSamples(%x) = %d, want %d", tc.p, got, tc.want)
		}
	}
}

// TestAV1Track checks the av01 sample entry of V_AV1 tracks: the size
// comes from the TrackEntry when the av1C record has no configOBUs, and a
// record that does not parse is InvalidCodecPrivateData.
func TestAV1Track(t *testing.T) {
	// av1C: marker+version 1, profile 0 level 8, 8-bit 4:2:0, no OBUs.
	rec := []byte{0x81, 0x08, 0x0c, 0x00}
	tr, err := newTrack(mkv.TrackEntry{Number: 1, CodecID: "V_AV1", CodecPrivate: rec, Video: &mkv.Video{PixelWidth: 640, PixelHeight: 360}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Codec != CodecAV1 || !tr.Codec.Video() || tr.Width != 640 || tr.Height != 360 || tr.CodecString != "av01.0.08M.08" || tr.entry.Type() != "av01" {
		t.Fatalf("track %+v", tr)
	}
	if _, err := newTrack(mkv.TrackEntry{Number: 1, CodecID: "V_AV1", CodecPrivate: rec}); !errors.Is(err, ErrInvalidCodecPrivateData) {
		t.Fatalf("no size: %v", err)
	}
	if _, err := newTrack(mkv.TrackEntry{Number: 1, CodecID: "V_AV1", CodecPrivate: []byte{0x01, 0x08, 0x0c, 0x00}}); !errors.Is(err, ErrInvalidCodecPrivateData) {
		t.Fatalf("bad marker: %v", err)
	}
}
