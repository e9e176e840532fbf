// Package hls implements GetHLSStreamingSessionURL
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_reader_GetHLSStreamingSessionURL.html)
// and the session resources a player fetches through its URL: the master
// playlist, one media playlist per track (RFC 8216, version 7), and fMP4
// init and media fragments remuxed from the stored Matroska on request;
// with ContainerFormat MPEG_TS, one media playlist of MPEG-TS fragments
// that carry every track.
//
// A session is a signed token (HMAC-SHA256 over the session's parameters,
// with its expiry), so the playback URLs need no SigV4 signature and the
// server keeps no per-session state except a count for the per-stream
// session limit. Media sequence numbers count the session's fragments
// from a fragment number fixed at creation, so they stay consistent as a
// LIVE playlist slides.
package hls
