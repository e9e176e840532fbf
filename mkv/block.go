package mkv

import (
	"encoding/binary"
	"fmt"
)

// Block flag bits of the SimpleBlock header (RFC 9559 section 10.2). In a
// Block inside a BlockGroup only FlagInvisible and the lacing bits are
// defined; key frames are the blocks without ReferenceBlock.
const (
	// FlagKeyframe marks a SimpleBlock that can be decoded on its own.
	FlagKeyframe uint8 = 0x80
	// FlagInvisible marks a frame that is decoded but not displayed.
	FlagInvisible uint8 = 0x08
	// FlagDiscardable marks a SimpleBlock frame a decoder may drop when late.
	FlagDiscardable uint8 = 0x01
	// flagLacingMask selects the two lacing bits.
	flagLacingMask uint8 = 0x06
)

// Lacing is the lacing mode of a block: how several frames share one block
// (RFC 9559 section 10.3).
type Lacing uint8

// Lacing modes, in the order of their flag bit values.
const (
	// LacingNone means the block holds one frame.
	LacingNone Lacing = 0
	// LacingXiph stores frame sizes as runs of 255-valued octets.
	LacingXiph Lacing = 1
	// LacingFixed splits the payload into frames of equal size.
	LacingFixed Lacing = 2
	// LacingEBML stores the first size as a VINT and the others as signed
	// VINT differences.
	LacingEBML Lacing = 3
)

// String returns the lacing mode name.
func (l Lacing) String() string {
	switch l {
	case LacingNone:
		return "none"
	case LacingXiph:
		return "xiph"
	case LacingFixed:
		return "fixed"
	case LacingEBML:
		return "ebml"
	}
	return fmt.Sprintf("Lacing(%d)", uint8(l))
}

// maxReferences is how many ReferenceBlock values a Block holds without
// allocating; more are kept too, in a grown slice.
const maxReferences = 4

// Block is one SimpleBlock, or one BlockGroup with its Block, BlockDuration
// and ReferenceBlock children (RFC 9559 section 10).
//
// The Reader reuses one Block and its slices point into the Reader's buffer:
// copy Payload (or the frames) before the next call on the Reader.
//
// All lacing modes are supported: Payload keeps the lace header as stored, so
// a laced block can be re-emitted verbatim, and NumFrames and Frame split it.
type Block struct {
	// Track is the track number the block belongs to (TrackEntry
	// TrackNumber).
	Track uint64
	// Timestamp is the block's timestamp relative to the Cluster Timestamp,
	// in TimestampScale units (called the relative timecode in KVS and
	// older Matroska texts).
	Timestamp int16
	// Flags is the flags octet as stored; see FlagKeyframe and friends.
	Flags uint8
	// Simple reports whether the block came from a SimpleBlock rather than a
	// BlockGroup.
	Simple bool
	// Payload is the block data after the track, timestamp and flags,
	// including any lace header.
	Payload []byte
	// Duration is the BlockDuration of a BlockGroup, valid if HasDuration.
	Duration uint64
	// HasDuration reports whether the BlockGroup carried a BlockDuration.
	HasDuration bool
	// References holds the ReferenceBlock values of a BlockGroup: timestamps
	// of referenced blocks relative to this one.
	References []int64

	refBuf     [maxReferences]int64
	laces      []int // end offset of each laced frame within Payload
	frameStart int   // offset of the first frame within Payload
}

// Keyframe reports whether the block is a key frame: FlagKeyframe for a
// SimpleBlock, the absence of ReferenceBlock for a BlockGroup.
func (b *Block) Keyframe() bool {
	if b.Simple {
		return b.Flags&FlagKeyframe != 0
	}
	return len(b.References) == 0
}

// Invisible reports whether the frame is decoded but not shown.
func (b *Block) Invisible() bool { return b.Flags&FlagInvisible != 0 }

// Discardable reports whether a SimpleBlock frame may be dropped by a late
// decoder.
func (b *Block) Discardable() bool { return b.Simple && b.Flags&FlagDiscardable != 0 }

// Lacing returns the lacing mode of the block.
func (b *Block) Lacing() Lacing { return Lacing(b.Flags&flagLacingMask) >> 1 }

// NumFrames returns how many frames the block holds (1 without lacing).
func (b *Block) NumFrames() int {
	if len(b.laces) == 0 {
		return 1
	}
	return len(b.laces)
}

// Frame returns the i-th frame of the block; without lacing, frame 0 is the
// whole Payload.
func (b *Block) Frame(i int) []byte {
	if len(b.laces) == 0 {
		if i != 0 {
			return nil
		}
		return b.Payload
	}
	if i < 0 || i >= len(b.laces) {
		return nil
	}
	start := b.frameStart
	if i > 0 {
		start = b.laces[i-1]
	}
	return b.Payload[start:b.laces[i]]
}

