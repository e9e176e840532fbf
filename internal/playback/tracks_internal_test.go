package playback

import "testing"

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
