package prefault

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
)

func TestClassOf(t *testing.T) {
	for _, tc := range []struct{ c, want int }{
		{MinPooled, MinPooled},
		{MinPooled + 1, 2 * MinPooled},
		{256 << 10, 256 << 10},
		{300 << 10, 512 << 10},
		{chunkSize, chunkSize},
		{chunkSize + 1, 2 * chunkSize},
		{5 << 20, 6 << 20},
	} {
		if got := classOf(tc.c); got != tc.want {
			t.Errorf("classOf(%d) = %d, want %d", tc.c, got, tc.want)
		}
	}
}

func TestGetShape(t *testing.T) {
	for _, tc := range []struct{ n, c, minCap int }{
		{0, 100, 100}, // Go heap
		{10, 256 << 10, 256 << 10},
		{70 << 10, 0, 70 << 10}, // c below n counts as n
		{0, 5 << 20, 5 << 20},
	} {
		b := Get(tc.n, tc.c)
		if len(b) != tc.n || cap(b) < tc.minCap {
			t.Errorf("Get(%d, %d): len %d cap %d", tc.n, tc.c, len(b), cap(b))
		}
		full := b[:cap(b)]
		for i := range full {
			full[i] = byte(i)
		}
		Put(b)
	}
}

// pooled reports whether b lies in the pool's region, i.e. whether this
// system gives the pool one; on Linux it must.
func pooled(t *testing.T, b []byte) bool {
	t.Helper()
	if global.holds(addr(b)) {
		return true
	}
	if runtime.GOOS == "linux" {
		t.Fatal("a pooled request was served from the Go heap on Linux")
	}
	return false
}

func TestPutMakesMemoryReusable(t *testing.T) {
	a := Get(0, 256<<10)
	if !pooled(t, a) {
		return
	}
	before := ReadStats()
	Put(a)
	if got := ReadStats(); got.InUse != before.InUse-256<<10 || got.Mapped != before.Mapped {
		t.Fatalf("after Put: %+v, before %+v", got, before)
	}
	b := Get(0, 200<<10) // same class
	if addr(b) != addr(a) {
		t.Fatal("Get after Put did not reuse the buffer given back")
	}
	Put(b)
}

func TestPutTwicePanics(t *testing.T) {
	b := Get(0, 1<<20)
	if !pooled(t, b) {
		return
	}
	Put(b[:10:20]) // a reslice that starts where Get's did is the same buffer
	defer func() {
		if recover() == nil {
			t.Fatal("second Put did not panic")
		}
	}()
	Put(b)
}

func TestPutIgnoresHeapMemory(t *testing.T) {
	before := ReadStats()
	Put(make([]byte, 1<<20))
	Put(nil)
	Put(Get(10, 100))
	if got := ReadStats(); got != before {
		t.Fatalf("stats changed: %+v, before %+v", got, before)
	}
}

func TestPoolConcurrentBuffersDoNotOverlap(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				b := Get(0, MinPooled<<(i%4))
				b = append(b, bytes.Repeat([]byte{byte(g)}, cap(b))...)
				runtime.Gosched()
				if bytes.Count(b, []byte{byte(g)}) != len(b) {
					t.Error("a buffer was written by another goroutine while out")
					return
				}
				Put(b)
			}
		}()
	}
	wg.Wait()
}
