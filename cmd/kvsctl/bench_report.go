package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
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
	// ElapsedS from the start to the last ack. BytesSent counts the
	// PutMedia body octets that went out, resent ones included.
	SendS          float64 `json:"send_s"`
	ElapsedS       float64 `json:"elapsed_s"`
	BytesSent      int64   `json:"bytes_sent"`
	ThroughputMBps float64 `json:"throughput_mbytes_per_s"`
	ThroughputMbit float64 `json:"throughput_mbit_per_s"`

	Fragments struct {
		// Sent are the fragments the library made (StreamMetrics.FragmentsPut).
		Sent int `json:"sent"`
		// Incomplete were made but never went out completely.
		Incomplete int `json:"incomplete"`
		Buffering  int `json:"buffering"`
		Received   int `json:"received"`
		Persisted  int `json:"persisted"`
		Errored    int `json:"errored"`
		// Lost were made but never PERSISTED.
		Lost int `json:"lost"`
		// Duplicated fragments were PERSISTED more than once or share their
		// FragmentNumber with another fragment.
		Duplicated     int `json:"duplicated"`
		NumberMismatch int `json:"number_mismatch"`
		UnmatchedAcks  int `json:"unmatched_acks"`
		// Resent fragments went out again on a new connection
		// (StreamMetrics.Retransmissions); DroppedFrames were refused by
		// PutFrame.
		Resent           int `json:"resent"`
		DroppedFrames    int `json:"dropped_frames"`
		Connections      int `json:"connections"`
		ConnectionErrors int `json:"connection_errors"`
		NegativeLatency  int `json:"negative_latencies_clamped"`
	} `json:"fragments"`
	AckErrors     map[string]int `json:"ack_errors,omitempty"`
	SessionErrors []string       `json:"session_errors,omitempty"`

	Latency struct {
		Buffering latencySummary `json:"buffering_from_first_byte"`
		Received  latencySummary `json:"received_from_last_byte"`
		Persisted latencySummary `json:"persisted_from_last_byte"`
		// PersistedLater leaves out each stream's first fragment, which
		// also waits for the PutMedia connection and the server's session
		// to start: the library opens the connection when the first
		// fragment starts.
		PersistedLater latencySummary `json:"persisted_from_last_byte_without_first_fragments"`
		// PersistedSteady counts only the fragments whose last octet went
		// out --warmup or more after the run's first octet: when hundreds
		// of connections and sessions start within one fragment, the
		// backlog of that start takes seconds to drain, and this is the
		// figure without it.
		PersistedSteady *latencySummary `json:"persisted_from_last_byte_after_warmup,omitempty"`
		// ReceivedSteady is RECEIVED for the same fragments. It needs no
		// disk: what PERSISTED adds to it is the store's share.
		ReceivedSteady *latencySummary `json:"received_from_last_byte_after_warmup,omitempty"`
		WarmupS        float64         `json:"warmup_s,omitempty"`
		// FrameInPersisted runs from the PutFrame call of a fragment's
		// last frame to its PERSISTED ack: what an application sees.
		FrameInPersisted latencySummary `json:"persisted_from_last_frame_in"`
	} `json:"latency_ms"`

	ClientCPU struct {
		UserS   float64 `json:"user_s"`
		SystemS float64 `json:"system_s"`
		Cores   float64 `json:"cores"`
	} `json:"client_cpu"`
	// ServerCPU is the endpoint's process, when it runs on this machine
	// and could be found.
	ServerCPU *serverCPUReport `json:"server_cpu,omitempty"`

	Baselines   *baselineReport `json:"baselines,omitempty"`
	Interrupted bool            `json:"interrupted,omitempty"`
}

// buildReport computes the report from what the streams recorded.
// serverCPUReport is the CPU time of the server process over the run.
type serverCPUReport struct {
	PID     int     `json:"pid"`
	Name    string  `json:"name"`
	UserS   float64 `json:"user_s"`
	SystemS float64 `json:"system_s"`
	Cores   float64 `json:"cores"`
}

