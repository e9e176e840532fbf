package mkv

import (
	"fmt"
	"io"
)

// Kind is the kind of event Reader.Next reports.
type Kind uint8

// Event kinds reported by Reader.Next.
const (
	// KindEBMLHeader is a top-level EBML header; see Reader.EBMLHeader.
	KindEBMLHeader Kind = iota + 1
	// KindSegment is the start of a top-level Segment. Its children follow.
	KindSegment
	// KindInfo is a Segment Info element; see Reader.Info.
	KindInfo
	// KindTracks is a Tracks element; see Reader.Tracks.
	KindTracks
	// KindTags is a Segment-level Tags element; see Reader.Tags.
	KindTags
	// KindCluster is the start of a Cluster. Its children follow.
	KindCluster
	// KindClusterTimestamp is the Cluster Timestamp (ClusterTimecode in
	// libmatroska); see Reader.ClusterTimestamp.
	KindClusterTimestamp
	// KindBlock is a SimpleBlock or BlockGroup; see Reader.Block.
	KindBlock
	// KindClusterEnd reports that the current Cluster ended: its known size
	// was consumed, or an element that cannot be inside a Cluster (the next
	// Cluster, a Tags element, a new EBML header) appeared, or the input
	// ended. Element returns the Cluster.
	KindClusterEnd
	// KindSegmentEnd reports that the current Segment ended. Element returns
	// the Segment.
	KindSegmentEnd
	// KindOther is any other element (SeekHead, Void, Cues, CRC-32, Position
	// ...). Its data is skipped unless read with Data or Raw.
	KindOther
)

var kindNames = [...]string{"", "EBMLHeader", "Segment", "Info", "Tracks", "Tags", "Cluster",
	"ClusterTimestamp", "Block", "ClusterEnd", "SegmentEnd", "Other"}

// String returns the kind name.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Next advances to the next Matroska event and returns its kind. At the end
// of the input it first reports the end of any open Cluster and Segment,
// then returns io.EOF. Errors are sticky.
//
// Every element of the stream belongs to exactly one event except the
// children of Segment and Cluster, which are events of their own. So the
// concatenation of RawHeader for KindSegment and KindCluster and of Raw for
// every other element event reproduces the input octet for octet (as long
// as each KindOther element has a known size within MaxElementSize).
//
// Blocks are parsed without allocating; the EBML header, Info, Tracks and
// Tags are loaded but only decoded (and allocated) when their accessor is
// called.
func (r *Reader) Next() (Kind, error) {
	for {
		if r.err != nil && r.err != io.EOF {
			return 0, r.err
		}
		if !r.redeliver && r.err == nil {
			r.atEnd = false
			if r.st == stMaster && !r.descend {
				// KindOther masters (SeekHead, Cues, ...) are one event:
				// skip them whole instead of reporting their children.
				if err := r.Skip(); err != nil {
					return 0, err
				}
			}
			if !r.redeliver {
				if err := r.finishCurrent(); err != nil {
					return 0, r.fail(err)
				}
				r.popFinished()
			}
			r.descend = false
		}
		if k, ok := r.endEvent(); ok {
			return k, nil
		}
		el, err := r.ReadElement()
		if err != nil {
			if err == io.EOF && (r.inCluster || r.inSegment) {
				r.stack = r.stack[:0]
				continue // report the ends first
			}
			return 0, err
		}
		if r.endsOpen() {
			// el closed the cluster or segment: report that first.
			r.redeliver = true
			continue
		}
		return r.classify(el)
	}
}

// endsOpen reports whether the open Cluster or Segment has been closed.
func (r *Reader) endsOpen() bool {
	return (r.inCluster && len(r.stack) <= r.cluster.Depth) ||
		(r.inSegment && len(r.stack) <= r.segment.Depth)
}

