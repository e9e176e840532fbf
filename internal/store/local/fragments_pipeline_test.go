package local

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
)

// TestFragmentsFailedSyncTakesBackTwoBatches fails the fsync of one batch
// after the next batch has been written behind it, into a segment of its
// own: both batches fail, neither is visible or left in the files, and the
// store goes on in a new segment; after a reopen the files hold exactly the
// fragments that were acknowledged.
func TestFragmentsFailedSyncTakesBackTwoBatches(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	hdr := []byte("hdr")
	// Only a batch of overlapMinBytes or more has its fsync overlap the
	// next write; two such fragments fit in a segment, and the third
	// starts a new one.
	size := overlapMinBytes + 1000
	opts := FragmentsOptions{SegmentSize: int64(2*size + size/2)}
	s := openTestFragments(t, dir, opts)
	first := appendDurable(t, s, newFragment(testARN, 0, size, hdr))
	firstSeg := filepath.Join(dir, segmentDir, segmentFiles(t, dir)[0])
	fi, err := os.Stat(firstSeg)
	require.NoError(t, err)
	before := fi.Size()

	type syncStart struct {
		name string
		size int64
	}
	entered := make(chan syncStart, 1)
	release := make(chan struct{})
	var calls atomic.Int32
	// No sync runs now: first's finished before its ack.
	s.syncFile = func(f *os.File) error {
		if calls.Add(1) != 1 {
			return f.Sync()
		}
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		entered <- syncStart{f.Name(), fi.Size()}
		<-release
		return syscall.EIO
	}

	_, failB, err := s.Append(ctx, newFragment(testARN, 1, size, hdr))
	require.NoError(t, err)
	var at syncStart
	select {
	case at = <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the second batch's fsync never started")
	}
	_, failC, err := s.Append(ctx, newFragment(testARN, 2, size, hdr))
	require.NoError(t, err)
	require.Equal(t, firstSeg, at.name)
	// The third batch is written, to a new segment, while the second
	// one's fsync hangs.
	require.Eventually(t, func() bool {
		entries, err := os.ReadDir(filepath.Join(dir, segmentDir))
		return err == nil && len(entries) == 2
	}, 30*time.Second, time.Millisecond, "the next batch is written while the fsync runs")
	close(release)

	for _, ch := range []<-chan error{failB, failC} {
		select {
		case err := <-ch:
			require.ErrorIs(t, err, syscall.EIO)
		case <-time.After(30 * time.Second):
			t.Fatal("no outcome")
		}
	}
	listed := func() []uint64 {
		fs, err := s.List(ctx, store.FragmentQuery{Stream: testARN})
		require.NoError(t, err)
		var nums []uint64
		for _, f := range fs {
			nums = append(nums, f.Number)
		}
		return nums
	}
	require.Equal(t, []uint64{first.Number}, listed(), "failed fragments are not listed")
	require.Equal(t, []string{filepath.Base(firstSeg)}, segmentFiles(t, dir), "the new segment is removed")
	fi, err = os.Stat(firstSeg)
	require.NoError(t, err)
	require.LessOrEqual(t, fi.Size(), before, "the failed batch is cut off")

	last := appendDurable(t, s, newFragment(testARN, 3, size, hdr))
	requireIntact(t, s, first)
	requireIntact(t, s, last)
	gotFirst, err := s.Get(ctx, testARN, first.Number)
	require.NoError(t, err)
	gotLast, err := s.Get(ctx, testARN, last.Number)
	require.NoError(t, err)
	require.True(t, gotFirst.Location.Known && gotLast.Location.Known)
	require.NotEqual(t, gotFirst.Location.Segment, gotLast.Location.Segment, "after a failed fsync the store writes on in a new segment")
	fi, err = os.Stat(firstSeg)
	require.NoError(t, err)
	require.LessOrEqual(t, fi.Size(), before, "the first segment is sealed where its last good record ends")
	require.Equal(t, []uint64{first.Number, last.Number}, listed())

	require.NoError(t, s.Close())
	s = openTestFragments(t, dir, opts)
	requireIntact(t, s, first)
	requireIntact(t, s, last)
	require.Equal(t, []uint64{first.Number, last.Number}, listed(), "after a reopen")
	requireIntact(t, s, appendDurable(t, s, newFragment(testARN, 4, size, hdr)))
}

// TestFragmentsFailedSyncOfSmallBatch fails the fsync of a batch smaller
// than overlapMinBytes, which the committer syncs itself: the batch fails
// and leaves nothing behind, and the next one is durable.
func TestFragmentsFailedSyncOfSmallBatch(t *testing.T) {
	dir := t.TempDir()
	hdr := []byte("hdr")
	s := openTestFragments(t, dir, FragmentsOptions{})
	first := appendDurable(t, s, newFragment(testARN, 0, 100_000, hdr))
	var calls atomic.Int32
	s.syncFile = func(f *os.File) error {
		if calls.Add(1) == 1 {
			return syscall.EIO
		}
		return f.Sync()
	}
	_, ch, err := s.Append(context.Background(), newFragment(testARN, 1, 100_000, hdr))
	require.NoError(t, err)
	require.ErrorIs(t, <-ch, syscall.EIO)
	last := appendDurable(t, s, newFragment(testARN, 2, 100_000, hdr))

	require.NoError(t, s.Close())
	s = openTestFragments(t, dir, FragmentsOptions{})
	fs, err := s.List(context.Background(), store.FragmentQuery{Stream: testARN})
	require.NoError(t, err)
	require.Len(t, fs, 2)
	require.Equal(t, []uint64{first.Number, last.Number}, []uint64{fs[0].Number, fs[1].Number})
	requireIntact(t, s, first)
	requireIntact(t, s, last)
}
