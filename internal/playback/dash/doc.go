// Package dash implements GetDASHStreamingSessionURL
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_reader_GetDASHStreamingSessionURL.html)
// and the session resources a player fetches through its URL: the MPEG-DASH
// manifest (ISO/IEC 23009-1, one Period, one AdaptationSet per track, a
// SegmentTemplate with a SegmentTimeline) and the fMP4 init and media
// fragments, remuxed from the stored Matroska on request.
//
// Sessions, tokens, modes and fragment selection are shared with HLS
// (package session). What differs is the timeline: DASH players handle
// gaps and overlaps badly, so, as KVS documents, the manifest's media
// timeline is made continuous. Each fragment starts where the previous one
// ends (its length is the gap to the next fragment when that is plausible
// for its media, else its own length), and the exact timestamps are in the
// kvs:ts attribute for those who ask for them. Segments are addressed by
// $Number$, the fragment's 1-based position in the session, because
// 47-digit fragment numbers do not fit the integers players keep numbers
// in; kvs:fn carries the fragment number.
package dash
