package local

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/openkvs/openkvs/internal/store"
)

// A segment file is a plain sequence of records, with no file header: the
// first record starts at offset 0 and each record starts where the previous
// one ends. docs/on-disk-format.md draws the layout; in short, all integers
// little-endian:
//
//	 0  magic      4  "OKVR"
//	 4  version    1  1
//	 5  type       1  recordMedia or recordHeader
//	 6  keyLen     2  length K of the stream key (the stream ARN)
//	 8  id         8  fragment number or header ID
//	16  length     4  payload length N
//	20  dataCRC    4  CRC-32C (Castagnoli) of the payload
//	24  reserved   4  zero
//	28  headCRC    4  CRC-32C of bytes 0..27 followed by the stream key
//	32  key        K
//	32+K payload   N
//
// Two checksums rather than one over everything: headCRC vouches for the
// length field before a reader trusts it to size a read, and dataCRC is the
// fragment's store.Fragment.Checksum, so the payload is hashed only once.
// Together they cover every byte of the record.
const (
	recordHeaderSize = 32
	recordVersion    = 1
	// recordMedia holds the bytes of one fragment (a Matroska Cluster plus
	// the producer's tags that followed it).
	recordMedia = 1
	// recordHeader holds a producer header (EBML header, Segment Info,
	// Tracks) shared by the fragments that reference its ID.
	recordHeader = 2
	// recordBatch closes one group commit's records in a segment: the index
	// rows of its fragments and headers (see batchIndex). A fragment is
	// acknowledged once its batch record is durable, before its row is in
	// the SQLite index, so Open rebuilds rows the index lacks from these.
	recordBatch = 3
	// maxRecordPayload keeps length within its 32-bit field.
	maxRecordPayload = 1<<32 - 1
	// maxStreamKey keeps keyLen within its 16-bit field.
	maxStreamKey = 1<<16 - 1
)

var recordMagic = [4]byte{'O', 'K', 'V', 'R'}

// castagnoli is the CRC-32C table: the polynomial with hardware support on
// amd64 (SSE 4.2) and arm64, and the one tsdb uses for its WAL.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadRecord is wrapped into store.ErrCorrupt by the callers that know
// where the record is.
var errBadRecord = errors.New("bad record")

// recordLen is the on-disk size of a record with a key of keyLen bytes and
// a payload of n bytes.
func recordLen(keyLen, n int) int { return recordHeaderSize + keyLen + n }

// recordHead is the decoded fixed part of a record.
type recordHead struct {
	typ     byte
	keyLen  int
	id      uint64
	length  uint32
	dataCRC uint32
	headCRC uint32
}

// encodeRecord writes a complete record into dst, which must be exactly
// recordLen(len(key), len(payload)) bytes. dataCRC is the CRC-32C of
// payload, passed in because callers already computed it.
func encodeRecord(dst []byte, typ byte, id uint64, key string, payload []byte, dataCRC uint32) {
	copy(dst[0:4], recordMagic[:])
	dst[4] = recordVersion
	dst[5] = typ
	binary.LittleEndian.PutUint16(dst[6:8], uint16(len(key)))
	binary.LittleEndian.PutUint64(dst[8:16], id)
	binary.LittleEndian.PutUint32(dst[16:20], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[20:24], dataCRC)
	binary.LittleEndian.PutUint32(dst[24:28], 0)
	copy(dst[recordHeaderSize:], key)
	binary.LittleEndian.PutUint32(dst[28:32], headChecksum(dst[:28], dst[recordHeaderSize:recordHeaderSize+len(key)]))
	copy(dst[recordHeaderSize+len(key):], payload)
}

func headChecksum(fixed, key []byte) uint32 {
	return crc32.Update(crc32.Checksum(fixed, castagnoli), castagnoli, key)
}

// decodeRecordHead parses the fixed 32 bytes of a record. It checks what it
// can without the key (magic, version, type, reserved bytes); checkKey then
// verifies headCRC once the key has been read.
func decodeRecordHead(b []byte) (recordHead, error) {
	if len(b) < recordHeaderSize {
		return recordHead{}, fmt.Errorf("%w: short header", errBadRecord)
	}
	if [4]byte(b[0:4]) != recordMagic {
		return recordHead{}, fmt.Errorf("%w: magic %x", errBadRecord, b[0:4])
	}
	if b[4] != recordVersion {
		return recordHead{}, fmt.Errorf("%w: version %d", errBadRecord, b[4])
	}
	if b[5] != recordMedia && b[5] != recordHeader && b[5] != recordBatch {
		return recordHead{}, fmt.Errorf("%w: type %d", errBadRecord, b[5])
	}
	if binary.LittleEndian.Uint32(b[24:28]) != 0 {
		return recordHead{}, fmt.Errorf("%w: reserved bytes set", errBadRecord)
	}
	return recordHead{
		typ:     b[5],
		keyLen:  int(binary.LittleEndian.Uint16(b[6:8])),
		id:      binary.LittleEndian.Uint64(b[8:16]),
		length:  binary.LittleEndian.Uint32(b[16:20]),
		dataCRC: binary.LittleEndian.Uint32(b[20:24]),
		headCRC: binary.LittleEndian.Uint32(b[28:32]),
	}, nil
}

