package ingest

import (
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	p := newPacer(100) // 100 units/s, 100 in the first burst
	start := time.Now()
	for range 10 {
		p.take(15) // 150 units: 50 beyond the burst, about 0.5 s
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 2*time.Second {
		t.Fatalf("150 units at 100/s with a burst of 100 took %s, want about 0.5 s", d)
	}
	off := newPacer(0)
	start = time.Now()
	off.take(1e12)
	if time.Since(start) > 50*time.Millisecond {
		t.Fatal("rate 0 must not wait")
	}
}
