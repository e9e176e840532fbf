package storetest

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
)

// NewFragments opens a fresh, empty fragment store. Reopen, when not nil,
// closes the given store and opens the same data again, so that durability
// can be checked.
type NewFragments struct {
	Open   func(t *testing.T) store.Fragments
	Reopen func(t *testing.T, f store.Fragments) store.Fragments
}

// durableTimeout bounds every wait for a durability channel.
const durableTimeout = 30 * time.Second

// fragmentEpoch is the server time of the first test fragment.
var fragmentEpoch = time.UnixMilli(1_700_000_000_000).UTC()

func arn(name string) string {
	return "arn:aws:kinesisvideo:us-east-1:000000000000:stream/" + name + "/1700000000000"
}

// testMedia returns n deterministic bytes that differ per seed.
func testMedia(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// testFragment is fragment i of a stream: server time epoch+i*2s, producer
// time epoch+i*2s-1h, 2s long.
func testFragment(stream string, i int, header []byte) store.NewFragment {
	return store.NewFragment{
		Stream:            stream,
		ServerTimestamp:   fragmentEpoch.Add(time.Duration(i) * 2 * time.Second),
		ProducerTimestamp: fragmentEpoch.Add(time.Duration(i)*2*time.Second - time.Hour),
		Duration:          2 * time.Second,
		Header:            header,
		Media:             testMedia(i+len(stream)*1000, 1000+i*37),
	}
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// awaitDurable waits for the one value on ch, which must be nil, and checks
// that no second value follows (a closed channel is fine).
func awaitDurable(t testing.TB, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		require.NoError(t, err)
	case <-time.After(durableTimeout):
		t.Fatal("fragment never became durable")
	}
	select {
	case err, ok := <-ch:
		require.False(t, ok, "second value on a durability channel: %v", err)
	default:
	}
}

type appended struct {
	frag store.Fragment
	in   store.NewFragment
	ch   <-chan error
}

func appendAll(t testing.TB, s store.Fragments, in ...store.NewFragment) []appended {
	t.Helper()
	out := make([]appended, 0, len(in))
	for _, nf := range in {
		f, ch, err := s.Append(context.Background(), nf)
		require.NoError(t, err)
		out = append(out, appended{frag: f, in: nf, ch: ch})
	}
	return out
}

func awaitAll(t testing.TB, as []appended) {
	t.Helper()
	for _, a := range as {
		awaitDurable(t, a.ch)
	}
}

// requireFragment checks that got is the index entry of nf, appended as
// want (times compared as instants).
func requireFragment(t testing.TB, want store.Fragment, nf store.NewFragment, got store.Fragment) {
	t.Helper()
	require.Equal(t, nf.Stream, got.Stream)
	require.Equal(t, want.Number, got.Number)
	require.True(t, nf.ServerTimestamp.Equal(got.ServerTimestamp), "server timestamp %v, want %v", got.ServerTimestamp, nf.ServerTimestamp)
	require.True(t, nf.ProducerTimestamp.Equal(got.ProducerTimestamp), "producer timestamp %v, want %v", got.ProducerTimestamp, nf.ProducerTimestamp)
	require.Equal(t, nf.Duration, got.Duration)
	require.Equal(t, int64(len(nf.Media)), got.Size)
	require.Equal(t, crc32.Checksum(nf.Media, crcTable), got.Checksum)
	require.Equal(t, want.HeaderID, got.HeaderID)
}

func numbers(fs []store.Fragment) []uint64 {
	out := make([]uint64, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Number)
	}
	return out
}

func numbersOf(as []appended) []uint64 {
	out := make([]uint64, 0, len(as))
	for _, a := range as {
		out = append(out, a.frag.Number)
	}
	return out
}

