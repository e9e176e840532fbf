// Package producer uploads media to Kinesis Video Streams, or to kvsd, with
// PutMedia: the Go counterpart of the KVS producer SDKs.
//
// An application describes a stream once (StreamDefinition), puts frames
// (Frame) as its encoder or demuxer produces them, and closes the stream
// when done. The library groups frames into fragments, writes them as
// Matroska, buffers them until the service acknowledges them as persisted,
// and reconnects and resends on errors, so that no acknowledged-durable
// fragment is sent twice and no buffered fragment is lost.
//
// # Fragments
//
// A fragment is one Cluster, followed by the fragment metadata and the
// AWS_KINESISVIDEO_END_OF_FRAGMENT tag, so that the service completes it at
// once. Fragments start at key frames of the first video track (of the
// first track in an audio-only stream): at every one, or with
// NoKeyFrameFragmentation at the first one after FragmentDuration. Frames
// of other tracks join the fragment in progress. Each fragment's bytes are
// written once and never change, so a resent fragment is byte-identical,
// with the same absolute timecodes, and the service can recognise it.
// PutFrame refuses frames whose timecodes would make the service answer
// 4004 (ErrTimestampOrder).
//
// # Content store and drop policy
//
// Each stream buffers its fragments until they are acknowledged: PERSISTED,
// or RECEIVED for a stream without retention. The buffer is bounded by
// BufferDuration (newest frame minus oldest buffered fragment start) and by
// MaxBufferBytes. When a new frame would exceed a bound, the oldest whole
// fragments are dropped, sent or not (Callbacks.FragmentDropped with
// ErrStorageFull), as the SDK's content view window moves forward. The
// fragment in progress is never dropped: when it alone does not fit, the
// frame is refused with ErrStorageFull and frames are refused until the
// next key frame.
//
// Fragment buffers are reused: a stream keeps the buffers of up to two
// acknowledged fragments for the next ones. With AverageBitrate, NewStream
// allocates the first two at the size it gives and touches every page, so
// that a program starting many streams does not pay for fresh memory while
// its first fragments go out.
//
// # Upload
//
// One PutMedia connection per stream streams fragments as their frames are
// put. Acks are matched to fragments by FragmentTimecode (the cluster
// timecode). An ERROR ack is handled per ReactionFor; a failed or cut
// connection, a stale one (no ack for Options.ConnectionStaleness) or an
// ERROR ack that asks for a resend leads to a new connection after an
// exponential backoff with jitter (Options.MinBackoff to MaxBackoff), which
// sends again from the oldest unacknowledged fragment. Before
// Options.MaxConnectionDuration the connection is ended at a fragment
// boundary, once its fragments are acknowledged, and a new one is opened.
package producer
