package media

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFragmentNumbers(t *testing.T) {
	for _, n := range []uint64{1, 42, 1 << 40, math.MaxUint64} {
		s := FormatFragmentNumber(n)
		require.Len(t, s, 47)
		require.Regexp(t, `^[0-9]+$`, s)
		got, ok := ParseFragmentNumber(s)
		require.True(t, ok)
		require.Equal(t, n, got)
	}
	require.Less(t, FormatFragmentNumber(9), FormatFragmentNumber(10), "strings sort like the numbers")
	for _, bad := range []string{"", "1", "91343852333", "81343852333000000000000000000000000000000000001",
		"91343852333000000000000000000000000000000000000", "913438523339999999999999999999999999999999999999"} {
		_, ok := ParseFragmentNumber(bad)
		require.False(t, ok, bad)
	}
}
