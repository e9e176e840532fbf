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

// writeChunk writes one chunk: the producer's header (stored with the
// 8-octet unknown-size Segment), the leading KVS tags, the fragment as the
// producer sent it, and, for GetMedia, the trailing KVS tags. The small
// parts go through scratch; the media is written from where it was read,
// without another copy.
func writeChunk(w io.Writer, scratch *bytes.Buffer, kind chunkKind, header []byte, f store.Fragment, media []byte, now time.Time) error {
	scratch.Reset()
	scratch.Write(header)
	number := FormatFragmentNumber(f.Number)
	if kind == fragmentListChunk {
		kvsTags(scratch, mkv.TagFragmentNumber, number,
			tagServerSideTimestamp, seconds(f.ServerTimestamp),
			tagProducerSideTimestamp, seconds(f.ProducerTimestamp))
	} else {
		kvsTags(scratch, mkv.TagFragmentNumber, number,
			mkv.TagServerTimestamp, seconds(f.ServerTimestamp),
			mkv.TagProducerTimestamp, seconds(f.ProducerTimestamp))
	}
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
	behind := max(now.Sub(f.ServerTimestamp).Milliseconds(), 0)
	kvsTags(scratch, mkv.TagMillisBehindNow, fmt.Sprint(behind), mkv.TagContinuationToken, number)
	_, err := w.Write(scratch.Bytes())
	return err
}

// appendErrorTags appends the tags a GetMedia stream ends with when it
// stops on an error.
func appendErrorTags(buf *bytes.Buffer, code string, id int) {
	kvsTags(buf, mkv.TagErrorCode, code, mkv.TagErrorID, fmt.Sprint(id))
}
