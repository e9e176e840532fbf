package local

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
)

// tornFixture is a closed store whose newest segment ends with the record
// of fragments[len-1].
type tornFixture struct {
	dir       string
	frags     []store.Fragment
	segPath   string // relative to dir
	lastStart int64
	lastEnd   int64
}

func newTornFixture(t *testing.T) tornFixture {
	t.Helper()
	dir := t.TempDir()
	s, err := OpenFragments(context.Background(), dir, FragmentsOptions{SegmentSize: 2 << 10})
	require.NoError(t, err)
	var frags []store.Fragment
	for i := range 12 {
		// A second stream, so that a segment mixes streams.
		stream := testARN
		if i%2 == 1 {
			stream = testARN + "-b"
		}
		size := 300 + i
		if i == 11 {
			// The record every byte of which the tests cut or flip: short,
			// because each byte costs a reopen.
			stream, size = "arn:short", 16
		}
		frags = append(frags, appendDurable(t, s, newFragment(stream, i, size, []byte("hdr"))))
	}
	require.NoError(t, s.Close())
	last := frags[len(frags)-1]
	files := segmentFiles(t, dir)
	segPath := filepath.Join(segmentDir, files[len(files)-1])
	fi, err := os.Stat(filepath.Join(dir, segPath))
	require.NoError(t, err)
	recLen := int64(recordLen(len(last.Stream), int(last.Size)))
	require.Greater(t, fi.Size(), recLen, "the newest segment holds more than the last record")
	return tornFixture{dir: dir, frags: frags, segPath: segPath, lastStart: fi.Size() - recLen, lastEnd: fi.Size()}
}

// clone copies the fixture's files into a fresh directory.
func (fx tornFixture) clone(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, filepath.WalkDir(fx.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fx.dir, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
	return dst
}

// checkRecovered opens dir and checks that every fragment but the last is
// intact, whether the last one is, and that new appends work with higher
// numbers.
func (fx tornFixture) checkRecovered(t *testing.T, dir string, lastSurvives, appends bool) {
	t.Helper()
	s, err := OpenFragments(context.Background(), dir, FragmentsOptions{SegmentSize: 2 << 10})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	for _, f := range fx.frags[:len(fx.frags)-1] {
		requireIntact(t, s, f)
	}
	last := fx.frags[len(fx.frags)-1]
	if lastSurvives {
		requireIntact(t, s, last)
	} else {
		_, err := s.Get(context.Background(), last.Stream, last.Number)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	if !appends {
		return
	}
	for i := range 2 {
		f := appendDurable(t, s, newFragment(testARN, 100+i, 500, []byte("hdr")))
		require.Greater(t, f.Number, last.Number)
		requireIntact(t, s, f)
	}
}

// sampleAppends picks the offsets at which the test also appends after
// recovery (appends cost fsyncs; every offset is reopened and read back): the
// first and last byte of each field of the record and every 8th byte.
func (fx tornFixture) sampleAppends(pos int64) bool {
	rel := pos - fx.lastStart
	keyEnd := int64(recordHeaderSize + len(fx.frags[len(fx.frags)-1].Stream))
	for _, b := range []int64{0, 7, 8, 15, 16, 19, 20, 27, 28, 31, 32, keyEnd - 1, keyEnd} {
		if rel == b {
			return true
		}
	}
	return rel%8 == 0 || pos == fx.lastEnd-1
}

// TestFragmentsTornTail cuts the newest segment at every byte offset of its
// last record: the index says the record is there, the file says it is not.
func TestFragmentsTornTail(t *testing.T) {
	fx := newTornFixture(t)
	for cut := fx.lastStart; cut < fx.lastEnd; cut++ {
		dir := fx.clone(t)
		require.NoError(t, os.Truncate(filepath.Join(dir, fx.segPath), cut))
		fx.checkRecovered(t, dir, false, fx.sampleAppends(cut))
		if t.Failed() {
			t.Fatalf("cut at %d (record %d..%d)", cut, fx.lastStart, fx.lastEnd)
		}
	}
}

// TestFragmentsFlippedTail flips each byte of the last record of the newest
// segment: recovery checks that segment's records and drops the bad one.
func TestFragmentsFlippedTail(t *testing.T) {
	fx := newTornFixture(t)
	for pos := fx.lastStart; pos < fx.lastEnd; pos++ {
		dir := fx.clone(t)
		path := filepath.Join(dir, fx.segPath)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		b[pos] ^= 0x5a
		require.NoError(t, os.WriteFile(path, b, 0o644))
		fx.checkRecovered(t, dir, false, fx.sampleAppends(pos))
		if t.Failed() {
			t.Fatalf("flipped byte %d (record %d..%d)", pos, fx.lastStart, fx.lastEnd)
		}
	}
}

// TestFragmentsUnacknowledgedTail is what a crash during a commit leaves:
// bytes after the last indexed record, and a new segment no row references.
func TestFragmentsUnacknowledgedTail(t *testing.T) {
	fx := newTornFixture(t)
	for _, tc := range []struct {
		name string
		mess func(t *testing.T, dir string)
		gone string // a file recovery must remove
	}{
		{"garbage tail", func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, fx.segPath), os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write([]byte("OKVR\x01\x01 half a record"))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, ""},
		{"whole unindexed record", func(t *testing.T, dir string) {
			rec := make([]byte, recordLen(len(testARN), 10))
			encodeRecord(rec, recordMedia, 1<<40, testARN, make([]byte, 10), 0)
			f, err := os.OpenFile(filepath.Join(dir, fx.segPath), os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write(rec)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, ""},
		{"new unreferenced segment", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, segmentDir, segmentName(999)), []byte("junk"), 0o644))
		}, segmentName(999)},
		{"empty new segment", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, segmentDir, segmentName(1000)), nil, 0o644))
		}, segmentName(1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fx.clone(t)
			tc.mess(t, dir)
			fx.checkRecovered(t, dir, true, false)
			fi, err := os.Stat(filepath.Join(dir, fx.segPath))
			require.NoError(t, err)
			require.Equal(t, fx.lastEnd, fi.Size(), "cut back to the last indexed record")
			if tc.gone != "" {
				require.NotContains(t, segmentFiles(t, dir), tc.gone)
			}
			fx.checkRecovered(t, dir, true, true)
		})
	}
}

// TestFragmentsMissingSegment: a segment file deleted behind the store's
// back loses its fragments (with an error in the log), nothing else.
func TestFragmentsMissingSegment(t *testing.T) {
	fx := newTornFixture(t)
	dir := fx.clone(t)
	files := segmentFiles(t, dir)
	require.NoError(t, os.Remove(filepath.Join(dir, segmentDir, files[0])))
	s := openTestFragments(t, dir, FragmentsOptions{SegmentSize: 2 << 10})
	lost := 0
	for _, f := range fx.frags {
		if _, err := s.Get(context.Background(), f.Stream, f.Number); err != nil {
			require.ErrorIs(t, err, store.ErrNotFound)
			lost++
			continue
		}
		requireIntact(t, s, f)
	}
	require.Positive(t, lost)
	require.Less(t, lost, len(fx.frags))
}