// RunFragments runs the fragment store conformance suite. It uses only the
// store.Fragments interface, so every backend can run it.
func RunFragments(t *testing.T, nf NewFragments) {
	ctx := context.Background()
	hdr := []byte("\x1a\x45\xdf\xa3 EBML header + Segment Info + Tracks")

	t.Run("AppendGetRead", func(t *testing.T) {
		s := nf.Open(t)
		in := testFragment(arn("a"), 0, hdr)
		f, ch, err := s.Append(ctx, in)
		require.NoError(t, err)
		require.NotZero(t, f.Number)
		require.NotZero(t, f.HeaderID)
		requireFragment(t, f, in, f)
		awaitDurable(t, ch)

		got, err := s.Get(ctx, in.Stream, f.Number)
		require.NoError(t, err)
		requireFragment(t, f, in, got)

		prefix := []byte("prefix")
		media, err := s.ReadMedia(ctx, got, slices.Clone(prefix))
		require.NoError(t, err)
		require.Equal(t, append(slices.Clone(prefix), in.Media...), media, "ReadMedia appends to dst")

		h, err := s.ReadHeader(ctx, in.Stream, f.HeaderID)
		require.NoError(t, err)
		require.Equal(t, hdr, h)
	})

	t.Run("CallerMayReuseBuffers", func(t *testing.T) {
		s := nf.Open(t)
		in := testFragment(arn("a"), 1, slices.Clone(hdr))
		want := slices.Clone(in.Media)
		f, ch, err := s.Append(ctx, in)
		require.NoError(t, err)
		for i := range in.Media {
			in.Media[i] ^= 0xff
		}
		in.Header[0] ^= 0xff
		media, err := s.ReadMedia(ctx, f, nil)
		require.NoError(t, err)
		require.Equal(t, want, media)
		awaitDurable(t, ch)
		media, err = s.ReadMedia(ctx, f, nil)
		require.NoError(t, err)
		require.Equal(t, want, media)
		h, err := s.ReadHeader(ctx, f.Stream, f.HeaderID)
		require.NoError(t, err)
		require.Equal(t, hdr, h)
	})

	t.Run("VisibleBeforeDurable", func(t *testing.T) {
		s := nf.Open(t)
		stream := arn("v")
		as := appendAll(t, s, testFragment(stream, 0, hdr), testFragment(stream, 1, hdr), testFragment(stream, 2, hdr))
		// Nothing has been awaited: each must be visible already.
		for _, a := range as {
			got, err := s.Get(ctx, stream, a.frag.Number)
			require.NoError(t, err)
			requireFragment(t, a.frag, a.in, got)
			media, err := s.ReadMedia(ctx, a.frag, nil)
			require.NoError(t, err)
			require.Equal(t, a.in.Media, media)
			h, err := s.ReadHeader(ctx, stream, a.frag.HeaderID)
			require.NoError(t, err)
			require.Equal(t, hdr, h)
		}
		list, err := s.List(ctx, store.FragmentQuery{Stream: stream})
		require.NoError(t, err)
		require.Equal(t, numbersOf(as), numbers(list))
		awaitAll(t, as)
		list, err = s.List(ctx, store.FragmentQuery{Stream: stream})
		require.NoError(t, err)
		require.Equal(t, numbersOf(as), numbers(list))
	})

	t.Run("NumbersIncreaseAcrossStreams", func(t *testing.T) {
		s := nf.Open(t)
		var in []store.NewFragment
		for i := range 30 {
			in = append(in, testFragment(arn(fmt.Sprintf("s%d", i%4)), i, hdr))
		}
		as := appendAll(t, s, in...)
		for i := 1; i < len(as); i++ {
			require.Greater(t, as[i].frag.Number, as[i-1].frag.Number)
		}
		awaitAll(t, as)
	})

	t.Run("ReservedNumbers", func(t *testing.T) {
		s := nf.Open(t)
		ctx := context.Background()
		a, err := s.ReserveNumber(ctx)
		require.NoError(t, err)
		b, err := s.ReserveNumber(ctx)
		require.NoError(t, err)
		require.Greater(t, b, a)

		// Reserved numbers are used as given; one reserved but never
		// appended (a) is skipped.
		f := testFragment(arn("r"), 1, hdr)
		f.Number = b
		got, done, err := s.Append(ctx, f)
		require.NoError(t, err)
		require.Equal(t, b, got.Number)
		awaitDurable(t, done)
		stored, err := s.Get(ctx, arn("r"), b)
		require.NoError(t, err)
		require.Equal(t, b, stored.Number)

		// A number that is not after the stream's last one, or was never
		// reserved, is refused.
		f.Number = a
		_, _, err = s.Append(ctx, f)
		require.Error(t, err)
		f.Number = b + 1_000_000
		_, _, err = s.Append(ctx, f)
		require.Error(t, err)

		// Appends without a number get one after every reserved number.
		f.Number = 0
		got, done, err = s.Append(ctx, f)
		require.NoError(t, err)
		require.Greater(t, got.Number, b)
		awaitDurable(t, done)
	})

	t.Run("List", func(t *testing.T) {
		s := nf.Open(t)
		stream, other := arn("list"), arn("other")
		var in []store.NewFragment
		for i := range 10 {
			in = append(in, testFragment(stream, i, hdr), testFragment(other, i, hdr))
		}
		all := appendAll(t, s, in...)
		var mine []appended
		for _, a := range all {
			if a.frag.Stream == stream {
				mine = append(mine, a)
			}
		}
		ts := func(i int) time.Time { return mine[i].in.ServerTimestamp }
		pts := func(i int) time.Time { return mine[i].in.ProducerTimestamp }
		nums := func(from, to int) []uint64 { return numbersOf(mine[from:to]) }

		check := func(t *testing.T) {
			for _, tc := range []struct {
				name string
				q    store.FragmentQuery
				want []uint64
			}{
				{"all", store.FragmentQuery{}, nums(0, 10)},
				{"server range inclusive", store.FragmentQuery{Start: ts(2), End: ts(5)}, nums(2, 6)},
				{"server start only", store.FragmentQuery{Start: ts(7)}, nums(7, 10)},
				{"server end only", store.FragmentQuery{End: ts(1)}, nums(0, 2)},
				{"server between fragments", store.FragmentQuery{Start: ts(2).Add(time.Millisecond), End: ts(4).Add(-time.Millisecond)}, nums(3, 4)},
				{"producer range inclusive", store.FragmentQuery{By: store.ByProducerTimestamp, Start: pts(3), End: pts(4)}, nums(3, 5)},
				{"producer range on server times", store.FragmentQuery{By: store.ByProducerTimestamp, Start: ts(3), End: ts(4)}, nil},
				{"limit", store.FragmentQuery{Limit: 3}, nums(0, 3)},
				{"after number", store.FragmentQuery{AfterNumber: mine[6].frag.Number}, nums(7, 10)},
				{"after number and limit", store.FragmentQuery{AfterNumber: mine[2].frag.Number, Limit: 2}, nums(3, 5)},
				{"after number and range", store.FragmentQuery{AfterNumber: mine[3].frag.Number, Start: ts(2), End: ts(5)}, nums(4, 6)},
				{"after the last", store.FragmentQuery{AfterNumber: mine[9].frag.Number}, nil},
				{"empty range", store.FragmentQuery{Start: ts(9).Add(time.Hour)}, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					tc.q.Stream = stream
					got, err := s.List(ctx, tc.q)
					require.NoError(t, err)
					if tc.want == nil {
						require.Empty(t, got)
						return
					}
					require.Equal(t, tc.want, numbers(got))
					for _, f := range got {
						i := slices.Index(numbersOf(mine), f.Number)
						requireFragment(t, mine[i].frag, mine[i].in, f)
					}
				})
			}
			// Paging with AfterNumber visits everything once, in order.
			var paged []uint64
			q := store.FragmentQuery{Stream: stream, Limit: 3}
			for {
				page, err := s.List(ctx, q)
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				paged = append(paged, numbers(page)...)
				q.AfterNumber = page[len(page)-1].Number
			}
			require.Equal(t, nums(0, 10), paged)

			got, err := s.List(ctx, store.FragmentQuery{Stream: arn("never-written")})
			require.NoError(t, err)
			require.Empty(t, got)
		}
		t.Run("BeforeDurable", check)
		awaitAll(t, all)
		t.Run("Durable", check)
	})

	t.Run("HeaderDedupe", func(t *testing.T) {
		s := nf.Open(t)
		a, b := arn("ha"), arn("hb")
		hdr2 := []byte("another header")
		as := appendAll(t, s,
			testFragment(a, 0, hdr), testFragment(a, 1, slices.Clone(hdr)), testFragment(a, 2, hdr2),
			testFragment(a, 3, hdr), testFragment(b, 0, hdr))
		awaitAll(t, as)
		require.Equal(t, as[0].frag.HeaderID, as[1].frag.HeaderID, "identical header, same ID")
		require.Equal(t, as[0].frag.HeaderID, as[3].frag.HeaderID, "identical header after another, same ID")
		require.NotEqual(t, as[0].frag.HeaderID, as[2].frag.HeaderID)
		for _, x := range as {
			h, err := s.ReadHeader(ctx, x.frag.Stream, x.frag.HeaderID)
			require.NoError(t, err)
			require.Equal(t, x.in.Header, h)
		}
		if as[4].frag.HeaderID != as[0].frag.HeaderID {
			_, err := s.ReadHeader(ctx, b, as[0].frag.HeaderID)
			require.ErrorIs(t, err, store.ErrNotFound, "a header ID belongs to its stream")
		}
		got, err := s.Get(ctx, a, as[3].frag.Number)
		require.NoError(t, err)
		require.Equal(t, as[0].frag.HeaderID, got.HeaderID)
	})

	t.Run("NotFound", func(t *testing.T) {
		s := nf.Open(t)
		a := appendAll(t, s, testFragment(arn("nf"), 0, hdr))
		awaitAll(t, a)
		f := a[0].frag
		_, err := s.Get(ctx, arn("nf"), f.Number+1000)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.Get(ctx, arn("elsewhere"), f.Number)
		require.ErrorIs(t, err, store.ErrNotFound, "a number under another stream")
		missing := f
		missing.Number += 1000
		_, err = s.ReadMedia(ctx, missing, nil)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.ReadHeader(ctx, arn("nf"), f.HeaderID+1000)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.ReadHeader(ctx, arn("elsewhere"), f.HeaderID)
		require.ErrorIs(t, err, store.ErrNotFound)
		n, err := s.DeleteBefore(ctx, arn("elsewhere"), time.Now())
		require.NoError(t, err)
		require.Zero(t, n)
		require.NoError(t, s.DeleteStream(ctx, arn("elsewhere")))
	})

	t.Run("DeleteBefore", func(t *testing.T) {
		s := nf.Open(t)
		stream, other := arn("db"), arn("db-other")
		var in []store.NewFragment
		for i := range 10 {
			in = append(in, testFragment(stream, i, hdr), testFragment(other, i, hdr))
		}
		all := appendAll(t, s, in...)
		awaitAll(t, all)
		var mine []appended
		for _, a := range all {
			if a.frag.Stream == stream {
				mine = append(mine, a)
			}
		}
		n, err := s.DeleteBefore(ctx, stream, mine[4].in.ServerTimestamp)
		require.NoError(t, err)
		require.Equal(t, 4, n, "strictly before: the fragment at the bound stays")
		list, err := s.List(ctx, store.FragmentQuery{Stream: stream})
		require.NoError(t, err)
		require.Equal(t, numbersOf(mine[4:]), numbers(list))
		for _, a := range mine[:4] {
			_, err := s.Get(ctx, stream, a.frag.Number)
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = s.ReadMedia(ctx, a.frag, nil)
			require.ErrorIs(t, err, store.ErrNotFound)
		}
		for _, a := range mine[4:] {
			media, err := s.ReadMedia(ctx, a.frag, nil)
			require.NoError(t, err)
			require.Equal(t, a.in.Media, media)
		}
		h, err := s.ReadHeader(ctx, stream, mine[4].frag.HeaderID)
		require.NoError(t, err, "a header in use survives")
		require.Equal(t, hdr, h)
		list, err = s.List(ctx, store.FragmentQuery{Stream: other})
		require.NoError(t, err)
		require.Len(t, list, 10, "other streams are untouched")

		n, err = s.DeleteBefore(ctx, stream, mine[9].in.ServerTimestamp.Add(time.Millisecond))
		require.NoError(t, err)
		require.Equal(t, 6, n)
		list, err = s.List(ctx, store.FragmentQuery{Stream: stream})
		require.NoError(t, err)
		require.Empty(t, list)

		// The stream lives on.
		more := appendAll(t, s, testFragment(stream, 20, hdr))
		awaitAll(t, more)
		require.Greater(t, more[0].frag.Number, all[len(all)-1].frag.Number)
		h, err = s.ReadHeader(ctx, stream, more[0].frag.HeaderID)
		require.NoError(t, err)
		require.Equal(t, hdr, h)
	})

	t.Run("DeleteStream", func(t *testing.T) {
		s := nf.Open(t)
		stream, other := arn("ds"), arn("ds-other")
		var in []store.NewFragment
		for i := range 6 {
			in = append(in, testFragment(stream, i, hdr), testFragment(other, i, hdr))
		}
		all := appendAll(t, s, in...)
		// Half durable, half maybe still pending: both must go.
		awaitAll(t, all[:6])
		require.NoError(t, s.DeleteStream(ctx, stream))
		for _, a := range all[6:] {
			if a.frag.Stream == other {
				awaitDurable(t, a.ch)
				continue
			}
			// Deleted before it was awaited: a backend may report either
			// outcome, but it must report one.
			select {
			case <-a.ch:
			case <-time.After(durableTimeout):
				t.Fatal("no result for a fragment of a deleted stream")
			}
		}
		for _, a := range all {
			_, err := s.Get(ctx, a.frag.Stream, a.frag.Number)
			if a.frag.Stream == stream {
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = s.ReadMedia(ctx, a.frag, nil)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = s.ReadHeader(ctx, stream, a.frag.HeaderID)
				require.ErrorIs(t, err, store.ErrNotFound)
			} else {
				require.NoError(t, err)
			}
		}
		list, err := s.List(ctx, store.FragmentQuery{Stream: stream})
		require.NoError(t, err)
		require.Empty(t, list)
		list, err = s.List(ctx, store.FragmentQuery{Stream: other})
		require.NoError(t, err)
		require.Len(t, list, 6)

		// A stream of the same name can be written again.
		again := appendAll(t, s, testFragment(stream, 0, hdr))
		awaitAll(t, again)
		list, err = s.List(ctx, store.FragmentQuery{Stream: stream})
		require.NoError(t, err)
		require.Equal(t, numbersOf(again), numbers(list))
		require.Greater(t, again[0].frag.Number, all[len(all)-1].frag.Number)
		media, err := s.ReadMedia(ctx, again[0].frag, nil)
		require.NoError(t, err)
		require.Equal(t, again[0].in.Media, media)
		h, err := s.ReadHeader(ctx, stream, again[0].frag.HeaderID)
		require.NoError(t, err)
		require.Equal(t, hdr, h)
	})

	t.Run("LargeAndEmptyMedia", func(t *testing.T) {
		s := nf.Open(t)
		big := testFragment(arn("big"), 0, hdr)
		big.Media = testMedia(7, 5<<20+123)
		empty := testFragment(arn("big"), 1, hdr)
		empty.Media = nil
		noHeader := testFragment(arn("big"), 2, nil)
		as := appendAll(t, s, big, empty, noHeader)
		awaitAll(t, as)
		for _, a := range as {
			media, err := s.ReadMedia(ctx, a.frag, nil)
			require.NoError(t, err)
			require.True(t, bytes.Equal(a.in.Media, media))
		}
	})

	t.Run("ConcurrentAppends", func(t *testing.T) {
		s := nf.Open(t)
		const writers, each = 16, 25
		var (
			mu  sync.Mutex
			got []appended
			wg  sync.WaitGroup
		)
		for w := range writers {
			wg.Go(func() {
				stream := arn(fmt.Sprintf("c%d", w%5))
				var mine []appended
				for i := range each {
					in := testFragment(stream, w*each+i, hdr)
					in.Media = testMedia(w*1000+i, 2000+i*10)
					f, ch, err := s.Append(ctx, in)
					if err != nil {
						t.Errorf("append: %v", err)
						return
					}
					mine = append(mine, appended{frag: f, in: in, ch: ch})
					if i%5 == 0 {
						// Readers run while others append.
						if _, err := s.List(ctx, store.FragmentQuery{Stream: stream, Limit: 10}); err != nil {
							t.Errorf("list: %v", err)
						}
					}
				}
				for i := 1; i < len(mine); i++ {
					if mine[i].frag.Number <= mine[i-1].frag.Number {
						t.Errorf("numbers not increasing for one writer: %d after %d", mine[i].frag.Number, mine[i-1].frag.Number)
					}
				}
				mu.Lock()
				got = append(got, mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		require.Len(t, got, writers*each)
		awaitAll(t, got)
		seen := make(map[uint64]bool)
		perStream := make(map[string][]appended)
		for _, a := range got {
			require.False(t, seen[a.frag.Number], "number %d handed out twice", a.frag.Number)
			seen[a.frag.Number] = true
			perStream[a.frag.Stream] = append(perStream[a.frag.Stream], a)
		}
		for stream, as := range perStream {
			slices.SortFunc(as, func(x, y appended) int { return cmpUint(x.frag.Number, y.frag.Number) })
			list, err := s.List(ctx, store.FragmentQuery{Stream: stream})
			require.NoError(t, err)
			require.Equal(t, numbersOf(as), numbers(list))
			for _, a := range as {
				media, err := s.ReadMedia(ctx, a.frag, nil)
				require.NoError(t, err)
				require.Equal(t, a.in.Media, media)
			}
		}
	})

	t.Run("Usage", func(t *testing.T) {
		s := nf.Open(t)
		as := appendAll(t, s, testFragment(arn("u"), 0, hdr), testFragment(arn("u"), 1, hdr))
		awaitAll(t, as)
		n, err := s.Usage(ctx)
		require.NoError(t, err)
		require.GreaterOrEqual(t, n, as[0].frag.Size+as[1].frag.Size)
	})

	if nf.Reopen != nil {
		t.Run("SurvivesReopen", func(t *testing.T) {
			s := nf.Open(t)
			stream := arn("r")
			hdr2 := []byte("second header")
			durable := appendAll(t, s, testFragment(stream, 0, hdr), testFragment(stream, 1, hdr2), testFragment(arn("r2"), 0, hdr))
			awaitAll(t, durable)
			// Appended and not awaited: Close must flush them.
			flushed := appendAll(t, s, testFragment(stream, 2, hdr), testFragment(stream, 3, hdr))
			last := flushed[len(flushed)-1].frag.Number

			s = nf.Reopen(t, s)
			awaitAll(t, flushed)
			// A producer-timestamp lookup (what ingest asks of a re-sent
			// fragment) finds fragments stored before the reopen, and
			// nothing past the stream's newest.
			ts := durable[1].frag.ProducerTimestamp
			at, err := s.List(ctx, store.FragmentQuery{Stream: stream, By: store.ByProducerTimestamp, Start: ts, End: ts})
			require.NoError(t, err)
			require.Equal(t, []uint64{durable[1].frag.Number}, numbers(at))
			past := flushed[1].frag.ProducerTimestamp.Add(time.Millisecond)
			after, err := s.List(ctx, store.FragmentQuery{Stream: stream, By: store.ByProducerTimestamp, Start: past})
			require.NoError(t, err)
			require.Empty(t, after)
			for _, a := range append(durable, flushed...) {
				got, err := s.Get(ctx, a.frag.Stream, a.frag.Number)
				require.NoError(t, err)
				requireFragment(t, a.frag, a.in, got)
				media, err := s.ReadMedia(ctx, got, nil)
				require.NoError(t, err)
				require.Equal(t, a.in.Media, media)
				h, err := s.ReadHeader(ctx, a.frag.Stream, a.frag.HeaderID)
				require.NoError(t, err)
				require.Equal(t, a.in.Header, h)
			}
			list, err := s.List(ctx, store.FragmentQuery{Stream: stream})
			require.NoError(t, err)
			require.Equal(t, []uint64{durable[0].frag.Number, durable[1].frag.Number, flushed[0].frag.Number, flushed[1].frag.Number}, numbers(list))

			// Numbers keep increasing, and a known header keeps its ID.
			more := appendAll(t, s, testFragment(stream, 4, hdr), testFragment(arn("new"), 0, hdr))
			awaitAll(t, more)
			require.Greater(t, more[0].frag.Number, last)
			require.Greater(t, more[1].frag.Number, more[0].frag.Number)
			require.Equal(t, durable[0].frag.HeaderID, more[0].frag.HeaderID)

			// Deletes survive too.
			n, err := s.DeleteBefore(ctx, stream, flushed[0].in.ServerTimestamp)
			require.NoError(t, err)
			require.Equal(t, 2, n)
			require.NoError(t, s.DeleteStream(ctx, arn("r2")))
			s = nf.Reopen(t, s)
			list, err = s.List(ctx, store.FragmentQuery{Stream: stream})
			require.NoError(t, err)
			require.Equal(t, []uint64{flushed[0].frag.Number, flushed[1].frag.Number, more[0].frag.Number}, numbers(list))
			list, err = s.List(ctx, store.FragmentQuery{Stream: arn("r2")})
			require.NoError(t, err)
			require.Empty(t, list)
			again := appendAll(t, s, testFragment(stream, 5, hdr))
			awaitAll(t, again)
			require.Greater(t, again[0].frag.Number, more[1].frag.Number)
		})
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
