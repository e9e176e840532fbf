package control

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openkvs/openkvs/internal/errkind"
)

// Field patterns from the KVS API reference (§0.1 of the control-plane spec).
var (
	namePattern      = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	arnPattern       = regexp.MustCompile(`^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+$`)
	versionPattern   = regexp.MustCompile(`^[a-zA-Z0-9]+$`)
	mediaTypePattern = regexp.MustCompile(`^[\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*$`)
	tokenPattern     = regexp.MustCompile(`^[a-zA-Z0-9+/=]*$`)
	tagPattern       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// field describes one input member for validation messages, which follow the
// AWS wording so that users recognise them.
type field struct {
	name  string
	value string
}

func validationError(f field, constraint string) error {
	return errkind.New(ErrInvalidArgument, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", f.value, f.name, constraint)
}

// checkString validates a present string member: length in runes within
// [minLen, maxLen] and, when pattern is not nil, a full match.
func checkString(name, value string, minLen, maxLen int, pattern *regexp.Regexp) error {
	f := field{name, value}
	n := utf8.RuneCountInString(value)
	if n < minLen {
		return validationError(f, "Member must have length greater than or equal to "+strconv.Itoa(minLen))
	}
	if n > maxLen {
		return validationError(f, "Member must have length less than or equal to "+strconv.Itoa(maxLen))
	}
	if pattern != nil && !pattern.MatchString(value) {
		return validationError(f, "Member must satisfy regular expression pattern: "+pattern.String())
	}
	return nil
}

// checkOptional validates s when it is present.
func checkOptional(name string, s *string, minLen, maxLen int, pattern *regexp.Regexp) error {
	if s == nil {
		return nil
	}
	return checkString(name, *s, minLen, maxLen, pattern)
}

func checkRange(name string, v, lo, hi int) error {
	f := field{name, strconv.Itoa(v)}
	if v < lo {
		return validationError(f, "Member must have value greater than or equal to "+strconv.Itoa(lo))
	}
	if v > hi {
		return validationError(f, "Member must have value less than or equal to "+strconv.Itoa(hi))
	}
	return nil
}

func checkEnum(name, v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return validationError(field{name, v}, "Member must satisfy enum value set: "+"["+strings.Join(allowed, ", ")+"]")
}

func required(name string) error {
	return errkind.New(ErrInvalidArgument, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
}

func checkTagKey(name, k string) error { return checkString(name, k, 1, 128, tagPattern) }

func checkTag(k, v string) error {
	if err := checkTagKey("tags.key", k); err != nil {
		return err
	}
	return checkString("tags.value", v, 0, 256, tagPattern)
}
