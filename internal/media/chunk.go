package media

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
	"time"

	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/mkv"
)

// Tag names of GetMediaForFragmentList, which differ from GetMedia's.
const (
	tagServerSideTimestamp   = "AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP"
	tagProducerSideTimestamp = "AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP"
)

// appendSeconds appends a timestamp as KVS formats it in tags: seconds with
// exactly three decimals and no padding of the integer part.
func appendSeconds(b []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	if frac < 0 {
		frac = -frac
	}
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// kvsTags writes one Tags element holding one Tag with the given
// SimpleTags (name, value, name, value...), every size field 4 octets wide,
// no Targets: the form of every KVS-written Tags element in real GetMedia
// output. It is encoded here rather than with an mkv.Writer because it is
// written twice per chunk and the general writer (nested masters, buffered
// sizes) was a tenth of a catch-up reader's CPU; TestKVSTagsLayout holds
// it to the mkv.Writer's bytes.
func kvsTags(buf *bytes.Buffer, pairs ...string) {
	const head = 6 // a 2-octet ID and a 4-octet size
	tag := 0       // the Tag's content: its SimpleTags
	for i := 0; i+1 < len(pairs); i += 2 {
		tag += head + head + len(pairs[i]) + head + len(pairs[i+1])
	}
	b := buf.AvailableBuffer()
	b = binary.BigEndian.AppendUint32(b, uint32(mkv.IDTags))
	b = appendSize4(b, head+tag)
	b = appendElementHead(b, mkv.IDTag, tag)
	for i := 0; i+1 < len(pairs); i += 2 {
		name, value := pairs[i], pairs[i+1]
		b = appendElementHead(b, mkv.IDSimpleTag, head+len(name)+head+len(value))
		b = append(appendElementHead(b, mkv.IDTagName, len(name)), name...)
		b = append(appendElementHead(b, mkv.IDTagString, len(value)), value...)
	}
	buf.Write(b)
}

// appendElementHead appends a 2-octet element ID and a 4-octet size.
func appendElementHead(b []byte, id mkv.ID, size int) []byte {
	return appendSize4(binary.BigEndian.AppendUint16(b, uint16(id)), size)
}

// appendSize4 appends size as a 4-octet EBML variable-size integer.
func appendSize4(b []byte, size int) []byte {
	return binary.BigEndian.AppendUint32(b, 0x10000000|uint32(size))
}

// chunkKind picks the tag names of GetMedia or GetMediaForFragmentList.
type chunkKind int

const (
	getMediaChunk chunkKind = iota
	fragmentListChunk
)

// leadingTags appends the KVS Tags element that precedes a chunk's
// Cluster. GetMediaForFragmentList names its timestamps differently.
func leadingTags(buf *bytes.Buffer, kind chunkKind, number uint64, server, producer time.Time) {
	serverTag, producerTag := mkv.TagServerTimestamp, mkv.TagProducerTimestamp
	if kind == fragmentListChunk {
		serverTag, producerTag = tagServerSideTimestamp, tagProducerSideTimestamp
	}
	var st [2][24]byte
	kvsTags(buf, mkv.TagFragmentNumber, FormatFragmentNumber(number), serverTag, string(appendSeconds(st[0][:0], server)),
		producerTag, string(appendSeconds(st[1][:0], producer)))
}

// trailingTags appends the KVS Tags element that ends a GetMedia chunk: how
// far it is behind now, and the token to resume after it.
func trailingTags(buf *bytes.Buffer, number uint64, server, now time.Time) {
	behind := max(now.Sub(server).Milliseconds(), 0)
	kvsTags(buf, mkv.TagMillisBehindNow, strconv.FormatInt(behind, 10), mkv.TagContinuationToken, FormatFragmentNumber(number))
}

// writeChunk writes one chunk: the producer's header (stored with the
// 8-octet unknown-size Segment), the leading KVS tags, the fragment as the
// producer sent it, and, for GetMedia, the trailing KVS tags. The small
// parts go through scratch; the media is written from where it was read,
// without another copy.
func writeChunk(w io.Writer, scratch *bytes.Buffer, kind chunkKind, header []byte, f store.Fragment, media []byte, now time.Time) error {
	scratch.Reset()
	scratch.Write(header)
	leadingTags(scratch, kind, f.Number, f.ServerTimestamp, f.ProducerTimestamp)
	if _, err := w.Write(scratch.Bytes()); err != nil {
		return err
	}
	if _, err := w.Write(media); err != nil {
		return err
	}
	if kind == fragmentListChunk {
		return nil
	}
	scratch.Reset()
	trailingTags(scratch, f.Number, f.ServerTimestamp, now)
	_, err := w.Write(scratch.Bytes())
	return err
}

// appendErrorTags appends the tags a GetMedia stream ends with when it
// stops on an error.
func appendErrorTags(buf *bytes.Buffer, code string, id int) {
	kvsTags(buf, mkv.TagErrorCode, code, mkv.TagErrorID, strconv.Itoa(id))
}
