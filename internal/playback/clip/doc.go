// Package clip implements GetClip
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_reader_GetClip.html):
// a progressive (non-fragmented) MP4 of the stored fragments in a time
// range, remuxed from the stored Matroska on the fly.
//
// A clip is written in two passes over the store. The first reads every
// fragment to build the sample tables (stts, ctts, stss, stsz, stsc, stco)
// and keeps no sample data; the second reads them again and streams the
// frames as the mdat. So the moov comes first (players can start at once),
// Content-Length is known, and memory stays bounded by one fragment however
// large the clip is.
package clip
