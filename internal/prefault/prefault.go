package prefault

// pageSize is the granule that Populate maps; larger pages only make it
// map a little less than it could.
const pageSize = 4096

// Populate maps the pages wholly inside b's capacity, for writing. Pages
// that are mapped already keep their content.
func Populate(b []byte) {
	b = b[:cap(b)]
	if len(b) < 2*pageSize {
		return
	}
	populate(b)
}
