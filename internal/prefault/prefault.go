package prefault

// pageSize is the granule that Populate maps; larger pages only make it
// map a little less than it could.
const pageSize = 4096

// Bytes returns make([]byte, n, c) with the pages of its capacity mapped.
func Bytes(n, c int) []byte {
	b := make([]byte, n, c)
	Populate(b)
	return b
}

// Append appends src to dst like the built-in append. When dst has no room
// it moves to a new, mapped buffer of twice the capacity (or more, to fit).
func Append(dst, src []byte) []byte {
	if need := len(dst) + len(src); need > cap(dst) {
		nb := Bytes(len(dst), max(2*cap(dst), need))
		copy(nb, dst)
		dst = nb
	}
	return append(dst, src...)
}

// Populate maps the pages wholly inside b's capacity, for writing. Pages
// that are mapped already keep their content.
func Populate(b []byte) {
	b = b[:cap(b)]
	if len(b) < 2*pageSize {
		return
	}
	populate(b)
}
