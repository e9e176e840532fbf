package main

import (
	"math"
	"slices"
	"time"
)

// latencySummary is the distribution of one latency, in milliseconds.
type latencySummary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

// summarize returns the count, p50, p99, max and mean of ds. It sorts ds.
func summarize(ds []time.Duration) latencySummary {
	s := latencySummary{Count: len(ds)}
	if len(ds) == 0 {
		return s
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	s.P50 = ms(percentile(ds, 50))
	s.P99 = ms(percentile(ds, 99))
	s.Max = ms(ds[len(ds)-1])
	s.Mean = ms(sum / time.Duration(len(ds)))
	return s
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value that at least p percent of the
// values are less than or equal to. It returns 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// ms converts d to milliseconds, rounded to microseconds.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