func buildReport(o *benchIngestOptions, endpoint, dataEndpoint string, src *mediaSource, plan *mediaPlan, res *ingestResult,
	base *baselineReport, server serverProcess) *benchReport {
	r := &benchReport{
		Streams: o.streams, DurationS: time.Duration(o.duration).Seconds(), FragmentS: time.Duration(o.fragment).Seconds(),
		FPS: o.fps, BitrateBps: int64(o.bitrate), Unthrottled: o.unthrottled,
		Endpoint: endpoint, DataEndpoint: dataEndpoint, Baselines: base, Interrupted: res.interrupted,
	}
	r.Media.Source, r.Media.Width, r.Media.Height = src.Description, src.Width, src.Height
	r.Media.FragmentBytes, r.Media.PaddedFrames, r.Media.TrimmedFrames = plan.fragmentBytes, plan.padded, plan.trimmed

	var (
		firstWrite          = res.firstWrite()
		lastWrite           time.Time
		buffering, received []time.Duration
		persisted, frameIn  []time.Duration
		persistedLater      []time.Duration
		numbers             = map[string]int{}
		ackErrors           = map[string]int{}
		fc                  = &r.Fragments
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
	warmup := time.Duration(o.warmup)
	var persistedSteady, receivedSteady []time.Duration
	for _, s := range res.streams {
		r.BytesSent += s.bytes
		if s.lastWrite.After(lastWrite) {
			lastWrite = s.lastWrite
		}
		errs := slices.Clone(s.errs)
		if s.sendErr != nil {
			errs = append(errs, s.sendErr.Error())
		}
		if s.closeErr != nil {
			errs = append(errs, closeError(s, time.Duration(o.ackTimeout)))
		}
		for _, e := range errs {
			if len(r.SessionErrors) < maxReportedErrors && !slices.Contains(r.SessionErrors, e) {
				r.SessionErrors = append(r.SessionErrors, e)
			}
		}
		m := s.metrics
		fc.Sent += int(m.FragmentsPut)
		fc.Resent += int(m.Retransmissions)
		fc.Connections += int(m.Connections)
		fc.ConnectionErrors += int(m.ConnectionErrors)
		fc.DroppedFrames += s.droppedFr
		fc.UnmatchedAcks += s.unmatched
		for k, v := range s.errorAcks {
			ackErrors[k] += v
		}
		persistedHere := 0
		for k, f := range s.frags {
			sent := !f.lastByte.IsZero()
			if !sent {
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
				persistedHere++
			}
			if f.persistedCount > 1 {
				fc.Duplicated++
			}
			if f.errored {
				fc.Errored++
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
				if k > 0 && !f.persisted.IsZero() {
					persistedLater = append(persistedLater, max(f.persisted.Sub(f.lastByte), 0))
				}
				if warmup > 0 && f.lastByte.Sub(firstWrite) >= warmup {
					if !f.persisted.IsZero() {
						persistedSteady = append(persistedSteady, max(f.persisted.Sub(f.lastByte), 0))
					}
					if !f.received.IsZero() {
						receivedSteady = append(receivedSteady, max(f.received.Sub(f.lastByte), 0))
					}
				}
			}
			latency(f.lastFrameIn, f.persisted, &frameIn)
		}
		// A fragment the library made and no PERSISTED ack covered.
		fc.Lost += max(int(m.FragmentsPut)-persistedHere, 0)
	}
	if len(ackErrors) > 0 {
		r.AckErrors = ackErrors
	}
	r.Latency.Buffering = summarize(buffering)
	r.Latency.Received = summarize(received)
	r.Latency.Persisted = summarize(persisted)
	r.Latency.PersistedLater = summarize(persistedLater)
	if warmup > 0 {
		steady, recv := summarize(persistedSteady), summarize(receivedSteady)
		r.Latency.PersistedSteady, r.Latency.ReceivedSteady, r.Latency.WarmupS = &steady, &recv, warmup.Seconds()
	}
	r.Latency.FrameInPersisted = summarize(frameIn)

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
	if res.serverCPU.Valid && elapsed > 0 {
		r.ServerCPU = &serverCPUReport{
			PID: server.pid, Name: server.name,
			UserS: round3(res.serverCPU.User.Seconds()), SystemS: round3(res.serverCPU.System.Seconds()),
			Cores: round3((res.serverCPU.User + res.serverCPU.System).Seconds() / elapsed.Seconds()),
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
	if f.Resent > 0 {
		fmt.Fprintf(w, ", resent %d", f.Resent)
	}
	if f.DroppedFrames > 0 {
		fmt.Fprintf(w, ", frames refused %d", f.DroppedFrames)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "connections	%d PutMedia connection(s), %d failed\n", f.Connections, f.ConnectionErrors)
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
	if c := r.ServerCPU; c != nil {
		fmt.Fprintf(w, "server CPU\t%s (pid %d): user %.2f s + sys %.2f s = %.2f cores\n", c.Name, c.PID, c.UserS, c.SystemS, c.Cores)
	} else {
		fmt.Fprintf(w, "server CPU\tnot measured (the endpoint is not a process of this machine that kvsctl can read)\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "%-30s %7s %10s %10s %10s %10s\n", "ack latency (ms)", "count", "p50", "p99", "max", "mean")
	row := func(name string, s latencySummary) {
		fmt.Fprintf(out, "%-30s %7d %10.3f %10.3f %10.3f %10.3f\n", name, s.Count, s.P50, s.P99, s.Max, s.Mean)
	}
	row("BUFFERING from first octet", r.Latency.Buffering)
	row("RECEIVED from last octet", r.Latency.Received)
	if st := r.Latency.ReceivedSteady; st != nil {
		row(fmt.Sprintf("  after the first %gs", r.Latency.WarmupS), *st)
	}
	row("PERSISTED from last octet", r.Latency.Persisted)
	row("  without first fragments", r.Latency.PersistedLater)
	if st := r.Latency.PersistedSteady; st != nil {
		row(fmt.Sprintf("  after the first %gs", r.Latency.WarmupS), *st)
	}
	row("PERSISTED from last PutFrame", r.Latency.FrameInPersisted)

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

// writeTimeline writes one CSV row per fragment: its stream, its index, the
// time its last octet went out (seconds since the run's first octet) and
// its RECEIVED and PERSISTED latencies in ms (empty when the ack is
// missing). Rows are in stream order.
func writeTimeline(path string, res *ingestResult) error {
	first := res.firstWrite()
	ms := func(from, to time.Time) string {
		if from.IsZero() || to.IsZero() {
			return ""
		}
		return strconv.FormatFloat(float64(to.Sub(from).Microseconds())/1000, 'f', 3, 64)
	}
	var b strings.Builder
	b.WriteString("stream,fragment,last_octet_s,received_ms,persisted_ms\n")
	for i, s := range res.streams {
		for k, f := range s.frags {
			if f.lastByte.IsZero() {
				continue
			}
			fmt.Fprintf(&b, "%d,%d,%.3f,%s,%s\n", i, k, f.lastByte.Sub(first).Seconds(), ms(f.lastByte, f.received), ms(f.lastByte, f.persisted))
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return nil
}
