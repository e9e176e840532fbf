package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// maxReportedErrors bounds the session errors listed in a report.
const maxReportedErrors = 10

// benchReport is the result of "kvsctl bench ingest" (its --json form).
type benchReport struct {
	Streams      int     `json:"streams"`
	DurationS    float64 `json:"duration_s"`
	FragmentS    float64 `json:"fragment_s"`
	FPS          int     `json:"fps"`
	BitrateBps   int64   `json:"bitrate_bps"`
	Unthrottled  bool    `json:"unthrottled"`
	Endpoint     string  `json:"endpoint"`
	DataEndpoint string  `json:"data_endpoint"`
	Media        struct {
		Source        string `json:"source"`
		Width         int    `json:"width"`
		Height        int    `json:"height"`
		FragmentBytes int64  `json:"fragment_bytes"`
		PaddedFrames  int    `json:"padded_frames"`
		TrimmedFrames int    `json:"trimmed_frames"`
	} `json:"media"`

	// SendS runs from the first to the last body octet of the run,
	// ElapsedS from the start to the last ack.
	SendS          float64 `json:"send_s"`
	ElapsedS       float64 `json:"elapsed_s"`
	BytesSent      int64   `json:"bytes_sent"`
	ThroughputMBps float64 `json:"throughput_mbytes_per_s"`
	ThroughputMbit float64 `json:"throughput_mbit_per_s"`

	Fragments struct {
		Sent       int `json:"sent"`
		Incomplete int `json:"incomplete"` // started, not finished (interrupt or error)
		Buffering  int `json:"buffering"`
		Received   int `json:"received"`
		Persisted  int `json:"persisted"`
		Errored    int `json:"errored"`
		// Lost were sent completely but never PERSISTED.
		Lost int `json:"lost"`
		// Duplicated fragments were PERSISTED more than once or share their
		// FragmentNumber with another fragment.
		Duplicated      int `json:"duplicated"`
		NumberMismatch  int `json:"number_mismatch"`
		UnmatchedAcks   int `json:"unmatched_acks"`
		IdleAcks        int `json:"idle_acks"`
		NegativeLatency int `json:"negative_latencies_clamped"`
	} `json:"fragments"`
	AckErrors     map[string]int `json:"ack_errors,omitempty"`
	SessionErrors []string       `json:"session_errors,omitempty"`

	Latency struct {
		Buffering latencySummary `json:"buffering_from_first_byte"`
		Received  latencySummary `json:"received_from_last_byte"`
		Persisted latencySummary `json:"persisted_from_last_byte"`
	} `json:"latency_ms"`

	ClientCPU struct {
		UserS   float64 `json:"user_s"`
		SystemS float64 `json:"system_s"`
		Cores   float64 `json:"cores"`
	} `json:"client_cpu"`

	Baselines   *baselineReport `json:"baselines,omitempty"`
	Interrupted bool            `json:"interrupted,omitempty"`
}

