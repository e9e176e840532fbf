package server

import (
	"math"
	"testing"
)

func TestBufferWarmerTarget(t *testing.T) {
	w := &bufferWarmer{perStream: 512 << 10, limit: 1 << 30}
	for _, tc := range []struct{ streams, want int64 }{
		{0, 0},
		{-1, 0}, // more deletes counted than creates: nothing, not negative
		{3, 3 * 512 << 10},
		{2048, 1 << 30}, // exactly the limit
		{2049, 1 << 30},
		{math.MaxInt64 / 1000, 1 << 30}, // the product would overflow
	} {
		if got := w.target(tc.streams); got != tc.want {
			t.Errorf("target(%d) = %d, want %d", tc.streams, got, tc.want)
		}
	}
	huge := &bufferWarmer{perStream: math.MaxInt64 / 2, limit: 1 << 30}
	if got := huge.target(3); got != 1<<30 {
		t.Errorf("with a huge share per stream, target(3) = %d, want the limit", got)
	}
}
