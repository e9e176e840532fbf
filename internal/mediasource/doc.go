// Package mediasource turns the SOURCE argument of `kvsctl put` (a file, a
// pipe on stdin or an RTSP camera) into producer tracks and frames.
//
// Open recognises:
//
//   - MP4/MOV (progressive and fragmented ISO BMFF, ISO/IEC 14496-12), read
//     with github.com/Eyevinn/mp4ff without loading the media data;
//   - Matroska/WebM (RFC 9559), read as a stream with our mkv package, so it
//     also works on a pipe (`ffmpeg ... -f matroska - | kvsctl put S -`);
//   - raw H.264/H.265 Annex B elementary streams (ITU-T H.264/H.265 annex B),
//     split into access units and stamped from Options.FPS;
//   - rtsp:// and rtsps:// cameras (RFC 7826/2326) through gortsplib, with
//     H.264/H.265 video (RFC 6184/7798) and MPEG-4 audio (RFC 3640).
//
// The container is chosen by the file extension and, when the extension is
// unknown or the source is stdin ("-"), by sniffing the first octets.
//
// # What frames look like
//
// All sources are normalised to what a Matroska (KVS PutMedia) track needs,
// so the producer never has to adapt NAL units:
//
//   - H.264/H.265 frames are whole access units in AVCC form with 4-octet
//     NAL lengths (ISO/IEC 14496-15), whatever the input used (Annex B start
//     codes, 1- or 2-octet lengths). Parameter sets that the input carried
//     in-band stay in the frames.
//   - Track.CodecPrivate of video is an AVCDecoderConfigurationRecord or
//     HEVCDecoderConfigurationRecord with lengthSizeMinusOne = 3. It comes
//     from the container (avcC/hvcC, Matroska CodecPrivate), from the SDP
//     sprop parameter sets of a camera, or, for raw Annex B, from the
//     parameter sets that precede the first key frame. It is nil only for a
//     camera that sends its parameter sets in-band and not in its SDP.
//   - AAC frames are raw access units and CodecPrivate is the
//     AudioSpecificConfig (ISO/IEC 14496-3), as Matroska A_AAC stores them.
//   - Frames of all tracks come in DTS order. DTS and PTS are relative to
//     the start of the source: the first frame has DTS 0, and no timestamp
//     is negative. Frames with FrameKey set are H.264 IDR / H.265 IRAP
//     pictures (and all audio frames); the video of every source starts at a
//     key frame.
//   - Frame.Data is owned by the caller: each frame gets its own slice.
//
// Matroska stores only presentation timestamps. For video with B-frames the
// decoding timestamps are derived from a short look-ahead (reorderWindow
// frames): a frame's DTS is the smallest PTS among itself and the frames
// after it in that window, which keeps DTS non-decreasing and never above
// PTS. Raw Annex B streams carry no timestamps at all; frames are stamped in
// decoding order at Options.FPS with PTS = DTS, which is right for streams
// without B-frames (the common camera and `-bf 0` case).
package mediasource
