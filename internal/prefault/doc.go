// Package prefault allocates byte buffers whose memory is mapped up front,
// in one system call, rather than by one page fault per 4 KiB page on
// first touch.
//
// On the virtual machines kvsd is measured on, a fresh 4 KiB page costs
// about 12.5 µs when it faults in on first touch, and about 6.7 µs in all
// when one madvise(MADV_POPULATE_WRITE) maps it first: the call itself is
// under 1 µs a page, and the first write to each page still costs the
// rest (BenchmarkFreshPages, docs/benchmarks.md). Faults were most of the
// CPU that 500 PutMedia sessions starting in the same second spent: each
// touches hundreds of KiB of fresh fragment buffer, and the store as many
// bytes of fresh batch blocks, so acknowledgements waited behind them.
//
// Only buffers that are large and about to be filled are worth it; small
// ones are cheaper left to the Go allocator. Where the kernel lacks
// MADV_POPULATE_WRITE (before Linux 5.14) or on other systems, the pages
// fault in on first touch as usual.
package prefault
