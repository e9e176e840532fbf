//go:build !linux

package local

// oDirect is 0 where the platform has no O_DIRECT: writes go through the
// page cache.
const oDirect = 0
