package local

import (
	"bytes"
	"hash/crc32"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
)

func encodeTestRecord(typ byte, id uint64, key string, payload []byte) []byte {
	rec := make([]byte, recordLen(len(key), len(payload)))
	encodeRecord(rec, typ, id, key, payload, crc32.Checksum(payload, castagnoli))
	return rec
}

func TestRecordRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		typ     byte
		id      uint64
		key     string
		payload []byte
	}{
		{"media", recordMedia, 42, testARN, []byte("cluster bytes")},
		{"header", recordHeader, 7, testARN, []byte("\x1a\x45\xdf\xa3")},
		{"empty payload", recordMedia, 1, "k", nil},
		{"long key", recordMedia, 1 << 60, string(bytes.Repeat([]byte("k"), 1000)), []byte{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := encodeTestRecord(tc.typ, tc.id, tc.key, tc.payload)
			want := recordWant{typ: tc.typ, id: tc.id, key: tc.key, length: int64(len(tc.payload))}
			got, err := readRecord(bytes.NewReader(rec), 0, want, []byte("dst"))
			require.NoError(t, err)
			require.Equal(t, append([]byte("dst"), tc.payload...), got)

			// Every single-byte change is caught, as is every cut.
			for i := range rec {
				bad := bytes.Clone(rec)
				bad[i] ^= 0x10
				_, err := readRecord(bytes.NewReader(bad), 0, want, nil)
				require.ErrorIs(t, err, store.ErrCorrupt, "flip at %d", i)
				_, err = readRecord(bytes.NewReader(rec[:i]), 0, want, nil)
				require.ErrorIs(t, err, store.ErrCorrupt, "cut at %d", i)
			}
			// A good record that is not the one the index names is corrupt.
			other := want
			other.id++
			_, err = readRecord(bytes.NewReader(rec), 0, other, nil)
			require.ErrorIs(t, err, store.ErrCorrupt)
		})
	}
}

func TestSegmentName(t *testing.T) {
	for _, n := range []uint64{1, 42, 99_999_999, 100_000_000, 1 << 40} {
		got, ok := parseSegmentName(segmentName(n))
		require.True(t, ok)
		require.Equal(t, n, got)
	}
	for _, bad := range []string{"", ".seg", "00000000.seg", "x.seg", "00000001.seg.tmp", "00000001"} {
		_, ok := parseSegmentName(bad)
		require.False(t, ok, bad)
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the record decoder, which reads
// lengths from untrusted disk contents: it must never panic or allocate
// what the data asks for, and whatever it accepts must re-encode to the
// same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeTestRecord(recordMedia, 1, "s", []byte("payload")))
	f.Add(encodeTestRecord(recordHeader, 9, testARN, []byte("header")))
	f.Add([]byte("OKVR\x01\x01\xff\xff"))
	f.Add(make([]byte, recordHeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeRecordHead(b)
		if err != nil {
			return
		}
		if recordHeaderSize+h.keyLen > len(b) {
			return
		}
		key := string(b[recordHeaderSize : recordHeaderSize+h.keyLen])
		want := recordWant{typ: h.typ, id: h.id, key: key, length: int64(h.length)}
		got, err := readRecord(bytes.NewReader(b), 0, want, nil)
		if err != nil {
			require.ErrorIs(t, err, store.ErrCorrupt)
			return
		}
		require.Equal(t, b[:recordLen(len(key), len(got))], encodeTestRecord(h.typ, h.id, key, got))
	})
}

// TestAdviseAheadNewPass: reads that move forward ask for read-ahead once
// per window; a read far behind the last window (a second pass over the
// segment) asks again from where it is.
func TestAdviseAheadNewPass(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "seg")
	require.NoError(t, err)
	defer f.Close()
	h := &segmentHandle{f: f}
	const frag = 250_000
	h.adviseAhead(0, frag)
	require.EqualValues(t, frag+readAhead, h.advised.Load())
	h.adviseAhead(frag, frag) // well inside the window: nothing new
	require.EqualValues(t, frag+readAhead, h.advised.Load())
	var off int64
	for off = 0; off < 40<<20; off += frag {
		h.adviseAhead(off, frag)
	}
	last := h.advised.Load()
	require.Greater(t, last, int64(40<<20), "the window moved along with the reads")
	h.adviseAhead(0, frag) // a new pass from the start
	require.EqualValues(t, frag+readAhead, h.advised.Load())
}

// FuzzDecodeBatchIndex: a batch record's payload either decodes to entries
// that encode back to the same bytes or is refused; counts never size an
// allocation the payload cannot fill.
func FuzzDecodeBatchIndex(f *testing.F) {
	x := batchIndex{
		frags:   []batchFragment{{number: 7, offset: 120, producerTS: 1, serverTS: 2, duration: 3, headerID: 4}},
		headers: []batchHeader{{id: 4, offset: 0}},
	}
	f.Add(x.encode(nil))
	f.Add((&batchIndex{}).encode(nil))
	f.Add([]byte("\xff\xff\xff\xff\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := decodeBatchIndex(b)
		if err != nil {
			require.ErrorIs(t, err, errBadRecord)
			return
		}
		require.Equal(t, b, x.encode(nil))
		require.Len(t, b, batchIndexLen(len(x.frags), len(x.headers)))
	})
}
