package mediasource

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"testing/iotest"
	"time"

	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

// The seed corpus in testdata was made with
//
//	ffmpeg -f lavfi -i testsrc=duration=0.2:size=64x48:rate=25 -c:v libx264 -bf 0 -g 3 tiny.h264
//	ffmpeg ... -c:v libx265 -x265-params keyint=3 tiny.h265
//	ffmpeg ... -f lavfi -i sine=duration=0.2:sample_rate=8000 -c:v libx264 -bf 2 -g 3 -c:a aac tiny.mkv

// maxFuzzFrames bounds the frames a fuzz input is read for.
const maxFuzzFrames = 1000

func seed(f *testing.F, name string) []byte {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// FuzzAnnexB checks that the Annex B reader never fails on garbage other
// than with ErrMalformed, that it yields valid AVCC access units whose NAL
// units hold no start code, and that the result does not depend on how the
// input is split into reads.
func FuzzAnnexB(f *testing.F) {
	f.Add(seed(f, "tiny.h264"), false)
	f.Add(seed(f, "tiny.h265"), true)
	f.Add([]byte{0, 0, 1, 0x65, 0x88, 0, 0, 0, 1, 0x41, 0x9a}, false)
	f.Add([]byte{0, 0, 0, 1, 0x26, 0x01, 0xaf, 0, 0, 1, 0x02, 0x01, 0x80}, true)
	f.Fuzz(func(t *testing.T, data []byte, h265 bool) {
		codec := codecH264
		if h265 {
			codec = codecH265
		}
		whole := readAccessUnits(t, codec, bytes.NewReader(data))
		bytewise := readAccessUnits(t, codec, iotest.OneByteReader(bytes.NewReader(data)))
		if len(whole) != len(bytewise) {
			t.Fatalf("%d access units read whole, %d byte by byte", len(whole), len(bytewise))
		}
		for i := range whole {
			if !bytes.Equal(whole[i].data, bytewise[i].data) || whole[i].key != bytewise[i].key {
				t.Fatalf("access unit %d differs between whole and byte-by-byte reads", i)
			}
		}
	})
}

func readAccessUnits(t *testing.T, codec videoCodec, r io.Reader) []accessUnit {
	aus := &accessUnitReader{codec: codec, nals: newNALScanner(r)}
	var out []accessUnit
	for len(out) < maxFuzzFrames {
		au, err := aus.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			break
		}
		n := 0
		for nal, err := range parser.AVCCUnits(au.data, 4) {
			if err != nil {
				t.Fatalf("access unit %d: %v", len(out), err)
			}
			if len(nal) == 0 || bytes.Contains(nal, startCode3) {
				t.Fatalf("access unit %d: NAL unit %x is empty or holds a start code", len(out), nal)
			}
			n += 4 + len(nal)
		}
		if n != len(au.data) {
			t.Fatalf("access unit %d: lengths cover %d of %d octets", len(out), n, len(au.data))
		}
		out = append(out, au)
	}
	return out
}

// FuzzMatroska checks that the Matroska source fails on garbage only with
// the package's errors and that what it yields keeps the promises of the
// package documentation.
func FuzzMatroska(f *testing.F) {
	mkv := seed(f, "tiny.mkv")
	f.Add(mkv)
	f.Add(mkv[:len(mkv)/2])
	f.Add(mkv[:200])
	f.Fuzz(func(t *testing.T, data []byte) {
		log := slog.New(slog.DiscardHandler)
		raw, err := openMatroska(bytes.NewReader(data), nil, log)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		src := newNormalised(raw, log)
		tracks := src.Tracks()
		if len(tracks) == 0 || len(tracks) > maxTracks || tracks[0].Type != producer.TrackVideo {
			t.Fatalf("tracks %+v", tracks)
		}
		lastDTS := map[uint64]time.Duration{}
		for range maxFuzzFrames {
			fr, err := src.Next(context.Background())
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				checkSentinel(t, err)
				return
			}
			if fr.DTS < lastDTS[fr.TrackID] || fr.PTS < fr.DTS || fr.DTS < 0 {
				t.Fatalf("track %d: DTS %v after %v, PTS %v", fr.TrackID, fr.DTS, lastDTS[fr.TrackID], fr.PTS)
			}
			lastDTS[fr.TrackID] = fr.DTS
			if fr.TrackID == tracks[0].ID {
				for _, err := range parser.AVCCUnits(fr.Data, 4) {
					if err != nil {
						t.Fatalf("video frame not AVCC: %v", err)
					}
				}
			}
		}
	})
}

func checkSentinel(t *testing.T, err error) {
	for _, s := range []error{ErrMalformed, ErrNoVideo, ErrNoKeyFrame, ErrUnsupported} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error without a sentinel: %v", err)
}
