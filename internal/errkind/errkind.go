package errkind

import "fmt"

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }

// Unwrap lets errors.Is and errors.As see the kind.
func (e *kindError) Unwrap() error { return e.kind }

// New returns an error of the given kind whose Error text is the formatted
// message alone, ready to be shown to the client.
func New(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
