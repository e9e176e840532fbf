package prefault

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// populate maps the whole pages inside b. Errors are ignored: the pages
// then fault in on first touch.
func populate(b []byte) {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + pageSize - 1) &^ (pageSize - 1)
	end := (p + uintptr(len(b))) &^ (pageSize - 1)
	if start < end {
		_ = unix.Madvise(b[start-p:end-p], unix.MADV_POPULATE_WRITE)
	}
}

// PhysicalMemory returns the machine's memory in bytes, or 0 if unknown.
func PhysicalMemory() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
