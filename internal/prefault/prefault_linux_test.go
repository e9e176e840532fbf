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
