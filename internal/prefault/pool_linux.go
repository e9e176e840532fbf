package prefault

import "golang.org/x/sys/unix"

// regionSize is the address space the pool reserves: 64 GiB on 64-bit
// systems, far more than kvsd's buffers need, and 256 MiB where addresses
// are 32 bits. It is only address space: MAP_NORESERVE commits no memory,
// and a page is mapped only when first touched.
const regionSize = 1 << (28 + 8*(^uint(0)>>63))

// reserve maps the pool's region, aligned to chunkSize, and asks for huge
// pages in all of it. The whole region is writable from the start, so
// that taking a chunk needs no system call (an mprotect per chunk would
// also split the mapping and take the process's memory-map lock, which
// page faults wait for). Where the kernel refuses the reservation (strict
// overcommit accounting), the pool is off and Get uses the Go heap.
func reserve() []byte {
	m, err := unix.Mmap(-1, 0, regionSize+chunkSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	skip := int(-addr(m) & (chunkSize - 1))
	region := m[skip : skip+regionSize : skip+regionSize]
	// Without THP (or with it set to "never") the advice fails or does
	// nothing, and the region still works with small pages.
	_ = unix.Madvise(region, unix.MADV_HUGEPAGE)
	return region
}
