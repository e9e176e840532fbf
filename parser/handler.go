package parser

import (
	"errors"
	"io"
)

// Handler receives the events of a chunk stream, as the Java parser
// library's visitors (FragmentMetadataVisitor, FrameVisitor) do. Nil
// functions are skipped. A function that returns an error stops the walk;
// ErrStop stops it without error.
//
// The Frame and its Data are valid only during the call.
type Handler struct {
	// ChunkStart is called with the chunk's header and leading metadata.
	ChunkStart func(c *Chunk) error
	// Frame is called for every frame of the chunk.
	Frame func(c *Chunk, f *Frame) error
	// ChunkEnd is called when the chunk is complete.
	ChunkEnd func(c *Chunk) error
}

// Compose returns a Handler that calls each of hs in order for every event,
// like the Java library's CompositeMkvElementVisitor.
func Compose(hs ...Handler) Handler {
	return Handler{
		ChunkStart: func(c *Chunk) error {
			for _, h := range hs {
				if h.ChunkStart != nil {
					if err := h.ChunkStart(c); err != nil {
						return err
					}
				}
			}
			return nil
		},
		Frame: func(c *Chunk, f *Frame) error {
			for _, h := range hs {
				if h.Frame != nil {
					if err := h.Frame(c, f); err != nil {
						return err
					}
				}
			}
			return nil
		},
		ChunkEnd: func(c *Chunk) error {
			for _, h := range hs {
				if h.ChunkEnd != nil {
					if err := h.ChunkEnd(c); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

// dispatch calls the Handler function for one event.
func (h *Handler) dispatch(k Kind, c *Chunk, f *Frame) error {
	switch k {
	case KindChunkStart:
		if h.ChunkStart != nil {
			return h.ChunkStart(c)
		}
	case KindFrame:
		if h.Frame != nil {
			return h.Frame(c, f)
		}
	case KindChunkEnd:
		if h.ChunkEnd != nil {
			return h.ChunkEnd(c)
		}
	}
	return nil
}

// Walk reads the whole input and calls h for every event. It returns nil at
// the end of the input or when h returns ErrStop, and otherwise the first
// error of the Reader or of h.
func (r *Reader) Walk(h Handler) error {
	for {
		k, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := h.dispatch(k, r.Chunk(), r.Frame()); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
}