// checkKey verifies headCRC over the fixed header b[:28] and key.
func (h recordHead) checkKey(fixed, key []byte) error {
	if len(key) != h.keyLen {
		return fmt.Errorf("%w: key length %d, want %d", errBadRecord, len(key), h.keyLen)
	}
	if got := headChecksum(fixed[:28], key); got != h.headCRC {
		return fmt.Errorf("%w: header checksum %08x, want %08x", errBadRecord, got, h.headCRC)
	}
	return nil
}

// recordWant is what the index says a record holds; readRecord checks the
// record on disk against it so that an index row pointing at the wrong bytes
// is reported as corrupt rather than served.
type recordWant struct {
	typ    byte
	id     uint64
	key    string
	length int64
}

// readRecord reads the record at off in r, verifies both checksums and that
// it is the record want describes, and appends its payload to dst. A record
// that fails (including one cut short by the end of the file) is reported
// as store.ErrCorrupt.
func readRecord(r io.ReaderAt, off int64, want recordWant, dst []byte) ([]byte, error) {
	var small [recordHeaderSize + 256]byte
	var head []byte
	if n := recordHeaderSize + len(want.key); n <= len(small) {
		head = small[:n]
	} else {
		head = make([]byte, n)
	}
	if _, err := r.ReadAt(head, off); err != nil {
		return dst, readErr(err)
	}
	h, err := decodeRecordHead(head)
	if err != nil {
		return dst, fmt.Errorf("%w: %w", store.ErrCorrupt, err)
	}
	if err := h.checkKey(head, head[recordHeaderSize:]); err != nil {
		return dst, fmt.Errorf("%w: %w", store.ErrCorrupt, err)
	}
	if h.typ != want.typ || h.id != want.id || string(head[recordHeaderSize:]) != want.key || int64(h.length) != want.length {
		return dst, fmt.Errorf("%w: record is type %d id %d length %d, index wants type %d id %d length %d",
			store.ErrCorrupt, h.typ, h.id, h.length, want.typ, want.id, want.length)
	}
	start := len(dst)
	dst = grow(dst, int(h.length))
	payload := dst[start:]
	// Skip an empty read: some ReaderAts report EOF for one at the end.
	if len(payload) > 0 {
		if _, err := r.ReadAt(payload, off+int64(len(head))); err != nil {
			return dst[:start], readErr(err)
		}
	}
	if got := crc32.Checksum(payload, castagnoli); got != h.dataCRC {
		return dst[:start], fmt.Errorf("%w: payload checksum %08x, want %08x", store.ErrCorrupt, got, h.dataCRC)
	}
	return dst, nil
}

// readErr maps a short read to corruption: the index said the bytes exist.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: record cut short", store.ErrCorrupt)
	}
	return err
}

// grow extends b by n bytes, reallocating at most once.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// batchIndex is the payload of a recordBatch: what the index rows of one
// batch's records in one segment hold beyond the records themselves. The
// stream, size and checksum of a fragment, and the stream, size and hash of
// a header, come from the records at the given offsets.
//
//	0  fragments F  4
//	4  headers H    4
//	8  F entries of 48: number, offset, producer_ts, server_ts, duration, header_id (8 each)
//	   H entries of 16: header id, offset (8 each)
type batchIndex struct {
	frags   []batchFragment
	headers []batchHeader
}

type batchFragment struct {
	number, offset       int64
	producerTS, serverTS int64 // encodeTime
	duration             int64
	headerID             int64
}

type batchHeader struct{ id, offset int64 }

const (
	batchIndexHead   = 8
	batchFragmentLen = 48
	batchHeaderLen   = 16
)

// batchIndexLen is the payload size of a batchIndex with f fragments and h
// headers.
func batchIndexLen(f, h int) int { return batchIndexHead + f*batchFragmentLen + h*batchHeaderLen }

func (x *batchIndex) encode(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(x.frags)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(x.headers)))
	for _, f := range x.frags {
		for _, v := range [...]int64{f.number, f.offset, f.producerTS, f.serverTS, f.duration, f.headerID} {
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	for _, h := range x.headers {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(h.id))
		dst = binary.LittleEndian.AppendUint64(dst, uint64(h.offset))
	}
	return dst
}

func decodeBatchIndex(b []byte) (batchIndex, error) {
	if len(b) < batchIndexHead {
		return batchIndex{}, fmt.Errorf("%w: batch index of %d bytes", errBadRecord, len(b))
	}
	nf, nh := int(binary.LittleEndian.Uint32(b[0:4])), int(binary.LittleEndian.Uint32(b[4:8]))
	if uint64(len(b)) != uint64(batchIndexHead)+uint64(nf)*batchFragmentLen+uint64(nh)*batchHeaderLen {
		return batchIndex{}, fmt.Errorf("%w: batch index of %d bytes for %d fragments and %d headers", errBadRecord, len(b), nf, nh)
	}
	x := batchIndex{frags: make([]batchFragment, nf), headers: make([]batchHeader, nh)}
	v := func(i int) int64 { return int64(binary.LittleEndian.Uint64(b[i:])) }
	at := batchIndexHead
	for i := range x.frags {
		x.frags[i] = batchFragment{number: v(at), offset: v(at + 8), producerTS: v(at + 16), serverTS: v(at + 24),
			duration: v(at + 32), headerID: v(at + 40)}
		at += batchFragmentLen
	}
	for i := range x.headers {
		x.headers[i] = batchHeader{id: v(at), offset: v(at + 8)}
		at += batchHeaderLen
	}
	return x, nil
}
