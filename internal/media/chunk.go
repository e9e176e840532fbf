package media

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/mkv"
)

// Tag names of GetMediaForFragmentList, which differ from GetMedia's.
const (
	tagServerSideTimestamp   = "AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP"
	tagProducerSideTimestamp = "AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP"
)

// seconds formats a timestamp as KVS does in tags: seconds with exactly
// three decimals and no padding of the integer part.
func seconds(t time.Time) string {
	ms := t.UnixMilli()
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}

// kvsTags writes one Tags element holding one Tag with the given
// SimpleTags, every size field 4 octets wide, no Targets: the form of every
// KVS-written Tags element in real GetMedia output.
func kvsTags(buf *bytes.Buffer, pairs ...string) {
	w := mkv.NewWriter(buf)
	_ = w.SetSizeWidth(4)
	var sts []mkv.SimpleTag
	for i := 0; i+1 < len(pairs); i += 2 {
		sts = append(sts, mkv.SimpleTag{Name: pairs[i], String: pairs[i+1]})
	}
	_ = w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: sts}}})
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
	kvsTags(buf, mkv.TagFragmentNumber, FormatFragmentNumber(number), serverTag, seconds(server), producerTag, seconds(producer))
}

// trailingTags appends the KVS Tags element that ends a GetMedia chunk: how
// far it is behind now, and the token to resume after it.
func trailingTags(buf *bytes.Buffer, number uint64, server, now time.Time) {
	behind := max(now.Sub(server).Milliseconds(), 0)
	kvsTags(buf, mkv.TagMillisBehindNow, fmt.Sprint(behind), mkv.TagContinuationToken, FormatFragmentNumber(number))
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
	kvsTags(buf, mkv.TagErrorCode, code, mkv.TagErrorID, fmt.Sprint(id))
}
