package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxBitrate bounds --bitrate: 100 Gbit/s.
const maxBitrate = 100e9

// bitrateValue is a pflag.Value holding bits per second, written like
// "2Mbps", "500kbps", "1.5Mbit/s", "1G" or "800000".
type bitrateValue int64

func (b *bitrateValue) String() string { return formatBitrate(int64(*b)) }

// Set parses a bitrate.
func (b *bitrateValue) Set(s string) error {
	v, err := parseBitrate(s)
	if err != nil {
		return err
	}
	*b = bitrateValue(v)
	return nil
}

// Type names the value in help output.
func (b *bitrateValue) Type() string { return "bitrate" }

// parseBitrate parses a number of bits per second with an optional SI
// prefix (k, M, G; decimal multiples) and an optional "bps", "b/s" or
// "bit/s" unit. Byte units ("MBps", "MB/s") are refused rather than guessed.
func parseBitrate(s string) (int64, error) {
	in := s
	s = strings.TrimSpace(s)
	for _, u := range []string{"Bps", "B/s", "byte/s", "bytes/s"} {
		if strings.HasSuffix(s, u) {
			return 0, fmt.Errorf("bitrate %q: give bits per second, e.g. 2Mbps (not bytes)", in)
		}
	}
	lower := strings.ToLower(s)
	for _, u := range []string{"bit/s", "bits/s", "bps", "b/s"} {
		if strings.HasSuffix(lower, u) {
			s = strings.TrimSpace(s[:len(s)-len(u)])
			break
		}
	}
	mult := 1.0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult = 1e3
		case 'm', 'M':
			mult = 1e6
		case 'g', 'G':
			mult = 1e9
		}
		if mult != 1 {
			s = s[:n-1]
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bitrate %q: want a number of bits per second such as 2Mbps, 500kbps or 800000", in)
	}
	v := math.Round(f * mult)
	if v < 1 || v > maxBitrate {
		return 0, fmt.Errorf("bitrate %q: must be between 1bps and 100Gbps", in)
	}
	return int64(v), nil
}

// formatBitrate writes bits per second with the largest prefix that keeps
// the value whole.
func formatBitrate(v int64) string {
	switch {
	case v != 0 && v%1_000_000_000 == 0:
		return strconv.FormatInt(v/1_000_000_000, 10) + "Gbps"
	case v != 0 && v%1_000_000 == 0:
		return strconv.FormatInt(v/1_000_000, 10) + "Mbps"
	case v != 0 && v%1_000 == 0:
		return strconv.FormatInt(v/1_000, 10) + "kbps"
	}
	return strconv.FormatInt(v, 10) + "bps"
}

// durationValue is a pflag.Value holding a duration written as a Go
// duration ("1s", "500ms", "2m") or as a number of seconds ("10", "0.5").
type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

// Set parses a duration.
func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

// Type names the value in help output.
func (d *durationValue) Type() string { return "duration" }

// parseDuration parses a Go duration or a plain number of seconds.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt64/float64(time.Second) {
			return 0, fmt.Errorf("duration %q out of range", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want e.g. 10s, 500ms, 2m or a number of seconds", s)
	}
	return d, nil
}
