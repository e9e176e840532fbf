package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func msList(vs ...int) []time.Duration {
	out := make([]time.Duration, len(vs))
	for i, v := range vs {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{name: "empty", in: nil, p: 50, want: 0},
		{name: "one", in: msList(7), p: 99, want: 7 * time.Millisecond},
		{name: "median of two is the lower", in: msList(1, 2), p: 50, want: time.Millisecond},
		{name: "median of three", in: msList(1, 2, 3), p: 50, want: 2 * time.Millisecond},
		{name: "p99 of 100", in: msList(hundred...), p: 99, want: 99 * time.Millisecond},
		{name: "p50 of 100", in: msList(hundred...), p: 50, want: 50 * time.Millisecond},
		{name: "p100", in: msList(hundred...), p: 100, want: 100 * time.Millisecond},
		{name: "p99 of 10 is the max", in: msList(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 99, want: 10 * time.Millisecond},
		{name: "tiny p is the min", in: msList(4, 5, 6), p: 0.001, want: 4 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, percentile(tc.in, tc.p))
		})
	}
}

func TestSummarize(t *testing.T) {
	s := summarize(msList(30, 10, 20, 40))
	require.Equal(t, latencySummary{Count: 4, P50: 20, P99: 40, Max: 40, Mean: 25}, s)
	require.Equal(t, latencySummary{}, summarize(nil))
	require.Equal(t, 1.235, summarize([]time.Duration{1234567 * time.Nanosecond}).P50, "rounded to microseconds")
}
