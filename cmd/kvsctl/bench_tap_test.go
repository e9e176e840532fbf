package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/mkv"
)

// tapTestBody is a PutMedia body as the producer library writes it: three
// Clusters with END_OF_FRAGMENT tags, whose frames hold a Cluster start of
// an unknown timecode and a Timestamp-like run that is not one.
func tapTestBody(t *testing.T, timecodes []int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf)
	require.NoError(t, w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 2, DocTypeReadVersion: 2}))
	require.NoError(t, w.StartSegment(true))
	fake := append(append([]byte{}, clusterMark...), 0x84, 0, 0, 0, 7) // timecode 7: no fragment
	fake = append(fake, clusterMark...)
	fake = append(fake, 0x00, 0x01) // not a size at all
	for _, tc := range timecodes {
		require.NoError(t, w.StartCluster(uint64(tc), true))
		for i := range 5 {
			frame := bytes.Repeat([]byte{byte(i)}, 300)
			copy(frame[100:], fake)
			require.NoError(t, w.WriteSimpleBlock(1, int16(i*40), 0, frame))
		}
		require.NoError(t, w.EndMaster())
		require.NoError(t, w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{{Name: mkv.TagEndOfFragment}}}}}))
	}
	return buf.Bytes()
}

// TestBodyTap reads a body in reads of many sizes, so that every mark is
// split at every position, and checks that each fragment's first and last
// octet are found once, in the read that carried them.
func TestBodyTap(t *testing.T) {
	timecodes := []int64{1_795_620_729_825, 1_795_620_730_825, 1_795_620_731_825}
	body := tapTestBody(t, timecodes)
	for _, size := range []int{1, 2, 3, 5, 7, 13, 31, 64, 65, 100, 1000, len(body)} {
		run := newStreamRun("s")
		for _, tc := range timecodes {
			run.addFragment(tc)
		}
		tap := &tapBody{s: run}
		base := time.Unix(0, 0)
		readAt := func(off int) time.Time { return base.Add(time.Duration(off/size) * time.Second) }
		for off := 0; off < len(body); off += size {
			tap.scan(body[off:min(off+size, len(body))], readAt(off))
		}
		require.Equal(t, int64(len(body)), run.bytes, "size %d", size)
		require.Len(t, run.frags, len(timecodes))
		for i, f := range run.frags {
			start := bytes.Index(body, append(append([]byte{}, clusterMark...), 0x86))
			for range i {
				start += 1 + bytes.Index(body[start+1:], append(append([]byte{}, clusterMark...), 0x86))
			}
			// The Timestamp value ends 13 octets after the mark starts;
			// the END_OF_FRAGMENT name ends where its mark does.
			wantFirst := readAt(start + len(clusterMark) + 7 - 1)
			end := start + bytes.Index(body[start:], endMark) + len(endMark) - 1
			require.Equal(t, wantFirst, f.firstByte, "size %d fragment %d first octet", size, i)
			require.Equal(t, readAt(end), f.lastByte, "size %d fragment %d last octet", size, i)
			require.Equal(t, 1, f.sends, "size %d fragment %d", size, i)
		}
	}
}

func TestReadClusterTimecode(t *testing.T) {
	tests := []struct {
		in     []byte
		tc     int64
		n      int
		ok     bool
		reason string
	}{
		{in: []byte{0x86, 1, 0xa2, 0x2b, 0x3c, 0x4d, 0x5e}, tc: 0x01a22b3c4d5e, n: 7, ok: true, reason: "6-octet value"},
		{in: []byte{0x81, 9, 0xff}, tc: 9, n: 2, ok: true, reason: "1-octet value"},
		{in: []byte{0x40, 0x02, 1, 2}, tc: 0x0102, n: 4, ok: true, reason: "2-octet size"},
		{in: []byte{0x86, 1, 2}, ok: false, reason: "value cut"},
		{in: []byte{0x40}, ok: false, reason: "size cut"},
		{in: nil, ok: false, reason: "nothing"},
		{in: []byte{0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0}, tc: -1, n: 1, ok: true, reason: "too large for a Timestamp"},
		{in: []byte{0x80}, tc: -1, n: 1, ok: true, reason: "empty"},
		{in: []byte{0x00, 1}, tc: -1, n: 1, ok: true, reason: "no size"},
	}
	for _, tc := range tests {
		got, n, ok := readClusterTimecode(tc.in)
		require.Equal(t, tc.ok, ok, tc.reason)
		if ok {
			require.Equal(t, tc.tc, got, tc.reason)
			require.Equal(t, tc.n, n, tc.reason)
		}
	}
}
