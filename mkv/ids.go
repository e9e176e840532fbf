package mkv

import "strconv"

// ID is an EBML Element ID (RFC 8794 section 5) with its length marker bits
// kept, so it reads the way the specifications print it (Cluster is
// 0x1F43B675).
type ID uint32

// ElementType is the EBML data type of an element (RFC 8794 section 7).
type ElementType uint8

// EBML element types (RFC 8794 section 7).
const (
	// TypeUnknown is the type of an ID that is not in the Matroska schema.
	TypeUnknown ElementType = iota
	// TypeMaster is a Master Element that contains other elements.
	TypeMaster
	// TypeUinteger is an unsigned big-endian integer of 0 to 8 octets.
	TypeUinteger
	// TypeInteger is a signed big-endian integer of 0 to 8 octets.
	TypeInteger
	// TypeFloat is an IEEE 754 float of 0, 4 or 8 octets.
	TypeFloat
	// TypeDate is a signed 8-octet count of nanoseconds since 2001-01-01T00:00:00 UTC.
	TypeDate
	// TypeString is a printable ASCII string, possibly padded with NUL octets.
	TypeString
	// TypeUTF8 is a UTF-8 string, possibly padded with NUL octets.
	TypeUTF8
	// TypeBinary is opaque binary data.
	TypeBinary
)

var typeNames = [...]string{"unknown", "master", "uinteger", "integer", "float", "date", "string", "utf-8", "binary"}

// String returns the type name used by the EBML schema ("master", "utf-8").
func (t ElementType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "ElementType(" + strconv.Itoa(int(t)) + ")"
}

const (
	// flagGlobal marks Global Elements (Void, CRC-32) that may appear in any
	// master and therefore never end an unknown-size element.
	flagGlobal uint8 = 1 << iota
	// flagUnknownSizeAllowed marks the masters that RFC 9559 lets be written
	// with an unknown size: Segment and Cluster.
	flagUnknownSizeAllowed
	// flagRecursive marks masters that may contain themselves (SimpleTag,
	// ChapterAtom).
	flagRecursive
)

// elementInfo is one row of the schema table in ids_table.go.
type elementInfo struct {
	name   string
	typ    ElementType
	parent ID // 0 for Root and Global Elements
	flags  uint8
}

// lookup returns the schema row of id. The hot IDs of a cluster are answered
// without the map so that the per-frame path stays cheap.
func lookup(id ID) (elementInfo, bool) {
	switch id {
	case IDSimpleBlock:
		return elementInfo{name: "SimpleBlock", typ: TypeBinary, parent: IDCluster}, true
	case IDBlockGroup:
		return elementInfo{name: "BlockGroup", typ: TypeMaster, parent: IDCluster}, true
	case IDCluster:
		return elementInfo{name: "Cluster", typ: TypeMaster, parent: IDSegment, flags: flagUnknownSizeAllowed}, true
	}
	info, ok := schema[id]
	return info, ok
}

// String returns the RFC element name of a known ID ("Cluster") and the hex
// form ("0x1F43B675") of an unknown one.
func (id ID) String() string {
	if info, ok := lookup(id); ok {
		return info.name
	}
	return "0x" + strconv.FormatUint(uint64(id), 16)
}

// Type returns the EBML type of id according to the Matroska schema, or
// TypeUnknown when id is not in the schema.
func (id ID) Type() ElementType {
	info, _ := lookup(id)
	return info.typ
}

// Parent returns the ID of the element's parent in the Matroska schema, or 0
// for Root Elements, Global Elements and IDs not in the schema.
func (id ID) Parent() ID {
	info, _ := lookup(id)
	return info.parent
}

// Len returns the number of octets of the encoded ID (1 to 4), or 0 when id
// is not a valid EBML Element ID.
func (id ID) Len() int {
	switch {
	case id >= 0x80 && id <= 0xFF:
		return 1
	case id >= 0x4000 && id <= 0x7FFF:
		return 2
	case id >= 0x200000 && id <= 0x3FFFFF:
		return 3
	case id >= 0x10000000 && id <= 0x1FFFFFFF:
		return 4
	}
	return 0
}

// valid reports whether id is an encodable Element ID: a correct length
// marker and VINT_DATA that is neither all zeros nor all ones (RFC 8794
// section 5). Matroska's ChapterDisplay, 0x80, predates that rule and is
// kept by RFC 9559, so it is accepted.
func (id ID) valid() bool {
	n := id.Len()
	if n == 0 {
		return false
	}
	data := uint32(id) &^ (1 << (7 * n))
	max := uint32(1)<<(7*n) - 1
	return (data != 0 || id == IDChapterDisplay) && data != max
}

// isDescendant reports whether, according to the schema, an element with ID
// child can appear somewhere below master. Elements outside the schema are
// treated as descendants: RFC 8794 section 6.2 only lets schema-valid
// elements end an unknown-size element.
func isDescendant(child, master ID) bool {
	info, ok := lookup(child)
	if !ok || info.flags&flagGlobal != 0 {
		return true
	}
	// The chain is at most a handful of steps; the bound only protects
	// against a cycle if the table were ever edited wrongly.
	for p, steps := info.parent, 0; p != 0 && steps < 16; steps++ {
		if p == master {
			return true
		}
		pi, ok := lookup(p)
		if !ok {
			return false
		}
		p = pi.parent
	}
	return false
}
