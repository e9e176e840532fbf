package producer

import "github.com/openkvs/openkvs/internal/prefault"

// Fragment buffers are large and filled at once, and a program that starts
// many streams allocates hundreds of MiB of them in its first second. On
// virtual machines a fresh page that faults in costs about 12.5 µs, and
// about half as much when one madvise(MADV_POPULATE_WRITE) maps it first:
// with 500 streams starting together, the faults of fresh fragment buffers
// were the largest cost of the whole producer process (see
// docs/benchmarks.md).
// internal/prefault maps them, as it does kvsd's.

// newFragmentBuffer returns an empty buffer of capacity c with its pages
// mapped.
func newFragmentBuffer(c int) []byte {
	b := make([]byte, 0, c)
	prefault.Populate(b)
	return b
}

// appendFragment appends p to b, moving to a new mapped buffer of twice
// the capacity (or more, to fit) when b is full.
func appendFragment(b, p []byte) []byte {
	if need := len(b) + len(p); need > cap(b) {
		nb := newFragmentBuffer(max(2*cap(b), need))[:len(b)]
		copy(nb, b)
		b = nb
	}
	return append(b, p...)
}
