package playback

import (
	"testing"
)

func TestNALUs(t *testing.T) {
	got, err := nalus([]byte{0, 0, 0, 2, 0x65, 1, 0, 0, 0, 1, 0x06}, 4)
	if err != nil || len(got) != 2 || len(got[0]) != 2 || got[1][0] != 0x06 {
		t.Fatalf("nalus = %x, %v", got, err)
	}
	got, err = nalus([]byte{0, 1, 0x41}, 2)
	if err != nil || len(got) != 1 {
		t.Fatalf("2-byte lengths: %x, %v", got, err)
	}
	// Cut frames, zero lengths and empty frames are refused.
	for _, bad := range [][]byte{{0, 0, 0, 9, 0x65}, {0, 0, 0, 0}, {0, 0}, {}} {
		if _, err := nalus(bad, 4); err == nil {
			t.Errorf("nalus(%x) accepted", bad)
		}
	}
}

func TestMarkDiscontinuity(t *testing.T) {
	pkt := func(pid uint16, af bool) []byte {
		p := make([]byte, tsPacketSize)
		p[0], p[1], p[2], p[3] = 0x47, byte(pid>>8), byte(pid), 0x10
		if af {
			p[3] |= 0x20
			p[4], p[5] = 1, 0x40 // random access
		}
		return p
	}
	var ts []byte
	for _, p := range [][]byte{pkt(0, false), pkt(256, true), pkt(256, true), pkt(257, true)} {
		ts = append(ts, p...)
	}
	markDiscontinuity(ts, map[uint16]bool{256: true, 257: true})
	at := func(i int) byte { return ts[i*tsPacketSize+5] }
	if ts[5] != 0 || at(1) != 0xc0 || at(2) != 0x40 || at(3) != 0xc0 {
		t.Fatalf("flags = %x %x %x %x", ts[5], at(1), at(2), at(3))
	}
}
