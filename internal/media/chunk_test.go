package media

import (
	"bytes"
	"testing"
	"time"

	"github.com/openkvs/openkvs/mkv"
)

// TestKVSTagsLayout holds the hand-encoded KVS Tags element to the bytes
// the general mkv.Writer makes of the same tags with 4-octet sizes.
func TestKVSTagsLayout(t *testing.T) {
	for _, pairs := range [][]string{
		{mkv.TagFragmentNumber, FormatFragmentNumber(12345), mkv.TagServerTimestamp, "1700000000.123", mkv.TagProducerTimestamp, "1700000000.000"},
		{mkv.TagMillisBehindNow, "0", mkv.TagContinuationToken, FormatFragmentNumber(1)},
		{mkv.TagErrorCode, "INTERNAL_ERROR", mkv.TagErrorID, "5000"},
		{"EMPTY", ""},
	} {
		var want bytes.Buffer
		w := mkv.NewWriter(&want)
		if err := w.SetSizeWidth(4); err != nil {
			t.Fatal(err)
		}
		var sts []mkv.SimpleTag
		for i := 0; i+1 < len(pairs); i += 2 {
			sts = append(sts, mkv.SimpleTag{Name: pairs[i], String: pairs[i+1]})
		}
		if err := w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: sts}}}); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.WriteString("prefix")
		kvsTags(&got, pairs...)
		if !bytes.Equal(got.Bytes()[len("prefix"):], want.Bytes()) {
			t.Errorf("tags %q:\n got % x\nwant % x", pairs, got.Bytes()[len("prefix"):], want.Bytes())
		}
	}
}

func TestAppendSeconds(t *testing.T) {
	for ms, want := range map[int64]string{0: "0.000", 1: "0.001", 999: "0.999", 1000: "1.000", 1700000000123: "1700000000.123", 1700000000050: "1700000000.050"} {
		if got := string(appendSeconds(nil, time.UnixMilli(ms))); got != want {
			t.Errorf("appendSeconds(%d ms) = %q, want %q", ms, got, want)
		}
	}
}
