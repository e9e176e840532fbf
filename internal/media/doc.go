// Package media serves stored fragments to consumers: ListFragments,
// GetMediaForFragmentList and GetMedia, whose chunks repeat the producer's
// header and wrap each fragment in the AWS_KINESISVIDEO_* tags exactly as
// real KVS output lays them out (shared/fixtures/kvs-real/README.md).
//
// GetMedia: https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_GetMedia.html
package media
