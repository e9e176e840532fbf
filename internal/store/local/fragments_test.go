package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/internal/store/storetest"
)

// TestMain checks that every test leaves no goroutine behind: the committer
// must be joined by Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFragmentsConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts FragmentsOptions
	}{
		{"defaults", FragmentsOptions{}},
		// Tiny segments: every batch rolls, headers are rewritten per
		// segment and retention removes files.
		{"small segments", FragmentsOptions{SegmentSize: 4 << 10}},
		{"batch delay", FragmentsOptions{MaxBatchDelay: 2 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dirs := map[store.Fragments]string{}
			open := func(t *testing.T, dir string) store.Fragments {
				f, err := OpenFragments(context.Background(), dir, tc.opts)
				require.NoError(t, err)
				t.Cleanup(func() { _ = f.Close() })
				dirs[f] = dir
				return f
			}
			storetest.RunFragments(t, storetest.NewFragments{
				Open: func(t *testing.T) store.Fragments { return open(t, t.TempDir()) },
				Reopen: func(t *testing.T, f store.Fragments) store.Fragments {
					require.NoError(t, f.Close())
					return open(t, dirs[f])
				},
			})
		})
	}
}

const testARN = "arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1700000000000"

// mediaFor is the media of the fragment with producer timestamp ts: tests
// that cannot know a fragment's number in advance derive the bytes from
// what is stored with it.
func mediaFor(stream string, ts time.Time, n int) []byte {
	b := make([]byte, n)
	x := uint64(ts.UnixNano()) ^ uint64(len(stream))*0x9e3779b97f4a7c15
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

func newFragment(stream string, i, size int, header []byte) store.NewFragment {
	ts := time.UnixMilli(1_700_000_000_000 + int64(i)*2000).UTC()
	return store.NewFragment{
		Stream:            stream,
		ProducerTimestamp: ts,
		ServerTimestamp:   ts.Add(time.Second),
		Duration:          2 * time.Second,
		Header:            header,
		Media:             mediaFor(stream, ts, size),
	}
}

func openTestFragments(t testing.TB, dir string, opts FragmentsOptions) *Fragments {
	t.Helper()
	f, err := OpenFragments(context.Background(), dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// appendDurable appends and waits until the fragment is durable.
func appendDurable(t testing.TB, f *Fragments, nf store.NewFragment) store.Fragment {
	t.Helper()
	got, ch, err := f.Append(context.Background(), nf)
	require.NoError(t, err)
	select {
	case err := <-ch:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("not durable")
	}
	return got
}

// waitIndexed waits until the index rows of every fragment up to number
// are committed: a PERSISTED fragment gets its row up to IndexDelay later.
func waitIndexed(t testing.TB, s *Fragments, number uint64) {
	t.Helper()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.indexedThrough >= number
	}, 10*time.Second, time.Millisecond, "fragment %d not indexed", number)
}

// requireIntact checks that f is stored with the media mediaFor derives.
func requireIntact(t testing.TB, s *Fragments, f store.Fragment) {
	t.Helper()
	got, err := s.Get(context.Background(), f.Stream, f.Number)
	require.NoError(t, err, "fragment %d", f.Number)
	media, err := s.ReadMedia(context.Background(), got, nil)
	require.NoError(t, err, "fragment %d", f.Number)
	require.Equal(t, mediaFor(got.Stream, got.ProducerTimestamp, int(got.Size)), media, "fragment %d", f.Number)
}

func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, segmentDir))
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if _, ok := parseSegmentName(e.Name()); ok {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestFragmentsRollRetainAndRewriteHeaders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTestFragments(t, dir, FragmentsOptions{SegmentSize: 16 << 10})
	hdr := []byte("one header for a long producer session")
	var frags []store.Fragment
	for i := range 60 {
		frags = append(frags, appendDurable(t, s, newFragment(testARN, i, 3000, hdr)))
	}
	require.Greater(t, len(segmentFiles(t, dir)), 8)
	for _, f := range frags {
		require.Equal(t, frags[0].HeaderID, f.HeaderID)
	}

	// Retention of all but the newest fragments frees every older segment,
	// although they all share the header written into the first one.
	n, err := s.DeleteBefore(ctx, testARN, frags[55].ServerTimestamp)
	require.NoError(t, err)
	require.Equal(t, 55, n)
	require.LessOrEqual(t, len(segmentFiles(t, dir)), 2, "old segments are removed: %v", segmentFiles(t, dir))
	for _, f := range frags[55:] {
		requireIntact(t, s, f)
	}
	h, err := s.ReadHeader(ctx, testARN, frags[0].HeaderID)
	require.NoError(t, err)
	require.Equal(t, hdr, h)
	usage, err := s.Usage(ctx)
	require.NoError(t, err)
	require.Less(t, s.fileBytes.Load(), int64(40<<10), "usage %d", usage)

	require.NoError(t, s.Close())
	s = openTestFragments(t, dir, FragmentsOptions{SegmentSize: 16 << 10})
	for _, f := range frags[55:] {
		requireIntact(t, s, f)
	}
	h, err = s.ReadHeader(ctx, testARN, frags[0].HeaderID)
	require.NoError(t, err)
	require.Equal(t, hdr, h)
	next := appendDurable(t, s, newFragment(testARN, 100, 3000, hdr))
	require.Equal(t, frags[0].HeaderID, next.HeaderID)

	// Deleting the stream removes every file but the active one, and the
	// active one holds nothing of it.
	require.NoError(t, s.DeleteStream(ctx, testARN))
	require.LessOrEqual(t, len(segmentFiles(t, dir)), 1)
	_, err = s.ReadHeader(ctx, testARN, frags[0].HeaderID)
	require.ErrorIs(t, err, store.ErrNotFound)
	var rows int
	require.NoError(t, s.rdb.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM fragments) + (SELECT COUNT(*) FROM headers) + (SELECT COUNT(*) FROM streams)`).Scan(&rows))
	require.Zero(t, rows)
}

func TestFragmentsReadMediaDetectsCorruption(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTestFragments(t, dir, FragmentsOptions{SegmentSize: 8 << 10})
	var frags []store.Fragment
	for i := range 10 {
		frags = append(frags, appendDurable(t, s, newFragment(testARN, i, 3000, nil)))
	}
	// Flip a payload byte of the first fragment, in a sealed segment.
	waitIndexed(t, s, frags[len(frags)-1].Number)
	var seg, off int64
	require.NoError(t, s.rdb.QueryRowContext(ctx, `SELECT segment, seg_offset FROM fragments WHERE number = ?`, frags[0].Number).Scan(&seg, &off))
	path := filepath.Join(dir, segmentDir, segmentName(uint64(seg)))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[off+int64(recordHeaderSize+len(testARN))+100] ^= 0x01
	require.NoError(t, os.WriteFile(path, b, 0o644))

	_, err = s.ReadMedia(ctx, frags[0], nil)
	require.ErrorIs(t, err, store.ErrCorrupt)
	for _, f := range frags[1:] {
		requireIntact(t, s, f)
	}
}

// TestFragmentsReadListedLocation: a listed fragment carries its location,
// and ReadMedia reads it from there; a location that points at another
// record is corruption, never another fragment's bytes.
func TestFragmentsReadListedLocation(t *testing.T) {
	ctx := context.Background()
	s := openTestFragments(t, t.TempDir(), FragmentsOptions{SegmentSize: 8 << 10})
	var last store.Fragment
	for i := range 6 {
		last = appendDurable(t, s, newFragment(testARN, i, 3000, nil))
	}
	waitIndexed(t, s, last.Number) // fragments in memory have no location
	listed, err := s.List(ctx, store.FragmentQuery{Stream: testARN})
	require.NoError(t, err)
	require.Len(t, listed, 6)
	for _, f := range listed {
		require.True(t, f.Location.Known, "fragment %d", f.Number)
		requireIntact(t, s, f)
		media, err := s.ReadMedia(ctx, f, nil)
		require.NoError(t, err)
		require.Equal(t, mediaFor(f.Stream, f.ProducerTimestamp, int(f.Size)), media)
	}
	wrong := listed[1]
	wrong.Location = listed[2].Location
	_, err = s.ReadMedia(ctx, wrong, nil)
	require.ErrorIs(t, err, store.ErrCorrupt)
	unknown := listed[1]
	unknown.Location = store.Location{}
	media, err := s.ReadMedia(ctx, unknown, nil)
	require.NoError(t, err)
	require.Equal(t, mediaFor(unknown.Stream, unknown.ProducerTimestamp, int(unknown.Size)), media)
}

// A record larger than a block gets a buffer of whole blocks, which goes
// back to the pool once durable and serves the next large record: fresh
// memory for every large fragment cost more than the copy into it.
func TestFragmentsRecyclesLargeRecordBuffers(t *testing.T) {
	s := openTestFragments(t, t.TempDir(), FragmentsOptions{})
	freeBytes := func() int64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.freeBytes
	}
	first := appendDurable(t, s, newFragment(testARN, 0, blockSize+blockSize/2, nil))
	require.Equal(t, int64(2*blockSize), freeBytes(), "the 2-block buffer is pooled")
	second := appendDurable(t, s, newFragment(testARN, 1, blockSize+blockSize/3, nil))
	require.Equal(t, int64(2*blockSize), freeBytes(), "the second record reused the buffer")
	small := appendDurable(t, s, newFragment(testARN, 2, 1000, nil))
	require.Equal(t, int64(2*blockSize), freeBytes(), "a small record reuses it too")
	for _, f := range []store.Fragment{first, second, small} {
		requireIntact(t, s, f)
	}
}

func TestFragmentsBackpressure(t *testing.T) {
	ctx := context.Background()
	s := openTestFragments(t, t.TempDir(), FragmentsOptions{MaxPendingBytes: 1})
	var chans []<-chan error
	for i := range 20 {
		_, ch, err := s.Append(ctx, newFragment(testARN, i, 10_000, nil))
		require.NoError(t, err)
		chans = append(chans, ch)
	}
	for _, ch := range chans {
		require.NoError(t, <-ch)
	}
	// A done context stops a wait for room.
	blocked := openTestFragments(t, t.TempDir(), FragmentsOptions{MaxPendingBytes: 1, MaxBatchDelay: time.Hour})
	_, ch, err := blocked.Append(ctx, newFragment(testARN, 0, 10, nil))
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, _, err = blocked.Append(short, newFragment(testARN, 1, 10, nil))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, blocked.Close(), "Close commits without waiting for the delay")
	require.NoError(t, <-ch)
	_, _, err = blocked.Append(ctx, newFragment(testARN, 2, 10, nil))
	require.ErrorIs(t, err, ErrClosed)
}

func TestFragmentsSizeCap(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const capBytes = 256 << 10
	s := openTestFragments(t, dir, FragmentsOptions{MaxBytes: capBytes})
	other := testARN + "-other"
	var frags []store.Fragment
	for i := range 60 {
		stream := testARN
		if i%3 == 0 {
			stream = other
		}
		frags = append(frags, appendDurable(t, s, newFragment(stream, i, 20_000, []byte("hdr"))))
		require.LessOrEqual(t, s.fileBytes.Load(), int64(capBytes))
	}
	// The newest fragments are there; the oldest were evicted, whatever
	// their stream.
	for _, f := range frags[len(frags)-5:] {
		requireIntact(t, s, f)
	}
	for _, f := range frags[:10] {
		_, err := s.Get(ctx, f.Stream, f.Number)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	h, err := s.ReadHeader(ctx, testARN, frags[len(frags)-1].HeaderID)
	require.NoError(t, err)
	require.Equal(t, []byte("hdr"), h)

	// One fragment bigger than the cap can never fit.
	_, _, err = s.Append(ctx, newFragment(testARN, 100, capBytes+1, nil))
	require.ErrorIs(t, err, store.ErrNoSpace)

	// Eviction state survives a reopen.
	require.NoError(t, s.Close())
	s = openTestFragments(t, dir, FragmentsOptions{MaxBytes: capBytes})
	for _, f := range frags[len(frags)-5:] {
		requireIntact(t, s, f)
	}
	appendDurable(t, s, newFragment(testARN, 200, 20_000, []byte("hdr")))
	require.LessOrEqual(t, s.fileBytes.Load(), int64(capBytes))
}

// TestFragmentsDiskFull fills a small tmpfs: the batch that hits ENOSPC
// reports store.ErrNoSpace, earlier durable fragments stay intact, and once
// retention frees space the store works again.
func TestFragmentsDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := runCmd("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); TestFragmentsSizeCap covers the MaxBytes path", err, out)
	}
	t.Cleanup(func() {
		if out, err := runCmd("umount", dir); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	// The operator's other files: removing them is how space comes back.
	ballast := filepath.Join(dir, "ballast")
	require.NoError(t, os.WriteFile(ballast, make([]byte, 512<<10), 0o644))
	ctx := context.Background()
	s, err := OpenFragments(ctx, dir, FragmentsOptions{SegmentSize: 256 << 10})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()

	var durable []store.Fragment
	var full error
	for i := range 100 {
		f, ch, err := s.Append(ctx, newFragment(testARN, i, 100_000, []byte("hdr")))
		if err != nil {
			full = err
			break
		}
		if err := <-ch; err != nil {
			full = err
			_, gerr := s.Get(ctx, f.Stream, f.Number)
			require.ErrorIs(t, gerr, store.ErrNotFound, "a failed fragment is not visible")
			break
		}
		durable = append(durable, f)
	}
	require.ErrorIs(t, full, store.ErrNoSpace)
	require.NotEmpty(t, durable)
	t.Logf("full after %d fragments: %v", len(durable), full)
	for _, f := range durable {
		requireIntact(t, s, f)
	}

	// Space comes back; appends work again, and retention frees more.
	require.NoError(t, os.Remove(ballast))
	var after []store.Fragment
	for i := range 3 {
		after = append(after, appendDurable(t, s, newFragment(testARN, 1000+i, 100_000, []byte("hdr"))))
	}
	require.Greater(t, after[0].Number, durable[len(durable)-1].Number)
	n, err := s.DeleteBefore(ctx, testARN, durable[len(durable)/2].ServerTimestamp)
	require.NoError(t, err)
	require.Positive(t, n)
	for i := range 3 {
		after = append(after, appendDurable(t, s, newFragment(testARN, 2000+i, 100_000, []byte("hdr"))))
	}

	// Everything that was acknowledged is there after a reopen too.
	require.NoError(t, s.Close())
	s, err = OpenFragments(ctx, dir, FragmentsOptions{SegmentSize: 256 << 10})
	require.NoError(t, err)
	for _, f := range slices.Concat(durable[len(durable)/2:], after) {
		requireIntact(t, s, f)
	}
}

// TestFragmentsNumberWindow appends faster than a tiny reservation window
// allows: Append waits for the committer to extend it, and numbers still
// never repeat across a reopen.
func TestFragmentsNumberWindow(t *testing.T) {
	old := sequenceWindow
	sequenceWindow = 4
	t.Cleanup(func() { sequenceWindow = old })
	dir := t.TempDir()
	s := openTestFragments(t, dir, FragmentsOptions{})
	var last uint64
	var chans []<-chan error
	for i := range 100 {
		f, ch, err := s.Append(context.Background(), newFragment(testARN, i, 100, []byte{byte(i)}))
		require.NoError(t, err)
		require.Greater(t, f.Number, last)
		last = f.Number
		chans = append(chans, ch)
	}
	for _, ch := range chans {
		require.NoError(t, <-ch)
	}
	require.NoError(t, s.Close())
	s = openTestFragments(t, dir, FragmentsOptions{})
	f := appendDurable(t, s, newFragment(testARN, 100, 100, nil))
	require.Greater(t, f.Number, last)
}

func TestFragmentsRejectsBadInput(t *testing.T) {
	s := openTestFragments(t, t.TempDir(), FragmentsOptions{})
	_, _, err := s.Append(context.Background(), store.NewFragment{Media: []byte("x")})
	require.Error(t, err)
	_, _, err = s.Append(context.Background(), store.NewFragment{Stream: string(make([]byte, maxStreamKey+1))})
	require.Error(t, err)
}

func TestFragmentsCloseTwice(t *testing.T) {
	s, err := OpenFragments(context.Background(), t.TempDir(), FragmentsOptions{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	_, err = s.DeleteBefore(context.Background(), testARN, time.Now())
	require.ErrorIs(t, err, ErrClosed)
}

func runCmd(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// TestFragmentsReadWhileAppending reads each fragment back while other
// streams' Appends are still copying their media (outside the store lock):
// a pending fragment is never read before its bytes are in place.
func TestFragmentsReadWhileAppending(t *testing.T) {
	s := openTestFragments(t, t.TempDir(), FragmentsOptions{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		arn := fmt.Sprintf("%s-%d", testARN, w)
		wg.Go(func() {
			for i := range 40 {
				f, _, err := s.Append(ctx, newFragment(arn, i, 1<<20, nil))
				if !assert.NoError(t, err) {
					return
				}
				// Immediately: usually still pending, sometimes committed.
				media, err := s.ReadMedia(ctx, f, nil)
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, mediaFor(arn, f.ProducerTimestamp, 1<<20), media, "fragment %d of %s", f.Number, arn)
			}
		})
	}
	wg.Wait()
}
