package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// realNode is one element of an EBML tree, flattened in document order.
type realNode struct {
	depth   int
	id      mkv.ID
	sizeLen int
	unknown bool
	size    int64
	data    []byte // leaf elements only
	// kvs is set on a Segment-level Tags element written by KVS (one whose
	// tag names start with AWS_KINESISVIDEO_) and on everything inside it.
	kvs bool
	// chunk counts EBML headers: the GetMedia chunk the element is in.
	chunk int
}

// flattenTree walks every element of b with mkv.Reader.ReadElement,
// descending into every master element.
func flattenTree(t *testing.T, b []byte) []realNode {
	t.Helper()
	r := mkv.NewReader(bytes.NewReader(b), mkv.ReaderOptions{})
	var out []realNode
	chunk := -1
	tagsStart := -1 // index of the current Segment-level Tags, or -1
	for {
		el, err := r.ReadElement()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if el.Depth <= 1 {
			tagsStart = -1
		}
		if el.ID == mkv.IDEBML && el.Depth == 0 {
			chunk++
		}
		n := realNode{depth: el.Depth, id: el.ID, sizeLen: el.SizeLen, unknown: el.UnknownSize(), size: el.Size, chunk: chunk}
		if el.ID == mkv.IDTags && el.Depth == 1 {
			tagsStart = len(out)
		}
		if !el.IsMaster() {
			d, err := r.Data()
			require.NoError(t, err)
			n.data = bytes.Clone(d)
			if el.ID == mkv.IDTagName && tagsStart >= 0 && strings.HasPrefix(string(d), "AWS_KINESISVIDEO_") {
				for i := tagsStart; i < len(out); i++ {
					out[i].kvs = true
				}
			}
		}
		if tagsStart >= 0 && out != nil && tagsStart < len(out) && out[tagsStart].kvs {
			n.kvs = true
		}
		out = append(out, n)
	}
	return out
}

// producerInput rebuilds the PutMedia body behind a real GetMedia capture.
// KVS repeats the producer's pre-cluster header verbatim in every chunk,
// passes each Cluster and what followed it through, and adds only its own
// Tags (shared/fixtures/kvs-real/README.md §2), so the input is the first
// chunk's header followed by every chunk's non-KVS elements after the
// header. One exception is seen in test_mixed_tags.mkv: Tags that the
// producer sent before Info appear in the first chunk only. The check that
// every later chunk repeats the first chunk's header without those makes the
// rebuild fail loudly rather than guess.
func producerInput(t *testing.T, real []byte) []byte {
	t.Helper()
	r := mkv.NewReader(bytes.NewReader(real), mkv.ReaderOptions{})
	var (
		in, header, repeated, chunkHeader []byte
		chunks                            int
		inCluster                         bool // past the chunk's Cluster start
		leading                           bool // no header element but Tags yet
	)
	endChunk := func() {
		if chunks > 1 {
			require.Equal(t, repeated, chunkHeader, "chunk %d repeats the first chunk's header", chunks)
		}
	}
	for {
		el, err := r.ReadElement()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch {
		case el.Depth == 0 && el.ID == mkv.IDEBML:
			endChunk()
			chunks++
			inCluster, leading = false, true
			raw, err := r.Raw()
			require.NoError(t, err)
			chunkHeader = bytes.Clone(raw)
			if chunks == 1 {
				repeated = bytes.Clone(raw)
			}
		case el.Depth == 0 && el.ID == mkv.IDSegment:
			require.True(t, el.UnknownSize())
			chunkHeader = append(chunkHeader, r.RawHeader()...)
			if chunks == 1 {
				repeated = append(repeated, r.RawHeader()...)
			}
		case el.Depth == 2 && el.Parent == mkv.IDCluster:
			// A child of an unknown-size Cluster, which Raw cannot take
			// whole.
			raw, err := r.Raw()
			require.NoError(t, err)
			in = append(in, raw...)
		case el.Depth == 1 && el.ID == mkv.IDCluster && el.UnknownSize():
			if len(header) == 0 {
				header = bytes.Clone(chunkHeader)
				in = append(in, header...)
			}
			inCluster = true
			in = append(in, r.RawHeader()...)
		case el.Depth == 1:
			raw, err := r.Raw()
			require.NoError(t, err)
			if el.ID == mkv.IDTags {
				tags, err := mkv.ParseTags(raw[el.HeaderLen:])
				require.NoError(t, err)
				kvs := false
				for st := range tags.All() {
					kvs = kvs || strings.HasPrefix(st.Name, "AWS_KINESISVIDEO_")
				}
				if kvs {
					continue
				}
			} else {
				leading = false
			}
			if el.ID == mkv.IDCluster {
				inCluster = true
			}
			switch {
			case inCluster:
				if len(header) == 0 {
					header = bytes.Clone(chunkHeader)
					in = append(in, header...)
				}
				in = append(in, raw...)
			default:
				chunkHeader = append(chunkHeader, raw...)
				if chunks == 1 && !leading {
					repeated = append(repeated, raw...)
				}
			}
		default:
			t.Fatalf("unexpected element %v at depth %d", el.ID, el.Depth)
		}
	}
	endChunk()
	return in
}

