package mkv

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseElementHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		id      ID
		size    int64
		hlen    int
		wantErr error
	}{
		{"segment 1-octet unknown", []byte{0x18, 0x53, 0x80, 0x67, 0xFF}, IDSegment, UnknownSize, 5, nil},
		{"segment 8-octet unknown", []byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, IDSegment, UnknownSize, 12, nil},
		{"tags 4-octet", []byte{0x12, 0x54, 0xC3, 0x67, 0x10, 0x00, 0x00, 0xE2}, IDTags, 0xE2, 8, nil},
		{"simple block 8-octet", []byte{0xA3, 0x01, 0, 0, 0, 0, 0x01, 0xD2, 0x61}, IDSimpleBlock, 119393, 9, nil},
		{"position", []byte{0xA7, 0x81, 0x00}, IDPosition, 1, 2, nil},
		{"max known size", []byte{0xEC, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE}, IDVoid, MaxSize, 9, nil},
		{"2-octet 127 is known", []byte{0xEC, 0x40, 0x7F}, IDVoid, 127, 3, nil},
		{"empty", nil, 0, 0, 0, ErrTruncated},
		{"short id", []byte{0x1A, 0x45}, 0, 0, 0, ErrTruncated},
		{"short size", []byte{0xEC, 0x40}, 0, 0, 0, ErrTruncated},
		{"size 0x00", []byte{0xEC, 0x00}, 0, 0, 0, ErrInvalidVint},
		{"id 0x00", []byte{0x00}, 0, 0, 0, ErrInvalidID},
		{"id 5 octets", []byte{0x08, 1, 2, 3, 4, 0x80}, 0, 0, 0, ErrInvalidID},
		{"id reserved 0xFF", []byte{0xFF, 0x80}, 0, 0, 0, ErrInvalidID},
		{"id reserved 0x7FFF", []byte{0x7F, 0xFF, 0x80}, 0, 0, 0, ErrInvalidID},
		{"id zero 0x4000", []byte{0x40, 0x00, 0x80}, 0, 0, 0, ErrInvalidID},
		{"ChapterDisplay 0x80 is allowed", []byte{0x80, 0x80}, IDChapterDisplay, 0, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, size, hlen, err := ParseElementHeader(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err == nil && (id != tc.id || size != tc.size || hlen != tc.hlen) {
				t.Fatalf("got %v %d %d, want %v %d %d", id, size, hlen, tc.id, tc.size, tc.hlen)
			}
		})
	}
}

func TestAppendElementHeader(t *testing.T) {
	tests := []struct {
		name    string
		id      ID
		size    int64
		width   int
		want    []byte
		wantErr error
	}{
		{"minimal 0", IDVoid, 0, 0, []byte{0xEC, 0x80}, nil},
		{"minimal 126", IDVoid, 126, 0, []byte{0xEC, 0xFE}, nil},
		{"minimal 127 needs 2 octets", IDVoid, 127, 0, []byte{0xEC, 0x40, 0x7F}, nil},
		{"minimal 16382", IDVoid, 16382, 0, []byte{0xEC, 0x7F, 0xFE}, nil},
		{"minimal 16383 needs 3 octets", IDVoid, 16383, 0, []byte{0xEC, 0x20, 0x3F, 0xFF}, nil},
		{"4-octet tags", IDTags, 0xE2, 4, []byte{0x12, 0x54, 0xC3, 0x67, 0x10, 0x00, 0x00, 0xE2}, nil},
		{"8-octet", IDSimpleBlock, 119393, 8, []byte{0xA3, 0x01, 0, 0, 0, 0, 0x01, 0xD2, 0x61}, nil},
		{"max", IDVoid, MaxSize, 0, []byte{0xEC, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE}, nil},
		{"unknown minimal", IDCluster, UnknownSize, 0, []byte{0x1F, 0x43, 0xB6, 0x75, 0xFF}, nil},
		{"unknown 2 octets", IDCluster, UnknownSize, 2, []byte{0x1F, 0x43, 0xB6, 0x75, 0x7F, 0xFF}, nil},
		{"too big for width", IDVoid, 127, 1, nil, ErrSizeWidth},
		{"too big", IDVoid, MaxSize + 1, 0, nil, ErrSizeWidth},
		{"negative", IDVoid, -2, 0, nil, ErrSizeWidth},
		{"width 9", IDVoid, 1, 9, nil, ErrSizeWidth},
		{"invalid id", ID(0x01), 1, 0, nil, ErrInvalidID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppendElementHeader(nil, tc.id, tc.size, tc.width)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("% x, want % x", got, tc.want)
			}
			id, size, hlen, err := ParseElementHeader(got)
			if err != nil || id != tc.id || size != tc.size || hlen != len(got) {
				t.Fatalf("parse back: %v %d %d %v", id, size, hlen, err)
			}
		})
	}
}

