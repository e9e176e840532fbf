//go:build !linux

package local

import "os"

// oDirect is 0 where the platform has no O_DIRECT: writes go through the
// page cache.
const oDirect = 0

// adviseWillNeed does nothing where the platform has no posix_fadvise; the
// kernel's own read-ahead applies.
func adviseWillNeed(*os.File, int64, int64) {}

// setDirect does nothing: every write goes through the page cache.
func setDirect(*os.File, bool) error { return nil }
