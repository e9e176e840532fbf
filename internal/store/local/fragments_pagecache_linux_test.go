package local

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/openkvs/openkvs/internal/store"
)

// TestFragmentsLargeFragmentsThroughPageCache appends a small fragment, a
// large one and a small one, each its own batch: the large one is synced
// with O_DIRECT off, the others with it on, and all three read back intact
// after a reopen.
func TestFragmentsLargeFragmentsThroughPageCache(t *testing.T) {
	dir := t.TempDir()
	hdr := []byte("hdr")
	s := openTestFragments(t, dir, FragmentsOptions{})
	var mu sync.Mutex
	var direct []bool
	s.syncFile = func(f *os.File) error {
		flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
		if err != nil {
			return err
		}
		mu.Lock()
		direct = append(direct, flags&unix.O_DIRECT != 0)
		mu.Unlock()
		return f.Sync()
	}
	frags := []store.Fragment{
		appendDurable(t, s, newFragment(testARN, 0, 100_000, hdr)),
		appendDurable(t, s, newFragment(testARN, 1, pageCacheFragmentBytes+1, hdr)),
		appendDurable(t, s, newFragment(testARN, 2, 100_000, hdr)),
	}
	if s.w.buffered {
		t.Skip("the filesystem of the test's temp dir refuses O_DIRECT")
	}
	mu.Lock()
	require.Equal(t, []bool{true, false, true}, direct, "O_DIRECT at each batch's fsync")
	mu.Unlock()

	require.NoError(t, s.Close())
	s = openTestFragments(t, dir, FragmentsOptions{})
	fs, err := s.List(context.Background(), store.FragmentQuery{Stream: testARN})
	require.NoError(t, err)
	require.Len(t, fs, len(frags))
	for _, f := range frags {
		requireIntact(t, s, f)
	}
}