// buildReport computes the report from what the streams recorded.
func buildReport(o *benchIngestOptions, endpoint, dataEndpoint string, src *mediaSource, plan *mediaPlan, res *ingestResult, base *baselineReport) *benchReport {
	r := &benchReport{
		Streams: o.streams, DurationS: time.Duration(o.duration).Seconds(), FragmentS: time.Duration(o.fragment).Seconds(),
		FPS: o.fps, BitrateBps: int64(o.bitrate), Unthrottled: o.unthrottled,
		Endpoint: endpoint, DataEndpoint: dataEndpoint, Baselines: base, Interrupted: res.interrupted,
	}
	r.Media.Source, r.Media.Width, r.Media.Height = src.Description, src.Width, src.Height
	r.Media.FragmentBytes, r.Media.PaddedFrames, r.Media.TrimmedFrames = plan.fragmentBytes, plan.padded, plan.trimmed

	var (
		firstWrite, lastWrite time.Time
		buffering, received   []time.Duration
		persisted             []time.Duration
		numbers               = map[string]int{}
		ackErrors             = map[string]int{}
		fc                    = &r.Fragments
	)
	latency := func(from, to time.Time, into *[]time.Duration) {
		if from.IsZero() || to.IsZero() {
			return
		}
		d := to.Sub(from)
		if d < 0 {
			// The ack came before the writer took the time after its write.
			fc.NegativeLatency++
			d = 0
		}
		*into = append(*into, d)
	}
	for _, s := range res.streams {
		if s.conn != nil {
			r.BytesSent += s.conn.written.Load()
		}
		if !s.firstWrite.IsZero() && (firstWrite.IsZero() || s.firstWrite.Before(firstWrite)) {
			firstWrite = s.firstWrite
		}
		if s.lastWrite.After(lastWrite) {
			lastWrite = s.lastWrite
		}
		for _, err := range []error{s.sendErr, s.respErr} {
			if err != nil && len(r.SessionErrors) < maxReportedErrors && !slices.Contains(r.SessionErrors, err.Error()) {
				r.SessionErrors = append(r.SessionErrors, err.Error())
			}
		}
		fc.UnmatchedAcks += s.unmatched
		fc.IdleAcks += s.ackCounts[ackIdle]
		for k, v := range s.errorAcks {
			ackErrors[k] += v
		}
		for _, f := range s.frags {
			sent := !f.lastByte.IsZero()
			if sent {
				fc.Sent++
			} else {
				fc.Incomplete++
			}
			if !f.buffering.IsZero() {
				fc.Buffering++
			}
			if !f.received.IsZero() {
				fc.Received++
			}
			if f.persistedCount > 0 {
				fc.Persisted++
			}
			if f.persistedCount > 1 {
				fc.Duplicated++
			}
			if f.errored {
				fc.Errored++
			}
			if sent && f.persistedCount == 0 {
				fc.Lost++
			}
			if f.numberChanged {
				fc.NumberMismatch++
			}
			if f.number != "" {
				numbers[f.number]++
				if numbers[f.number] > 1 {
					fc.Duplicated++
				}
			}
			latency(f.firstByte, f.buffering, &buffering)
			if sent {
				latency(f.lastByte, f.received, &received)
				latency(f.lastByte, f.persisted, &persisted)
			}
		}
	}
	if len(ackErrors) > 0 {
		r.AckErrors = ackErrors
	}
	r.Latency.Buffering = summarize(buffering)
	r.Latency.Received = summarize(received)
	r.Latency.Persisted = summarize(persisted)

	if !firstWrite.IsZero() && lastWrite.After(firstWrite) {
		r.SendS = round3(lastWrite.Sub(firstWrite).Seconds())
		r.ThroughputMBps = round3(float64(r.BytesSent) / lastWrite.Sub(firstWrite).Seconds() / 1e6)
		r.ThroughputMbit = round3(r.ThroughputMBps * 8)
	}
	elapsed := res.cpuEnd.Sub(res.cpuStart)
	r.ElapsedS = round3(elapsed.Seconds())
	if res.cpu.Valid {
		r.ClientCPU.UserS = round3(res.cpu.User.Seconds())
		r.ClientCPU.SystemS = round3(res.cpu.System.Seconds())
		if elapsed > 0 {
			r.ClientCPU.Cores = round3((res.cpu.User + res.cpu.System).Seconds() / elapsed.Seconds())
		}
	}
	if base != nil && o.unthrottled && base.TCPMBps > 0 {
		ratio := round3(r.ThroughputMBps / base.TCPMBps)
		base.RatioToTCP = &ratio
	}
	return r
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func (r *benchReport) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeText prints the report as aligned tables.
func (r *benchReport) writeText(out io.Writer) error {
	mode := "real time"
	if r.Unthrottled {
		mode = "unthrottled"
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "kvsctl bench ingest\t%d stream(s) x %gs of %s, %gs fragments, %d fps, %s\n",
		r.Streams, r.DurationS, formatBitrate(r.BitrateBps), r.FragmentS, r.FPS, mode)
	fmt.Fprintf(w, "endpoint\t%s (PutMedia %s)\n", r.Endpoint, r.DataEndpoint)
	media := fmt.Sprintf("%s; %d octets per fragment, %d frames padded", r.Media.Source, r.Media.FragmentBytes, r.Media.PaddedFrames)
	if r.Media.TrimmedFrames > 0 {
		media += fmt.Sprintf(", %d cut (they no longer decode cleanly)", r.Media.TrimmedFrames)
	}
	fmt.Fprintf(w, "media\t%s\n", media)
	if r.Interrupted {
		fmt.Fprintf(w, "INTERRUPTED\tthe figures cover what was sent until then\n")
	}
	fmt.Fprintf(w, "sent\t%.1f MB in %.3f s: %.2f MB/s (%.1f Mbit/s)\n", float64(r.BytesSent)/1e6, r.SendS, r.ThroughputMBps, r.ThroughputMbit)
	f := r.Fragments
	fmt.Fprintf(w, "fragments\tsent %d, persisted %d, errored %d, lost %d, duplicated %d", f.Sent, f.Persisted, f.Errored, f.Lost, f.Duplicated)
	if f.Incomplete > 0 {
		fmt.Fprintf(w, ", incomplete %d", f.Incomplete)
	}
	if f.UnmatchedAcks > 0 {
		fmt.Fprintf(w, ", unmatched acks %d", f.UnmatchedAcks)
	}
	if f.NumberMismatch > 0 {
		fmt.Fprintf(w, ", fragment number changed %d", f.NumberMismatch)
	}
	fmt.Fprintln(w)
	if len(r.AckErrors) > 0 {
		keys := make([]string, 0, len(r.AckErrors))
		for k := range r.AckErrors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s x%d", k, r.AckErrors[k])
		}
		fmt.Fprintf(w, "ERROR acks\t%s\n", strings.Join(parts, ", "))
	}
	for _, e := range r.SessionErrors {
		fmt.Fprintf(w, "session error\t%s\n", e)
	}
	fmt.Fprintf(w, "client CPU\tuser %.2f s + sys %.2f s = %.2f cores over %.2f s\n", r.ClientCPU.UserS, r.ClientCPU.SystemS, r.ClientCPU.Cores, r.ElapsedS)
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "%-28s %7s %10s %10s %10s %10s\n", "ack latency (ms)", "count", "p50", "p99", "max", "mean")
	row := func(name string, s latencySummary) {
		fmt.Fprintf(out, "%-28s %7d %10.3f %10.3f %10.3f %10.3f\n", name, s.Count, s.P50, s.P99, s.Max, s.Mean)
	}
	row("BUFFERING from first octet", r.Latency.Buffering)
	row("RECEIVED from last octet", r.Latency.Received)
	row("PERSISTED from last octet", r.Latency.Persisted)

	if b := r.Baselines; b != nil {
		fmt.Fprintln(out)
		w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintf(w, "baselines\t\n")
		fmt.Fprintf(w, "loopback TCP\t%.1f MB/s (1 connection, %d KiB writes)\n", b.TCPMBps, b.TCPWriteSize>>10)
		fmt.Fprintf(w, "disk write + fsync\t%.1f MB/s (%d MiB in 1 MiB writes, one fsync, in %s)\n", b.DiskMBps, b.DiskBytes>>20, b.DiskDir)
		fmt.Fprintf(w, "256 KiB write + fsync\tp50 %.3f ms (%d samples)\n", b.Fsync256KP50Ms, b.Fsync256KSamples)
		if b.RatioToTCP != nil {
			fmt.Fprintf(w, "throughput / TCP\t%.3f\n", *b.RatioToTCP)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}