// TestGetMediaMatchesRealAWSElementByElement sends the producer input of
// real AWS GetMedia captures through PutMedia and compares kvsd's GetMedia
// output with each capture element by element: IDs, nesting, order,
// size-field widths, known/unknown sizes and every value, except the values
// that depend on when and where the fragments were ingested (fragment
// numbers, server timestamps, millis behind now, continuation tokens).
//
// The captures are the two complete ones whose producers differ most:
//   - kinesis_video_renderer_example_output.mkv: an ffmpeg-written file
//     (SeekHead, Void, known-size Clusters, Cues, RELATIVE timecodes). Its
//     README names clusters.mkv as the uploaded file, but that file's header
//     differs from the one the capture repeats (SeekHead order, Void size,
//     ffmpeg Tags), so it is a later version of it; the input is rebuilt from
//     the capture, which carries the producer's bytes.
//   - test_mixed_tags.mkv: the KVS producer SDK (PIC): 1-byte unknown-size
//     Clusters, Position, fragment metadata Tags after each Cluster and
//     before Info, ABSOLUTE timecodes.
func TestGetMediaMatchesRealAWSElementByElement(t *testing.T) {
	srv := kvsdtest.Start(t)
	for i, tc := range []struct {
		file   string
		chunks int
		// timecodes and start are the PutMedia headers that reproduce the
		// capture's producer timestamps exactly.
		timecodes, start string
	}{
		// The capture's first PRODUCER_TIMESTAMP is 1519423067.997 at
		// Cluster Timecode 0.
		{"kinesis_video_renderer_example_output.mkv", 8, "RELATIVE", "1519423067.997"},
		// PRODUCER_TIMESTAMP is the Cluster Timecode: 0.000, 5.000, ...
		{"test_mixed_tags.mkv", 10, "ABSOLUTE", "1537574915.000"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			real, err := os.ReadFile(filepath.Join(fixtures, "kvs-real", "amazon-kinesis-video-streams-parser-library", tc.file))
			require.NoError(t, err)
			input := producerInput(t, real)
			_, timecodes := clusterSplit(t, input)
			require.Len(t, timecodes, tc.chunks)

			name := fmt.Sprintf("real-%d", i)
			createStream(t, srv, name, 1)
			hdr := kvsdtest.PutMediaHeaders(name)
			hdr["x-amzn-fragment-timecode-type"] = tc.timecodes
			hdr["x-amzn-producer-start-timestamp"] = tc.start
			conn := srv.PutMedia(t, hdr, input)
			require.Equal(t, 200, conn.Status, conn.ErrorBody)
			conn.Close()
			requireAllPersisted(t, conn.Until(ackWait, never), tc.chunks)

			status, body := getMedia(t, srv, `{"StreamName":"`+name+`","StartSelector":{"StartSelectorType":"EARLIEST"}}`)
			require.Equal(t, 200, status, string(body))
			compareTrees(t, flattenTree(t, real), flattenTree(t, body), tc.chunks)
		})
	}
}

