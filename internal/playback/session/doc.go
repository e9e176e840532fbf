// Package session holds what GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL share: signed, expiring session tokens, the
// per-stream session limit, the playback modes (LIVE, LIVE_REPLAY,
// ON_DEMAND) and their fragment selection, and the fMP4 init and media
// fragments both protocols serve.
//
// A session is a signed token (HMAC-SHA256 over the session's parameters,
// with its expiry), so the playback URLs need no SigV4 signature and the
// server keeps no per-session state except a count for the per-stream
// session limit. A token names the protocol it was made for, so an HLS
// token does not open DASH resources and the reverse.
package session