func TestIDNames(t *testing.T) {
	tests := []struct {
		id     ID
		name   string
		typ    ElementType
		parent ID
	}{
		{IDEBML, "EBML", TypeMaster, 0},
		{IDSegment, "Segment", TypeMaster, 0},
		{IDCluster, "Cluster", TypeMaster, IDSegment},
		{IDTimestamp, "Timestamp", TypeUinteger, IDCluster},
		{IDSimpleBlock, "SimpleBlock", TypeBinary, IDCluster},
		{IDBlockGroup, "BlockGroup", TypeMaster, IDCluster},
		{IDTimestampScale, "TimestampScale", TypeUinteger, IDInfo},
		{IDSamplingFrequency, "SamplingFrequency", TypeFloat, IDAudio},
		{IDSimpleTag, "SimpleTag", TypeMaster, IDTag},
		{IDTagString, "TagString", TypeUTF8, IDSimpleTag},
		{IDDateUTC, "DateUTC", TypeDate, IDInfo},
		{IDReferenceBlock, "ReferenceBlock", TypeInteger, IDBlockGroup},
		{IDCodecID, "CodecID", TypeString, IDTrackEntry},
		{IDCRC32, "CRC-32", TypeBinary, 0},
		{ID(0x55B1), "MatrixCoefficients", TypeUinteger, IDColour},
		{ID(0x4321), "0x4321", TypeUnknown, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.id.String() != tc.name || tc.id.Type() != tc.typ || tc.id.Parent() != tc.parent {
				t.Fatalf("got %s %s %v", tc.id, tc.id.Type(), tc.id.Parent())
			}
		})
	}
	// Every schema ID is a valid, encodable ID whose parent is known.
	for id, info := range schema {
		if !id.valid() {
			t.Errorf("%s: invalid id %#x", info.name, uint32(id))
		}
		if info.parent != 0 {
			if _, ok := schema[info.parent]; !ok {
				t.Errorf("%s: unknown parent %#x", info.name, uint32(info.parent))
			}
		}
		if fast, _ := lookup(id); fast != info {
			t.Errorf("%s: fast lookup %+v differs from the table %+v", info.name, fast, info)
		}
	}
}

func TestIsDescendant(t *testing.T) {
	tests := []struct {
		child, master ID
		want          bool
	}{
		{IDSimpleBlock, IDCluster, true},
		{IDBlock, IDCluster, true},
		{IDTimestamp, IDSegment, true},
		{IDCluster, IDCluster, false},
		{IDTags, IDCluster, false},
		{IDTagName, IDCluster, false},
		{IDTagName, IDSegment, true},
		{IDEBML, IDSegment, false},
		{IDSegment, IDSegment, false},
		{IDVoid, IDCluster, true},
		{IDCRC32, IDSegment, true},
		{ID(0x4321), IDCluster, true},
	}
	for _, tc := range tests {
		t.Run(tc.child.String()+" in "+tc.master.String(), func(t *testing.T) {
			if got := isDescendant(tc.child, tc.master); got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	tests := []struct {
		name string
		fn   func() (any, error)
		want any
		err  error
	}{
		{"uint empty", func() (any, error) { return decodeUint(nil) }, uint64(0), nil},
		{"uint 8", func() (any, error) { return decodeUint([]byte{0, 0, 1, 0xA2, 0x13, 0x55, 0xF3, 0xE1}) }, uint64(1795620729825), nil},
		{"uint 9", func() (any, error) { return decodeUint(make([]byte, 9)) }, nil, ErrInvalidValue},
		{"int -1", func() (any, error) { return decodeInt([]byte{0xFF}) }, int64(-1), nil},
		{"int -40 in 2", func() (any, error) { return decodeInt([]byte{0xFF, 0xD8}) }, int64(-40), nil},
		{"int 9", func() (any, error) { return decodeInt(make([]byte, 9)) }, nil, ErrInvalidValue},
		{"float32", func() (any, error) { return decodeFloat([]byte{0x47, 0x3B, 0x80, 0x00}) }, float64(48000), nil},
		{"float 5", func() (any, error) { return decodeFloat(make([]byte, 5)) }, nil, ErrInvalidValue},
		{"date 7", func() (any, error) { return decodeDate(make([]byte, 7)) }, nil, ErrInvalidValue},
		{"string padding", func() (any, error) { return decodeString([]byte("matroska\x00")), nil }, "matroska", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.fn()
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err == nil && got != tc.want {
				t.Fatalf("got %v (%T), want %v", got, got, tc.want)
			}
		})
	}
	for _, v := range []int64{0, 1, -1, 127, 128, -128, -129, 1 << 40, -(1 << 40), 1<<63 - 1, -1 << 63} {
		n := intLen(v)
		got, err := decodeInt(appendUintData(nil, uint64(v), n))
		if err != nil || got != v {
			t.Errorf("int %d in %d octets: got %d %v", v, n, got, err)
		}
	}
}
