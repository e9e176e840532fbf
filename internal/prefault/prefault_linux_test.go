package prefault

import (
	"runtime/debug"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The point of the package: the pages are resident before anything
// touches them. A buffer from make alone is not: FreeOSMemory first gives
// every free page back, so both allocations get unmapped memory.
func TestBytesAreResident(t *testing.T) {
	const size = 64 << 20
	debug.FreeOSMemory()
	if got := resident(t, make([]byte, size)); got > size/2 {
		t.Fatalf("%d of %d bytes of a plain allocation resident: the comparison means nothing", got, size)
	}
	debug.FreeOSMemory()
	if got := resident(t, Bytes(0, size)); got < size-2*pageSize {
		t.Fatalf("%d of %d bytes resident after Bytes", got, size)
	}
}

// resident counts the bytes of b's whole pages that are mapped.
func resident(t *testing.T, b []byte) int {
	t.Helper()
	b = b[:cap(b)]
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + pageSize - 1) &^ (pageSize - 1)
	end := (p + uintptr(len(b))) &^ (pageSize - 1)
	vec := make([]byte, (end-start)/pageSize)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, start, end-start, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v&1) * pageSize
	}
	return n
}

// BenchmarkFreshPages is the measurement behind the package: the cost per
// 4 KiB page of fresh anonymous memory, faulted in by a store to each page
// against mapped by Populate first, against touching memory that is mapped
// already (warm), and against faulting in a region advised MADV_HUGEPAGE
// (the kernel's transparent huge pages, 2 MiB a fault when it has one
// free). Each op maps, touches and unmaps 64 MiB.
func BenchmarkFreshPages(b *testing.B) {
	const size = 64 << 20
	for _, tc := range []struct {
		name                 string
		populate, warm, huge bool
	}{{"fault", false, false, false}, {"populate", true, false, false}, {"warm", false, true, false}, {"hugepage", false, false, true}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
				if err != nil {
					b.Fatal(err)
				}
				switch {
				case tc.populate:
					Populate(m)
				case tc.huge:
					if err := unix.Madvise(m, unix.MADV_HUGEPAGE); err != nil {
						b.Skipf("MADV_HUGEPAGE: %v", err)
					}
				case tc.warm:
					b.StopTimer()
					touchPages(m)
					b.StartTimer()
				}
				touchPages(m)
				if err := unix.Munmap(m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(size/pageSize), "ns/page")
		})
	}
}

// touchPages writes one byte to each page of m.
func touchPages(m []byte) {
	for i := 0; i < len(m); i += pageSize {
		m[i] = 1
	}
}
