package producer

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapPages maps the whole 4 KiB pages inside b for writing; mapped pages
// keep their content. Errors are ignored: the pages then fault in on first
// touch (kernels before 5.14 lack MADV_POPULATE_WRITE).
func mapPages(b []byte) {
	const page = 4096
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + page - 1) &^ (page - 1)
	end := (p + uintptr(len(b))) &^ (page - 1)
	if end > start+page {
		_ = unix.Madvise(b[start-p:end-p], unix.MADV_POPULATE_WRITE)
	}
}