// TestKVSRealRendererInputIsClustersFile backs the claim above: every
// Cluster of the rebuilt input is byte for byte one of clusters.mkv's.
func TestKVSRealRendererInputIsClustersFile(t *testing.T) {
	dir := filepath.Join(fixtures, "kvs-real", "amazon-kinesis-video-streams-parser-library")
	real, err := os.ReadFile(filepath.Join(dir, "kinesis_video_renderer_example_output.mkv"))
	require.NoError(t, err)
	clustersFile, err := os.ReadFile(filepath.Join(dir, "clusters.mkv"))
	require.NoError(t, err)
	pieces, _ := clusterSplit(t, producerInput(t, real))
	require.Equal(t, 8, len(pieces))
	cluster := []byte{0x1F, 0x43, 0xB6, 0x75}
	pieces[0] = pieces[0][bytes.Index(pieces[0], cluster):]                        // the header before the first Cluster
	pieces[7] = pieces[7][:bytes.Index(pieces[7], []byte{0x1C, 0x53, 0xBB, 0x6B})] // the Cues after the last Cluster
	for i, p := range pieces {
		require.True(t, bytes.HasPrefix(p, cluster))
		require.True(t, bytes.Contains(clustersFile, p), "cluster %d is clusters.mkv's", i+1)
	}
}

// compareTrees compares kvsd's GetMedia output with a real capture, element
// by element.
func compareTrees(t *testing.T, want, got []realNode, chunks int) {
	t.Helper()
	kvsTag := map[string]*regexp.Regexp{
		mkv.TagFragmentNumber:    regexp.MustCompile(`^[1-9][0-9]{46}$`),
		mkv.TagServerTimestamp:   regexp.MustCompile(`^[0-9]+\.[0-9]{3}$`),
		mkv.TagMillisBehindNow:   regexp.MustCompile(`^[0-9]+$`),
		mkv.TagContinuationToken: regexp.MustCompile(`^[1-9][0-9]{46}$`),
	}
	lastName := ""
	fragmentNumbers := map[int]string{}
	for i := range max(len(want), len(got)) {
		require.Less(t, i, len(got), "kvsd's output ends early, at element %d of %d (%v)", i, len(want), nodeAt(want, i))
		require.Less(t, i, len(want), "kvsd's output has extra elements from %d: %v", i, nodeAt(got, i))
		w, g := want[i], got[i]
		where := fmt.Sprintf("element %d, chunk %d: got %v, want %v", i, w.chunk, nodeString(g), nodeString(w))
		require.Equal(t, w.chunk, g.chunk, where)
		require.Equal(t, w.depth, g.depth, where)
		require.Equal(t, w.id, g.id, where)
		require.Equal(t, w.sizeLen, g.sizeLen, "size-field width, "+where)
		require.Equal(t, w.unknown, g.unknown, "known/unknown size, "+where)
		require.Equal(t, w.kvs, g.kvs, where)
		switch {
		case w.id == mkv.IDTagName:
			lastName = string(w.data)
			require.Equal(t, string(w.data), string(g.data), where)
		case w.kvs && w.id == mkv.IDTagString:
			// The values that must differ: numbers, server times and the
			// reader's lag are kvsd's own. Their format must not.
			if re, ok := kvsTag[lastName]; ok {
				require.Regexp(t, re, string(g.data), where)
			} else {
				require.Equal(t, string(w.data), string(g.data), lastName+" "+where)
			}
			switch lastName {
			case mkv.TagFragmentNumber:
				fragmentNumbers[g.chunk] = string(g.data)
			case mkv.TagContinuationToken:
				require.Equal(t, fragmentNumbers[g.chunk], string(g.data), "the token is the chunk's fragment number")
			}
		case w.kvs:
			// Tags, Tag and SimpleTag sizes follow from the values above.
		default:
			require.Equal(t, w.size, g.size, where)
			require.True(t, bytes.Equal(w.data, g.data), "value, "+where)
		}
	}
	require.Len(t, fragmentNumbers, chunks)
}

func nodeString(n realNode) string {
	size := fmt.Sprint(n.size)
	if n.unknown {
		size = "unknown"
	}
	s := fmt.Sprintf("%s depth %d size %s (width %d)", n.id, n.depth, size, n.sizeLen)
	if n.kvs {
		s += " kvs"
	}
	if n.id == mkv.IDTagName || n.id == mkv.IDTagString {
		s += fmt.Sprintf(" %q", n.data)
	}
	return s
}

func nodeAt(ns []realNode, i int) string {
	if i < len(ns) {
		return nodeString(ns[i])
	}
	return "none"
}
