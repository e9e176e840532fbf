package mkv

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// kvsRealFile describes one .mkv under fixtures/kvs-real and its dump.
type kvsRealFile struct {
	path      string
	dump      string
	truncated bool // the capture ends inside a SimpleBlock (per its README)
	clusters  int  // clusters whose start is in the file
	getMedia  bool // real GetMedia output: one FRAGMENT_NUMBER per chunk
}

var kvsRealFiles = []kvsRealFile{
	{path: "amazon-kinesis-video-streams-parser-library/output_get_media.mkv", dump: "output_get_media", clusters: 5, getMedia: true},
	{path: "amazon-kinesis-video-streams-parser-library/kinesis_video_renderer_example_output.mkv", dump: "kinesis_video_renderer_example_output", clusters: 8, getMedia: true},
	{path: "amazon-kinesis-video-streams-parser-library/output-get-media-equal-timecode.mkv", dump: "output-get-media-equal-timecode", clusters: 2, truncated: true, getMedia: true},
	{path: "amazon-kinesis-video-streams-parser-library/output-get-media-non-increasing-timecode.mkv", dump: "output-get-media-non-increasing-timecode", clusters: 12, truncated: true, getMedia: true},
	{path: "amazon-kinesis-video-streams-parser-library/test_mixed_tags.mkv", dump: "test_mixed_tags", clusters: 10, getMedia: true},
	{path: "amazon-kinesis-video-streams-parser-library/empty-mkv-with-tags.mkv", dump: "empty-mkv-with-tags", clusters: 0, getMedia: true},
	{path: "amazon-kinesis-video-streams-parser-library/clusters.mkv", dump: "clusters", clusters: 8},
	{path: "amazon-kinesis-video-streams-parser-library/test_tags_empty_cluster.mkv", dump: "test_tags_empty_cluster", clusters: 0},
	{path: "amazon-kinesis-video-streams-producer-sdk-cpp/test-stream-1_0.mkv", dump: "test-stream-1_0", clusters: 37},
}

// TestKVSRealFixturesListed makes sure the table covers every .mkv file.
func TestKVSRealFixturesListed(t *testing.T) {
	var found []string
	err := filepath.WalkDir(kvsRealDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".mkv") {
			rel, _ := filepath.Rel(kvsRealDir, path)
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, f := range kvsRealFiles {
		listed = append(listed, f.path)
	}
	slices.Sort(found)
	slices.Sort(listed)
	if !slices.Equal(found, listed) {
		t.Fatalf("kvs-real .mkv files %v, test table %v", found, listed)
	}
}

// expectedOutline reads a dump, dropping its title line, the EBML header
// children (only one dump lists them) and a trailing ERROR line. It reports
// whether the dumper hit an error.
func expectedOutline(t *testing.T, name string) (lines []string, dumpErr bool) {
	t.Helper()
	data := readFixture(t, filepath.Join(dumpsDir, name+".outline.txt"))
	ebmlChildren := map[string]bool{}
	for _, id := range []ID{IDEBMLVersion, IDEBMLReadVersion, IDEBMLMaxIDLength, IDEBMLMaxSizeLength, IDDocType, IDDocTypeVersion, IDDocTypeReadVersion} {
		ebmlChildren[id.String()] = true
	}
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "=== "):
			continue
		case strings.HasPrefix(line, "@") && strings.Contains(line, " ERROR "):
			dumpErr = true
			continue
		}
		trimmed := strings.TrimSpace(line)
		if i := strings.IndexByte(trimmed, '('); i > 0 && ebmlChildren[trimmed[:i]] {
			continue
		}
		lines = append(lines, line)
	}
	return lines, dumpErr
}

// TestKVSRealOutlines walks every real KVS file with ReadElement and compares
// the result with the dumps: every top-level and Segment-level element with
// its size-field width and known/unknown size, Info strings, CodecIDs, tag
// names and values, cluster Timestamp and Position, and SimpleBlock counts.
func TestKVSRealOutlines(t *testing.T) {
	for _, f := range kvsRealFiles {
		t.Run(f.dump, func(t *testing.T) {
			want, dumpErr := expectedOutline(t, f.dump)
			if len(want) < 5 {
				t.Fatalf("dump has only %d lines", len(want))
			}
			data := readFixture(t, filepath.Join(kvsRealDir, f.path))
			for _, mode := range []string{"whole", "one-byte"} {
				var src = bytes.NewReader(data)
				var got []string
				var err error
				if mode == "whole" {
					got, err = outline(src)
				} else {
					got, err = outline(iotest.OneByteReader(src))
				}
				if f.truncated != (err != nil) || (err != nil && !isUnexpectedEOF(err)) {
					t.Fatalf("%s: outline error %v, want truncated=%v", mode, err, f.truncated)
				}
				if dumpErr && err == nil {
					t.Fatalf("%s: the dumper failed at the end but the reader did not", mode)
				}
				if !slices.Equal(got, want) {
					for i := range max(len(got), len(want)) {
						var g, w string
						if i < len(got) {
							g = got[i]
						}
						if i < len(want) {
							w = want[i]
						}
						if g != w {
							t.Fatalf("%s: line %d: got %q, want %q (got %d lines, want %d)", mode, i+1, g, w, len(got), len(want))
						}
					}
				}
			}
		})
	}
}

