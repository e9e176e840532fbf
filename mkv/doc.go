// Package mkv reads and writes EBML (RFC 8794) and Matroska (RFC 9559)
// streams, as used by Amazon Kinesis Video Streams: PutMedia request bodies
// and GetMedia responses are Matroska streams of unknown length.
//
// # Reading
//
// Reader pulls elements from any io.Reader one at a time. It keeps its own
// buffer, so the source may deliver data in pieces of any size (an HTTP
// chunked body, one octet at a time). It holds in memory only the element it
// reports plus what the source already delivered, never waits for more
// input than the current element needs (so the END_OF_FRAGMENT Tags of a
// live PutMedia body is reported while the producer waits for its ACK), and
// bounds every size it must hold by ReaderOptions: a hostile length field
// produces ErrElementTooLarge or ErrFrameTooLarge instead of an allocation,
// and the buffer only grows as data actually arrives.
//
// The high-level loop is:
//
//	r := mkv.NewReader(body, mkv.ReaderOptions{})
//	for {
//		kind, err := r.Next()
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err
//		}
//		switch kind {
//		case mkv.KindTracks:
//			tracks, err := r.Tracks()
//			...
//		case mkv.KindBlock:
//			b := r.Block() // valid until the next call; no allocation
//			...
//		case mkv.KindTags:
//			tags, err := r.Tags()
//			...
//		}
//	}
//
// Raw and RawHeader return each event's octets exactly as received, so a
// server can store a producer's header and clusters verbatim. ReadElement
// exposes the underlying element tree (ID, size or UnknownSize, offsets,
// depth) for tools that need it.
//
// Unknown-size Segment and Cluster elements, which KVS producers always
// write, end when an element appears that the Matroska schema places outside
// them (RFC 8794 section 6.2). The schema table in ids_table.go comes from
// the RFC 9559 EBML schema. KVS producers do not close a Cluster by size, so
// the Reader reports KindClusterEnd when the next Segment-level element (a
// Tags element or the next Cluster) arrives. The producer SDK then marks the
// end of the fragment, after the fragment's metadata Tags, with an
// AWS_KINESISVIDEO_END_OF_FRAGMENT tag (see TagEndOfFragment).
//
// All three lacing modes (Xiph, fixed, EBML) are decoded; see Block.Frame.
// String values have their NUL padding removed (RFC 8794 section 7.4), so
// the KVS producer SDK's "matroska\x00" DocType reads as "matroska".
//
// # Writing
//
// Writer writes the same elements. Master Elements are written either with
// the unknown size, streaming (StartUnknownSizeMaster, StartSegment(true),
// StartCluster(ts, true)), or buffered with their size computed on
// EndMaster. SetSizeWidth selects fixed-width size fields, e.g. the 4-octet
// sizes of KVS-written Tags or the 8-octet unknown-size Segment header
// 01 FF FF FF FF FF FF FF of GetMedia output.
package mkv