// ParseSimpleBlock decodes the data of a SimpleBlock element into b. b's
// slices then point into data.
func ParseSimpleBlock(data []byte, b *Block) error {
	b.reset(true)
	return b.parseBlockData(data)
}

// ParseBlockGroup decodes the data of a BlockGroup element: its Block,
// BlockDuration and ReferenceBlock children. Other children are ignored.
func ParseBlockGroup(data []byte, b *Block) error {
	b.reset(false)
	haveBlock := false
	for off := 0; off < len(data); {
		id, body, n, err := nextChild(data[off:])
		if err != nil {
			return fmt.Errorf("parse block group: %w", err)
		}
		off += n
		switch id {
		case IDBlock:
			if haveBlock {
				return fmt.Errorf("parse block group: second Block: %w", ErrInvalidBlock)
			}
			haveBlock = true
			if err := b.parseBlockData(body); err != nil {
				return err
			}
		case IDBlockDuration:
			v, err := decodeUint(body)
			if err != nil {
				return fmt.Errorf("parse block duration: %w", err)
			}
			b.Duration, b.HasDuration = v, true
		case IDReferenceBlock:
			v, err := decodeInt(body)
			if err != nil {
				return fmt.Errorf("parse reference block: %w", err)
			}
			b.References = append(b.References, v)
		}
	}
	if !haveBlock {
		return fmt.Errorf("parse block group: no Block: %w", ErrInvalidBlock)
	}
	return nil
}

func (b *Block) reset(simple bool) {
	b.Track, b.Timestamp, b.Flags, b.Simple = 0, 0, 0, simple
	b.Payload = nil
	b.Duration, b.HasDuration = 0, false
	b.References = b.refBuf[:0]
	b.laces = b.laces[:0]
	b.frameStart = 0
}

// parseBlockData decodes the block header (RFC 9559 section 10.1) and the
// lace sizes.
func (b *Block) parseBlockData(data []byte) error {
	track, n, _, err := readVint(data)
	if err != nil {
		return fmt.Errorf("parse block track number: %w", ErrInvalidBlock)
	}
	if len(data) < n+3 {
		return fmt.Errorf("parse block header: %d octets: %w", len(data), ErrInvalidBlock)
	}
	b.Track = track
	b.Timestamp = int16(binary.BigEndian.Uint16(data[n:]))
	b.Flags = data[n+2]
	b.Payload = data[n+3:]
	if b.Lacing() == LacingNone {
		return nil
	}
	if err := b.parseLaces(); err != nil {
		return fmt.Errorf("parse block lacing %s: %w", b.Lacing(), err)
	}
	return nil
}

// parseLaces fills b.laces with the end offset of each laced frame.
func (b *Block) parseLaces() error {
	p := b.Payload
	if len(p) < 1 {
		return ErrInvalidBlock
	}
	count := int(p[0]) + 1
	off := 1
	if cap(b.laces) < count {
		// One allocation of the largest possible lace table; a reused
		// Block never allocates again.
		b.laces = make([]int, 0, 256)
	}
	// sizes of all frames but the last, stored in laces for now.
	switch b.Lacing() {
	case LacingXiph:
		for range count - 1 {
			size := 0
			for {
				if off >= len(p) {
					return ErrInvalidBlock
				}
				v := p[off]
				off++
				size += int(v)
				if v != 255 {
					break
				}
			}
			b.laces = append(b.laces, size)
		}
	case LacingEBML:
		if count == 1 {
			break
		}
		first, n, _, err := readVint(p[off:])
		if err != nil {
			return ErrInvalidBlock
		}
		off += n
		if first > uint64(len(p)) {
			return ErrInvalidBlock
		}
		size := int64(first)
		b.laces = append(b.laces, int(size))
		for i := 1; i < count-1; i++ {
			raw, n, _, err := readVint(p[off:])
			if err != nil {
				return ErrInvalidBlock
			}
			off += n
			// Signed VINT: subtract half the range (RFC 9559 section 10.3.3).
			size += int64(raw) - (1<<(7*n-1) - 1)
			if size < 0 || size > int64(len(p)) {
				return ErrInvalidBlock
			}
			b.laces = append(b.laces, int(size))
		}
	case LacingFixed:
		rest := len(p) - off
		if rest%count != 0 {
			return ErrInvalidBlock
		}
		for range count - 1 {
			b.laces = append(b.laces, rest/count)
		}
	}
	// Turn sizes into end offsets and add the last frame.
	end := off
	for i, size := range b.laces {
		end += size
		if end > len(p) {
			return ErrInvalidBlock
		}
		b.laces[i] = end
	}
	b.laces = append(b.laces, len(p))
	b.frameStart = off
	return nil
}
