package mkv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"time"
)

// EBMLHeader holds the EBML header fields (RFC 8794 section 11.2). Absent
// fields take their RFC 8794 defaults.
type EBMLHeader struct {
	// Version is EBMLVersion (default 1).
	Version uint64
	// ReadVersion is EBMLReadVersion (default 1).
	ReadVersion uint64
	// MaxIDLength is EBMLMaxIDLength (default 4).
	MaxIDLength uint64
	// MaxSizeLength is EBMLMaxSizeLength (default 8).
	MaxSizeLength uint64
	// DocType is "matroska" or "webm". NUL padding is removed: the KVS
	// producer SDK writes "matroska\x00".
	DocType string
	// DocTypeVersion is DocTypeVersion (default 1).
	DocTypeVersion uint64
	// DocTypeReadVersion is DocTypeReadVersion (default 1).
	DocTypeReadVersion uint64
}

// Info holds the Segment Info fields (RFC 9559 section 5.1.2).
type Info struct {
	// SegmentUUID is the 16-octet SegmentUUID (SegmentUID in libmatroska).
	SegmentUUID []byte
	// TimestampScale is the length of one Segment Tick in nanoseconds
	// (TimecodeScale in libmatroska); default 1,000,000, i.e. milliseconds.
	TimestampScale uint64
	// Duration is the Segment duration in Segment Ticks, 0 when absent.
	Duration float64
	// DateUTC is the creation date, the zero time when absent.
	DateUTC time.Time
	// Title is the Segment title.
	Title string
	// MuxingApp names the muxing library.
	MuxingApp string
	// WritingApp names the writing application.
	WritingApp string
}

// Track types of TrackEntry.Type (RFC 9559 section 5.1.4.1.3).
const (
	// TrackTypeVideo is a video track.
	TrackTypeVideo uint64 = 1
	// TrackTypeAudio is an audio track.
	TrackTypeAudio uint64 = 2
	// TrackTypeComplex is a track of combined audio and video.
	TrackTypeComplex uint64 = 3
	// TrackTypeSubtitle is a subtitle track.
	TrackTypeSubtitle uint64 = 0x11
	// TrackTypeMetadata is a metadata track.
	TrackTypeMetadata uint64 = 0x21
)

// TrackEntry describes one track (RFC 9559 section 5.1.4.1).
type TrackEntry struct {
	// Number is TrackNumber, the number blocks refer to.
	Number uint64
	// UID is TrackUID.
	UID uint64
	// Type is TrackType; see TrackTypeVideo and friends.
	Type uint64
	// Name is the human-readable track name.
	Name string
	// CodecID names the codec ("V_MPEG4/ISO/AVC", "V_MPEGH/ISO/HEVC", "A_AAC").
	CodecID string
	// CodecPrivate is the decoder configuration, e.g. an
	// AVCDecoderConfigurationRecord.
	CodecPrivate []byte
	// DefaultDuration is the frame duration in nanoseconds, 0 when absent.
	DefaultDuration uint64
	// Video holds the video settings, nil when absent.
	Video *Video
	// Audio holds the audio settings, nil when absent.
	Audio *Audio
}

// Video holds the TrackEntry Video fields (RFC 9559 section 5.1.4.1.28).
type Video struct {
	// PixelWidth is the width of the encoded frames.
	PixelWidth uint64
	// PixelHeight is the height of the encoded frames.
	PixelHeight uint64
}

// Audio holds the TrackEntry Audio fields (RFC 9559 section 5.1.4.1.29).
type Audio struct {
	// SamplingFrequency is in Hz (default 8000).
	SamplingFrequency float64
	// Channels is the channel count (default 1).
	Channels uint64
	// BitDepth is bits per sample, 0 when absent.
	BitDepth uint64
}

// Tracks holds the TrackEntry elements of a Tracks element.
type Tracks struct {
	// Entries are the tracks in stream order.
	Entries []TrackEntry
}

// Track returns the entry with the given TrackNumber.
func (t Tracks) Track(number uint64) (TrackEntry, bool) {
	for _, e := range t.Entries {
		if e.Number == number {
			return e, true
		}
	}
	return TrackEntry{}, false
}

