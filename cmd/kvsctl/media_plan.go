package main

import (
	"encoding/binary"
	"errors"
	"time"
)

// fillerNALMin is the smallest filler NAL unit in AVCC form: length field,
// NAL header and the rbsp_trailing_bits octet.
const fillerNALMin = avccLengthSize + 2

// trimKeep is how much of a NAL unit's payload trimming leaves in place.
const trimKeep = 16

// maxPlanBytes bounds the memory the distinct fragments of a plan hold; past
// it the plan repeats the fragments it has.
const maxPlanBytes = 512 << 20

// mediaPlan is what every stream of a run sends: fragments of
// framesPerFragment frames at fps, the first frame of each a key frame, the
// frame sizes padded or trimmed so that each full fragment carries exactly
// bitrate*duration/8 octets of frame data. All streams share the plan's
// (read-only) frames.
type mediaPlan struct {
	fps               int
	framesPerFragment int
	totalFrames       int
	// templates are the distinct fragments; fragment k uses
	// templates[k] while k < len(templates), then the cycle that starts at
	// cycleStart.
	templates  [][]planFrame
	cycleStart int
	// fragmentBytes is the frame data of one full fragment.
	fragmentBytes int64
	padded        int // frames that got a filler NAL unit
	trimmed       int // frames that were cut (they no longer decode cleanly)
}

// planFrame is one frame of a fragment.
type planFrame struct {
	Data []byte
	Key  bool
}

// newMediaPlan lays out totalFrames frames of src in fragments of
// framesPerFragment frames at the given bitrate (bits per second of frame
// data). Each fragment starts at the next key frame of the source after the
// previous fragment's frames, wrapping around the source as often as needed.
func newMediaPlan(src *mediaSource, fps, framesPerFragment, totalFrames int, bitrate int64) (*mediaPlan, error) {
	if fps <= 0 || framesPerFragment <= 0 || totalFrames <= 0 || bitrate <= 0 {
		return nil, errors.New("media plan: fps, frames and bitrate must be positive")
	}
	var keys []int
	for i, f := range src.Frames {
		if f.Key {
			keys = append(keys, i)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("media plan: the source has no key frame")
	}
	p := &mediaPlan{fps: fps, framesPerFragment: framesPerFragment, totalFrames: totalFrames}
	p.fragmentBytes = bitrate * int64(framesPerFragment) / int64(fps) / 8
	nextKey := func(pos int) int {
		for _, k := range keys {
			if k >= pos {
				return k
			}
		}
		return keys[0]
	}
	n := len(src.Frames)
	seen := map[int]int{} // start frame -> template index
	start := keys[0]
	var planBytes int64
	for k := 0; k < p.numFragments(); k++ {
		if idx, ok := seen[start]; ok {
			p.cycleStart = idx
			break
		}
		if planBytes > maxPlanBytes {
			break // cycle over what exists: cycleStart 0
		}
		seen[start] = k
		frames := make([]planFrame, framesPerFragment)
		var srcBytes int64
		pos := start
		for j := range frames {
			f := src.Frames[pos%n]
			frames[j] = planFrame{Data: f.Data, Key: j == 0 || f.Key}
			srcBytes += int64(len(f.Data))
			pos = (pos + 1) % n
		}
		p.fit(frames, srcBytes)
		for _, f := range frames {
			planBytes += int64(len(f.Data))
		}
		p.templates = append(p.templates, frames)
		start = nextKey(pos)
	}
	return p, nil
}

// fit pads or trims the frames in place so that they add up to
// fragmentBytes, keeping their relative sizes.
func (p *mediaPlan) fit(frames []planFrame, srcBytes int64) {
	var cumSrc, produced int64
	for j := range frames {
		cumSrc += int64(len(frames[j].Data))
		target := p.fragmentBytes * cumSrc / max(srcBytes, 1)
		want := int(target - produced)
		out, padded, trimmed := resizeFrame(frames[j].Data, want)
		if padded {
			p.padded++
		}
		if trimmed {
			p.trimmed++
		}
		frames[j].Data = out
		produced += int64(len(out))
	}
}

// resizeFrame returns an AVCC frame of about want octets: the frame with a
// filler NAL unit (type 12) appended, or with its largest NAL unit cut
// short. A frame that is less than fillerNALMin octets too small is
// returned as is, as is one that cannot be cut further; the caller carries
// the difference over to the next frame.
func resizeFrame(frame []byte, want int) (out []byte, padded, trimmed bool) {
	switch {
	case want >= len(frame)+fillerNALMin:
		out = make([]byte, want)
		copy(out, frame)
		filler := out[len(frame):]
		binary.BigEndian.PutUint32(filler, uint32(len(filler)-avccLengthSize))
		filler[avccLengthSize] = nalFiller
		for i := avccLengthSize + 1; i < len(filler)-1; i++ {
			filler[i] = 0xff
		}
		filler[len(filler)-1] = 0x80 // rbsp_trailing_bits
		return out, true, false
	case want >= len(frame):
		return frame, false, false
	}
	// Find the largest NAL unit and cut it.
	cut := len(frame) - want
	bestOff, bestLen := -1, 0
	for off := 0; off+avccLengthSize <= len(frame); {
		n := int(binary.BigEndian.Uint32(frame[off:]))
		if off+avccLengthSize+n > len(frame) {
			break
		}
		if n > bestLen {
			bestOff, bestLen = off, n
		}
		off += avccLengthSize + n
	}
	if bestOff < 0 || bestLen <= trimKeep {
		return frame, false, false
	}
	cut = min(cut, bestLen-trimKeep)
	out = make([]byte, 0, len(frame)-cut)
	out = append(out, frame[:bestOff]...)
	out = binary.BigEndian.AppendUint32(out, uint32(bestLen-cut))
	body := frame[bestOff+avccLengthSize : bestOff+avccLengthSize+bestLen]
	out = append(out, body[:bestLen-cut]...)
	out = append(out, frame[bestOff+avccLengthSize+bestLen:]...)
	return out, false, true
}

// numFragments is how many fragments a stream sends; the last one may be
// short.
func (p *mediaPlan) numFragments() int {
	return (p.totalFrames + p.framesPerFragment - 1) / p.framesPerFragment
}

// fragment returns the frames of fragment k.
func (p *mediaPlan) fragment(k int) []planFrame {
	i := k
	if i >= len(p.templates) {
		cycle := len(p.templates) - p.cycleStart
		i = p.cycleStart + (k-p.cycleStart)%cycle
	}
	frames := p.templates[i]
	if rest := p.totalFrames - k*p.framesPerFragment; rest < len(frames) {
		frames = frames[:rest]
	}
	return frames
}

// frameOffset is when frame g (counting from 0 over the whole stream) is
// due, relative to the stream's start.
func (p *mediaPlan) frameOffset(g int) time.Duration {
	return time.Duration(int64(g) * int64(time.Second) / int64(p.fps))
}

// frameMS is frame g's timestamp in milliseconds from the stream's start.
func (p *mediaPlan) frameMS(g int) int64 { return int64(g) * 1000 / int64(p.fps) }

// fragmentDuration is the media duration of a full fragment.
func (p *mediaPlan) fragmentDuration() time.Duration {
	return p.frameOffset(p.framesPerFragment)
}
