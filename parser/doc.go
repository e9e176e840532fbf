// Package parser consumes Amazon Kinesis Video Streams media: the chunk
// stream that GetMedia returns
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_GetMedia.html).
// It is the Go counterpart of AWS's Java Kinesis Video Streams parser
// library (StreamingMkvReader, FragmentMetadataVisitor, FrameVisitor,
// OutputSegmentMerger, the H.264 helpers, GetMediaWorker), built on the
// streaming Matroska reader of package mkv.
//
// # Chunks
//
// GetMedia sends one chunk per fragment: an EBML header, a Segment of
// unknown size repeating the producer's header (Info, Tracks), a Tags
// element with AWS_KINESISVIDEO_FRAGMENT_NUMBER, _SERVER_TIMESTAMP and
// _PRODUCER_TIMESTAMP, one Cluster with the frames, the producer's fragment
// metadata Tags, and a last Tags element with _MILLIS_BEHIND_NOW and
// _CONTINUATION_TOKEN. Reader turns any io.Reader of such chunks into three
// events, pulled with Next or pushed to a Handler with Walk:
//
//	r := parser.NewReader(body, parser.Options{})
//	err := r.Walk(parser.Handler{
//		ChunkStart: func(c *parser.Chunk) error { ... c.FragmentNumber, c.Tracks ... },
//		Frame:      func(c *parser.Chunk, f *parser.Frame) error { ... f.Timestamp, f.Data ... },
//		ChunkEnd:   func(c *parser.Chunk) error { ... c.ContinuationToken ... },
//	})
//
// Frame data aliases the Reader's buffer, so the per-frame path does not
// allocate; copy it to keep it. A chunk cut off by the end of the input
// (a dropped connection) ends the walk with an error matching ErrTruncated
// after the complete chunks were delivered; error tags end it with a
// *StreamError.
//
// # Consuming a stream
//
// Consumer sends SigV4-signed GetMedia requests to a data endpoint and
// reconnects after dropped or stalled connections, resuming with the
// continuation token of the last complete chunk. It delivers every frame
// exactly once: see Consumer for how a chunk cut in the middle is resumed.
//
// # Writing a file
//
// Merger (and Merge) writes the chunks as one playable Matroska file, one
// EBML header and Segment with the clusters of every chunk, and starts a
// new segment when the tracks change or the cluster timestamps go back.
//
// # H.264 and H.265
//
// Matroska stores H.264/H.265 frames as length-prefixed NAL units (AVCC).
// AVCCToAnnexB, AnnexBToAVCC, AVCCUnits and AnnexBUnits convert and iterate
// them; ParseAVCDecoderConfig and ParseHEVCDecoderConfig decode a track's
// CodecPrivate into its parameter sets; AnnexBConverter turns a track's
// frames into an Annex B stream a decoder accepts.
package parser
