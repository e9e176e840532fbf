//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat:
// 100 on every Linux architecture (the kernel fixes it for user space).
const clockTicks = 100

// findServer returns the process listening on the endpoint's port when the
// endpoint is a loopback address: the listening socket's inode from
// /proc/net/tcp{,6}, then the process holding it among /proc/<pid>/fd.
// Only processes kvsctl may inspect (its own user's) are found.
func findServer(endpoint string) serverProcess {
	u, err := url.Parse(endpoint)
	if err != nil {
		return serverProcess{}
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return serverProcess{}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return serverProcess{}
	}
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		listeningInodes(f, uint16(p), inodes)
	}
	if len(inodes) == 0 {
		return serverProcess{}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range procs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil || pid == os.Getpid() {
			continue
		}
		fds, err := os.ReadDir(dir + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(dir + "/fd/" + fd.Name())
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				comm, _ := os.ReadFile(dir + "/comm")
				return serverProcess{pid: pid, name: strings.TrimSpace(string(comm))}
			}
		}
	}
	return serverProcess{}
}

// listeningInodes adds the inodes of the sockets listening on port in a
// /proc/net/tcp-format file.
func listeningInodes(file string, port uint16, into map[string]bool) {
	f, err := os.Open(file)
	if err != nil {
		return
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(f)
	sc.Scan() // the header line
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" || !strings.HasSuffix(fields[1], want) {
			continue
		}
		into[fields[9]] = true
	}
}

// cpu returns the process's user and system CPU time so far
// (/proc/<pid>/stat fields 14 and 15).
func (p serverProcess) cpu() cpuTimes {
	if p.pid == 0 {
		return cpuTimes{}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return cpuTimes{}
	}
	// comm (field 2) is in parentheses and may hold spaces; the fields
	// after the last ')' start with field 3.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return cpuTimes{}
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return cpuTimes{}
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return cpuTimes{}
	}
	tick := time.Second / clockTicks
	return cpuTimes{User: time.Duration(utime) * tick, System: time.Duration(stime) * tick, Valid: true}
}