// TestKVSRealEvents reads every real KVS file with Next, whole and one octet
// at a time, and checks the cluster count, the GetMedia chunk layout and that
// the raw octets of the events reproduce the input.
func TestKVSRealEvents(t *testing.T) {
	for _, f := range kvsRealFiles {
		t.Run(f.dump, func(t *testing.T) {
			data := readFixture(t, filepath.Join(kvsRealDir, f.path))
			whole := summarize(t, bytes.NewReader(data), ReaderOptions{})
			oneByte := summarize(t, iotest.OneByteReader(bytes.NewReader(data)), ReaderOptions{BufferSize: 16})
			if !reflect.DeepEqual(whole, oneByte) {
				t.Fatalf("one-byte reads differ:\nwhole    %+v\none-byte %+v", whole, oneByte)
			}
			if f.truncated != (whole.Err != nil) || (whole.Err != nil && !isUnexpectedEOF(whole.Err)) {
				t.Fatalf("stream error %v, want truncated=%v", whole.Err, f.truncated)
			}
			if len(whole.Clusters) != f.clusters {
				t.Fatalf("clusters: got %d, want %d", len(whole.Clusters), f.clusters)
			}
			if !f.truncated {
				// Complete streams: the events' raw octets are the input.
				if whole.RawLen != int64(len(data)) {
					t.Fatalf("raw octets: got %d, want %d", whole.RawLen, len(data))
				}
				if want := sha256Sum(data); whole.RawHash != want {
					t.Fatalf("raw octets differ from the input")
				}
			}
			if !f.getMedia {
				return
			}
			// GetMedia: one EBML header and Segment per chunk; each chunk
			// carries FRAGMENT_NUMBER before its Cluster and, when complete,
			// CONTINUATION_TOKEN equal to it afterwards.
			if whole.Segments != len(whole.EBMLHeaders) {
				t.Fatalf("segments %d, EBML headers %d", whole.Segments, len(whole.EBMLHeaders))
			}
			for i, c := range whole.Clusters {
				if !c.UnknownSize && c.Frames == 0 {
					t.Fatalf("cluster %d has no frames", i)
				}
				if c.Keyframes < 1 || c.RelTimestamps[0] != 0 {
					t.Fatalf("cluster %d: keyframes %d, first timestamp %d", i, c.Keyframes, c.RelTimestamps[0])
				}
				last := i == len(whole.Clusters)-1
				if last && f.truncated {
					continue
				}
				var token string
				for _, kv := range c.TagsAfter {
					if v, ok := strings.CutPrefix(kv, TagContinuationToken+"="); ok {
						token = v
					}
				}
				if len(token) != 47 {
					t.Fatalf("cluster %d: continuation token %q", i, token)
				}
			}
		})
	}
}

// TestKVSRealMixedTagsDetails checks the PIC-produced GetMedia sample in
// detail against its tree dump.
func TestKVSRealMixedTagsDetails(t *testing.T) {
	data := readFixture(t, filepath.Join(kvsRealDir, "amazon-kinesis-video-streams-parser-library/test_mixed_tags.mkv"))
	s := summarize(t, bytes.NewReader(data), ReaderOptions{})
	if len(s.Clusters) != 10 {
		t.Fatalf("clusters: %d", len(s.Clusters))
	}
	c := s.Clusters[0]
	if c.Offset != 921 || !c.UnknownSize || c.Frames != 10 || c.Timestamp != 0 || c.BlockSizeLens[8] != 10 {
		t.Fatalf("first cluster: %+v", c)
	}
	if c.RelTimestamps[9] != 4500 {
		t.Fatalf("last block timestamp: %d", c.RelTimestamps[9])
	}
	h := s.EBMLHeaders[0]
	if h.DocType != "matroska" || h.DocTypeVersion != 2 || h.DocTypeReadVersion != 2 {
		t.Fatalf("EBML header %+v (DocType is 'matroska\\x00' on the wire)", h)
	}
	info := s.Infos[0]
	if info.Title != "Kinesis Video SDK" || info.TimestampScale != 1_000_000 || len(info.SegmentUUID) != 16 {
		t.Fatalf("info %+v", info)
	}
	tr := s.Tracks[0].Entries[0]
	if tr.CodecID != "V_MS/VFW/FOURCC" || tr.Name != "test track" || len(tr.CodecPrivate) != 40 ||
		tr.UID != 9369167114682348278 || tr.Video == nil || tr.Video.PixelWidth != 640 || tr.Video.PixelHeight != 480 {
		t.Fatalf("track %+v", tr)
	}
	wantBefore := []string{"testTag_0=testTag_0_Value", "testTag_1=testTag_1_Value", "testTag_2=testTag_2_Value",
		"testTag_3=testTag_3_Value", "testTag_4=testTag_4_Value",
		TagFragmentNumber + "=91343852333713038908964877623801423530396737899",
		TagServerTimestamp + "=1537574915.281", TagProducerTimestamp + "=0.000"}
	if !slices.Equal(s.TagsBefore[:len(wantBefore)], wantBefore) {
		t.Fatalf("tags before the first cluster: %q", s.TagsBefore)
	}
	wantAfter := []string{"testTag_0=testTag_0_Value", "testTag_1=testTag_1_Value", "testTag_2=testTag_2_Value",
		"testTag_3=testTag_3_Value", "testTag_4=testTag_4_Value",
		TagMillisBehindNow + "=910", TagContinuationToken + "=91343852333713038908964877623801423530396737899"}
	if !slices.Equal(c.TagsAfter, wantAfter) {
		t.Fatalf("tags after the first cluster: %q", c.TagsAfter)
	}
}
