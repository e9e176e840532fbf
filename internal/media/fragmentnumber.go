package media

import (
	"strconv"
	"strings"
)

// KVS fragment numbers are 47-digit decimal strings. kvsd's are a fixed
// 11-digit prefix followed by the store's number, zero-padded to 36 digits,
// so that they sort as strings in the order of the numbers.
const fragmentNumberPrefix = "91343852333"

// FormatFragmentNumber returns the KVS fragment number string of a store
// fragment number.
func FormatFragmentNumber(n uint64) string {
	var b [47]byte
	copy(b[:], fragmentNumberPrefix)
	for i := len(b) - 1; i >= len(fragmentNumberPrefix); i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

// ParseFragmentNumber returns the store number of a fragment number
// string, or false if the string is not one kvsd issued.
func ParseFragmentNumber(s string) (uint64, bool) {
	if len(s) != 47 || !strings.HasPrefix(s, fragmentNumberPrefix) {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimLeft(s[len(fragmentNumberPrefix):], "0"), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