// endEvent returns a pending ClusterEnd or SegmentEnd event.
func (r *Reader) endEvent() (Kind, bool) {
	if r.inCluster && len(r.stack) <= r.cluster.Depth {
		r.inCluster = false
		r.atEnd, r.ev = true, r.cluster
		return KindClusterEnd, true
	}
	if r.inSegment && len(r.stack) <= r.segment.Depth {
		r.inSegment = false
		r.atEnd, r.ev = true, r.segment
		return KindSegmentEnd, true
	}
	return 0, false
}

// classify turns an element into an event, loading what the event needs.
func (r *Reader) classify(el Element) (Kind, error) {
	switch {
	case el.Depth == 0 && el.ID == IDEBML:
		return r.loaded(KindEBMLHeader)
	case el.Depth == 0 && el.ID == IDSegment:
		r.inSegment, r.segment, r.descend = true, el, true
		return KindSegment, nil
	case el.Parent == IDSegment:
		switch el.ID {
		case IDInfo:
			return r.loaded(KindInfo)
		case IDTracks:
			return r.loaded(KindTracks)
		case IDTags:
			return r.loaded(KindTags)
		case IDCluster:
			r.inCluster, r.cluster, r.clusterTS, r.descend = true, el, 0, true
			return KindCluster, nil
		}
	case el.Parent == IDCluster:
		switch el.ID {
		case IDTimestamp:
			data, err := r.Data()
			if err != nil {
				return 0, r.fail(err)
			}
			v, err := decodeUint(data)
			if err != nil {
				return 0, r.fail(fmt.Errorf("read cluster timestamp at offset %d: %w", el.Offset, err))
			}
			r.clusterTS = v
			return KindClusterTimestamp, nil
		case IDSimpleBlock, IDBlockGroup:
			data, err := r.Data()
			if err != nil {
				return 0, r.fail(err)
			}
			if el.ID == IDSimpleBlock {
				err = ParseSimpleBlock(data, &r.block)
			} else {
				err = ParseBlockGroup(data, &r.block)
			}
			if err != nil {
				return 0, r.fail(fmt.Errorf("read %s at offset %d: %w", el.ID, el.Offset, err))
			}
			return KindBlock, nil
		}
	}
	return KindOther, nil
}

// loaded loads the current element's data and reports kind.
func (r *Reader) loaded(k Kind) (Kind, error) {
	if err := r.loadCurrent(); err != nil {
		return 0, r.fail(err)
	}
	return k, nil
}

// Block returns the block of the current KindBlock event. The Block and its
// slices are reused: they are valid until the next call on the Reader.
func (r *Reader) Block() *Block { return &r.block }

// ClusterTimestamp returns the Timestamp of the current Cluster in
// TimestampScale units (ClusterTimecode in libmatroska; the KVS
// FragmentTimecode), or 0 before the Cluster's Timestamp element was read.
func (r *Reader) ClusterTimestamp() uint64 { return r.clusterTS }

// currentData returns the data of the current element if it has ID id.
func (r *Reader) currentData(id ID) ([]byte, error) {
	if r.atEnd || r.redeliver || r.cur.ID != id {
		return nil, fmt.Errorf("read %s: %w", id, ErrNoElement)
	}
	return r.Data()
}

// EBMLHeader decodes the current EBML header element.
func (r *Reader) EBMLHeader() (EBMLHeader, error) {
	data, err := r.currentData(IDEBML)
	if err != nil {
		return EBMLHeader{}, err
	}
	return ParseEBMLHeader(data)
}

// Info decodes the current Info element.
func (r *Reader) Info() (Info, error) {
	data, err := r.currentData(IDInfo)
	if err != nil {
		return Info{}, err
	}
	return ParseInfo(data)
}

// Tracks decodes the current Tracks element.
func (r *Reader) Tracks() (Tracks, error) {
	data, err := r.currentData(IDTracks)
	if err != nil {
		return Tracks{}, err
	}
	return ParseTracks(data)
}

// Tags decodes the current Tags element. Nested SimpleTags count against
// ReaderOptions.MaxDepth.
func (r *Reader) Tags() (Tags, error) {
	data, err := r.currentData(IDTags)
	if err != nil {
		return Tags{}, err
	}
	return parseTags(data, r.cur.Depth, r.opts.MaxDepth)
}