// Tags holds the Tag elements of one Tags element (RFC 9559 section
// 5.1.8). KVS writes one Tag per Tags element, without Targets.
type Tags struct {
	// Tags are the Tag elements in stream order.
	Tags []Tag
}

// Tag is one Tag element: what it applies to, and its SimpleTags.
type Tag struct {
	// Targets is nil when the Tag has no Targets element (as in all
	// KVS-written tags), which means it applies to the whole Segment.
	Targets *Targets
	// SimpleTags are the name/value pairs.
	SimpleTags []SimpleTag
}

// Targets says what a Tag applies to (RFC 9559 section 5.1.8.1.1).
type Targets struct {
	// TypeValue is TargetTypeValue (default 50).
	TypeValue uint64
	// Type is TargetType, e.g. "MOVIE".
	Type string
	// TrackUIDs lists TagTrackUID values.
	TrackUIDs []uint64
}

// SimpleTag is one name/value pair (RFC 9559 section 5.1.8.1.2). KVS puts
// its AWS_KINESISVIDEO_* values and the producer's fragment metadata here.
type SimpleTag struct {
	// Name is TagName.
	Name string
	// String is TagString, with NUL padding removed.
	String string
	// Binary is TagBinary, nil when absent.
	Binary []byte
	// Children are nested SimpleTags.
	Children []SimpleTag
}

// Find returns the first SimpleTag named name, searching nested SimpleTags
// depth first.
func (t Tags) Find(name string) (SimpleTag, bool) {
	for st := range t.All() {
		if st.Name == name {
			return st, true
		}
	}
	return SimpleTag{}, false
}

// All yields every SimpleTag of every Tag, nested ones right after their
// parent.
func (t Tags) All() iter.Seq[SimpleTag] {
	return func(yield func(SimpleTag) bool) {
		for _, tag := range t.Tags {
			if !yieldSimpleTags(tag.SimpleTags, yield) {
				return
			}
		}
	}
}

func yieldSimpleTags(sts []SimpleTag, yield func(SimpleTag) bool) bool {
	for _, st := range sts {
		if !yield(st) || !yieldSimpleTags(st.Children, yield) {
			return false
		}
	}
	return true
}

// ParseEBMLHeader decodes the data of an EBML header element.
func ParseEBMLHeader(data []byte) (EBMLHeader, error) {
	h := EBMLHeader{Version: 1, ReadVersion: 1, MaxIDLength: 4, MaxSizeLength: 8, DocTypeVersion: 1, DocTypeReadVersion: 1}
	err := forEachChild(data, func(id ID, body []byte) error {
		var err error
		switch id {
		case IDEBMLVersion:
			h.Version, err = decodeUint(body)
		case IDEBMLReadVersion:
			h.ReadVersion, err = decodeUint(body)
		case IDEBMLMaxIDLength:
			h.MaxIDLength, err = decodeUint(body)
		case IDEBMLMaxSizeLength:
			h.MaxSizeLength, err = decodeUint(body)
		case IDDocType:
			h.DocType = decodeString(body)
		case IDDocTypeVersion:
			h.DocTypeVersion, err = decodeUint(body)
		case IDDocTypeReadVersion:
			h.DocTypeReadVersion, err = decodeUint(body)
		}
		return err
	})
	if err != nil {
		return EBMLHeader{}, fmt.Errorf("parse ebml header: %w", err)
	}
	return h, nil
}

