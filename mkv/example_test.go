package mkv_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/openkvs/openkvs/mkv"
)

// Example writes a small KVS-style stream (unknown-size Segment and Cluster,
// fragment metadata Tags) and reads it back event by event.
func Example() {
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf)
	_ = w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 2, DocTypeReadVersion: 2})
	_ = w.StartSegment(true)
	_ = w.WriteInfo(mkv.Info{TimestampScale: 1_000_000, MuxingApp: "example", WritingApp: "example"})
	_ = w.WriteTracks(mkv.Tracks{Entries: []mkv.TrackEntry{{
		Number: 1, UID: 1, Type: mkv.TrackTypeVideo, CodecID: "V_MPEG4/ISO/AVC",
		Video: &mkv.Video{PixelWidth: 640, PixelHeight: 480},
	}}})
	_ = w.StartCluster(1795620729825, true)
	_ = w.WriteSimpleBlock(1, 0, mkv.FlagKeyframe, []byte("key frame"))
	_ = w.WriteSimpleBlock(1, 40, 0, []byte("delta frame"))
	_ = w.EndMaster()
	_ = w.SetSizeWidth(4) // as KVS writes its own Tags
	_ = w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{{Name: mkv.TagEndOfFragment}}}}})
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r := mkv.NewReader(&buf, mkv.ReaderOptions{})
	for {
		kind, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		switch kind {
		case mkv.KindTracks:
			tracks, _ := r.Tracks()
			fmt.Println("track", tracks.Entries[0].Number, tracks.Entries[0].CodecID)
		case mkv.KindClusterTimestamp:
			fmt.Println("cluster at", r.ClusterTimestamp())
		case mkv.KindBlock:
			b := r.Block()
			fmt.Printf("frame +%d key=%v %q\n", b.Timestamp, b.Keyframe(), b.Frame(0))
		case mkv.KindTags:
			tags, _ := r.Tags()
			_, end := tags.Find(mkv.TagEndOfFragment)
			fmt.Println("end of fragment:", end)
		default:
			fmt.Println(kind)
		}
	}
	// Output:
	// EBMLHeader
	// Segment
	// Info
	// track 1 V_MPEG4/ISO/AVC
	// Cluster
	// cluster at 1795620729825
	// frame +0 key=true "key frame"
	// frame +40 key=false "delta frame"
	// ClusterEnd
	// end of fragment: true
	// SegmentEnd
}

// ExampleReader_ReadElement walks the raw element tree and copies an
// element verbatim.
func ExampleReader_ReadElement() {
	stream := []byte{
		0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x86, 0x81, 0x01, // EBML { EBMLVersion 1 }
		0x18, 0x53, 0x80, 0x67, 0xFF, // Segment, unknown size
		0x1F, 0x43, 0xB6, 0x75, 0xFF, // Cluster, unknown size
		0xE7, 0x81, 0x07, // Timestamp 7
	}
	r := mkv.NewReader(bytes.NewReader(stream), mkv.ReaderOptions{})
	for {
		e, err := r.ReadElement()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%*s%s @%d size=%d header=% x\n", 2*e.Depth, "", e.ID, e.Offset, e.Size, r.RawHeader())
	}
	// Output:
	// EBML @0 size=4 header=1a 45 df a3 84
	//   EBMLVersion @5 size=1 header=42 86 81
	// Segment @9 size=-1 header=18 53 80 67 ff
	//   Cluster @14 size=-1 header=1f 43 b6 75 ff
	//     Timestamp @19 size=1 header=e7 81
}
