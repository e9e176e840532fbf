// Package playback turns stored Kinesis Video Streams fragments into MP4 on
// the fly, for GetClip, GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_Operations_Amazon_Kinesis_Video_Streams_Archived_Media.html).
//
// A stored fragment is the producer's Matroska Cluster, kept verbatim, plus
// the producer header (EBML header, Info, Tracks) it was sent under. This
// package reads both from the store, parses the Tracks once per header into
// MP4 sample entries (avcC, hvcC, esds) and the Cluster into frames, and
// writes ISO BMFF with mp4ff: an init segment (ftyp+moov) per header and a
// media segment (moof+mdat) per fragment. Nothing is stored twice; the
// sub-packages clip (progressive MP4) and hls (sessions and playlists) build
// on it.
//
// Domain errors are the sentinels in errors.go; internal/api maps them to
// the AWS error names.
package playback
