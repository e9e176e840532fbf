package hugeheap

// hugePage is the size of a transparent huge page on x86-64 and arm64 with
// 4 KiB base pages; an advice covers whole huge pages only.
const hugePage = 2 << 20

// Advise reserves up to size bytes of heap address space for huge pages
// and returns how many bytes it advised: 0 where THP is off or already on
// for every mapping, and where memory accounting is strict (the block
// would count against the commit limit). The block is never touched, so
// it costs no memory.
func Advise(size int) (int, error) {
	if size < 2*hugePage {
		return 0, nil
	}
	return advise(size)
}