// ParseInfo decodes the data of an Info element.
func ParseInfo(data []byte) (Info, error) {
	info := Info{TimestampScale: 1_000_000}
	err := forEachChild(data, func(id ID, body []byte) error {
		var err error
		switch id {
		case IDSegmentUUID:
			info.SegmentUUID = bytes.Clone(body)
		case IDTimestampScale:
			info.TimestampScale, err = decodeUint(body)
		case IDDuration:
			info.Duration, err = decodeFloat(body)
		case IDDateUTC:
			info.DateUTC, err = decodeDate(body)
		case IDTitle:
			info.Title = decodeString(body)
		case IDMuxingApp:
			info.MuxingApp = decodeString(body)
		case IDWritingApp:
			info.WritingApp = decodeString(body)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return Info{}, fmt.Errorf("parse info: %w", err)
	}
	return info, nil
}

// ParseTracks decodes the data of a Tracks element.
func ParseTracks(data []byte) (Tracks, error) {
	var t Tracks
	err := forEachChild(data, func(id ID, body []byte) error {
		if id != IDTrackEntry {
			return nil
		}
		e, err := parseTrackEntry(body)
		if err != nil {
			return err
		}
		t.Entries = append(t.Entries, e)
		return nil
	})
	if err != nil {
		return Tracks{}, fmt.Errorf("parse tracks: %w", err)
	}
	return t, nil
}

func parseTrackEntry(data []byte) (TrackEntry, error) {
	var e TrackEntry
	err := forEachChild(data, func(id ID, body []byte) error {
		var err error
		switch id {
		case IDTrackNumber:
			e.Number, err = decodeUint(body)
		case IDTrackUID:
			e.UID, err = decodeUint(body)
		case IDTrackType:
			e.Type, err = decodeUint(body)
		case IDName:
			e.Name = decodeString(body)
		case IDCodecID:
			e.CodecID = decodeString(body)
		case IDCodecPrivate:
			e.CodecPrivate = bytes.Clone(body)
		case IDDefaultDuration:
			e.DefaultDuration, err = decodeUint(body)
		case IDVideo:
			e.Video, err = parseVideo(body)
		case IDAudio:
			e.Audio, err = parseAudio(body)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return TrackEntry{}, fmt.Errorf("parse track entry: %w", err)
	}
	return e, nil
}

func parseVideo(data []byte) (*Video, error) {
	v := &Video{}
	err := forEachChild(data, func(id ID, body []byte) error {
		var err error
		switch id {
		case IDPixelWidth:
			v.PixelWidth, err = decodeUint(body)
		case IDPixelHeight:
			v.PixelHeight, err = decodeUint(body)
		}
		return err
	})
	return v, err
}

func parseAudio(data []byte) (*Audio, error) {
	a := &Audio{SamplingFrequency: 8000, Channels: 1}
	err := forEachChild(data, func(id ID, body []byte) error {
		var err error
		switch id {
		case IDSamplingFrequency:
			a.SamplingFrequency, err = decodeFloat(body)
		case IDChannels:
			a.Channels, err = decodeUint(body)
		case IDBitDepth:
			a.BitDepth, err = decodeUint(body)
		}
		return err
	})
	return a, err
}

// ParseTags decodes the data of a Tags element. Nested SimpleTags are
// accepted down to DefaultMaxDepth.
func ParseTags(data []byte) (Tags, error) {
	return parseTags(data, 1, DefaultMaxDepth)
}

// parseTags decodes Tags data; depth is the depth of the Tags element and
// maxDepth the deepest nesting accepted.
func parseTags(data []byte, depth, maxDepth int) (Tags, error) {
	var t Tags
	err := forEachChild(data, func(id ID, body []byte) error {
		if id != IDTag {
			return nil
		}
		tag, err := parseTag(body, depth+1, maxDepth)
		if err != nil {
			return err
		}
		t.Tags = append(t.Tags, tag)
		return nil
	})
	if err != nil {
		return Tags{}, fmt.Errorf("parse tags: %w", err)
	}
	return t, nil
}

func parseTag(data []byte, depth, maxDepth int) (Tag, error) {
	var tag Tag
	err := forEachChild(data, func(id ID, body []byte) error {
		switch id {
		case IDTargets:
			tg, err := parseTargets(body)
			if err != nil {
				return err
			}
			tag.Targets = tg
		case IDSimpleTag:
			st, err := parseSimpleTag(body, depth+1, maxDepth)
			if err != nil {
				return err
			}
			tag.SimpleTags = append(tag.SimpleTags, st)
		}
		return nil
	})
	if err != nil {
		return Tag{}, fmt.Errorf("parse tag: %w", err)
	}
	return tag, nil
}

func parseTargets(data []byte) (*Targets, error) {
	tg := &Targets{TypeValue: 50}
	err := forEachChild(data, func(id ID, body []byte) error {
		switch id {
		case IDTargetTypeValue:
			v, err := decodeUint(body)
			tg.TypeValue = v
			return err
		case IDTargetType:
			tg.Type = decodeString(body)
		case IDTagTrackUID:
			v, err := decodeUint(body)
			tg.TrackUIDs = append(tg.TrackUIDs, v)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parse targets: %w", err)
	}
	return tg, nil
}

func parseSimpleTag(data []byte, depth, maxDepth int) (SimpleTag, error) {
	if depth > maxDepth {
		return SimpleTag{}, fmt.Errorf("parse simple tag at depth %d: %w", depth, ErrTooDeep)
	}
	var st SimpleTag
	err := forEachChild(data, func(id ID, body []byte) error {
		switch id {
		case IDTagName:
			st.Name = decodeString(body)
		case IDTagString:
			st.String = decodeString(body)
		case IDTagBinary:
			st.Binary = bytes.Clone(body)
			if st.Binary == nil {
				st.Binary = []byte{}
			}
		case IDSimpleTag:
			child, err := parseSimpleTag(body, depth+1, maxDepth)
			if err != nil {
				return err
			}
			st.Children = append(st.Children, child)
		}
		return nil
	})
	if err != nil {
		return SimpleTag{}, fmt.Errorf("parse simple tag: %w", err)
	}
	return st, nil
}

// nextChild decodes the element at the start of data, which is held in
// memory, and returns its ID, its data and its total length.
func nextChild(data []byte) (ID, []byte, int, error) {
	id, size, hlen, err := ParseElementHeader(data)
	if err != nil {
		return 0, nil, 0, err
	}
	if size == UnknownSize {
		return 0, nil, 0, fmt.Errorf("%s: %w", id, ErrUnknownSize)
	}
	if size > int64(len(data)-hlen) {
		return 0, nil, 0, fmt.Errorf("%s of %d octets, %d left: %w", id, size, len(data)-hlen, ErrElementOverflow)
	}
	end := hlen + int(size)
	return id, data[hlen:end:end], end, nil
}

// forEachChild calls fn for each child element in data.
func forEachChild(data []byte, fn func(id ID, body []byte) error) error {
	for off := 0; off < len(data); {
		id, body, n, err := nextChild(data[off:])
		if err != nil {
			return err
		}
		off += n
		if err := fn(id, body); err != nil {
			return err
		}
	}
	return nil
}

// decodeUint decodes an EBML unsigned integer (RFC 8794 section 7.2).
func decodeUint(b []byte) (uint64, error) {
	if len(b) > 8 {
		return 0, fmt.Errorf("unsigned integer of %d octets: %w", len(b), ErrInvalidValue)
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// decodeInt decodes an EBML signed integer (RFC 8794 section 7.1).
func decodeInt(b []byte) (int64, error) {
	if len(b) > 8 {
		return 0, fmt.Errorf("signed integer of %d octets: %w", len(b), ErrInvalidValue)
	}
	if len(b) == 0 {
		return 0, nil
	}
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	return v, nil
}

// decodeFloat decodes an EBML float (RFC 8794 section 7.3).
func decodeFloat(b []byte) (float64, error) {
	switch len(b) {
	case 0:
		return 0, nil
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	}
	return 0, fmt.Errorf("float of %d octets: %w", len(b), ErrInvalidValue)
}

// ebmlEpoch is the origin of EBML dates (RFC 8794 section 7.6).
var ebmlEpoch = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// decodeDate decodes an EBML date: nanoseconds since 2001-01-01 UTC.
func decodeDate(b []byte) (time.Time, error) {
	switch len(b) {
	case 0:
		return ebmlEpoch, nil
	case 8:
		return ebmlEpoch.Add(time.Duration(int64(binary.BigEndian.Uint64(b)))), nil
	}
	return time.Time{}, fmt.Errorf("date of %d octets: %w", len(b), ErrInvalidValue)
}

// decodeString decodes an EBML String or UTF-8 value. Everything from the
// first NUL octet on is padding (RFC 8794 sections 7.4 and 7.5); KVS
// producers pad Title, MuxingApp and CodecID this way.
func decodeString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
