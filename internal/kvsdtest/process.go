package kvsdtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BuildBinary compiles cmd/kvsd for tests that run it as its own process:
// to kill it with SIGKILL, or to measure a client without kvsd in the same
// process.
func BuildBinary(t testing.TB) string {
	t.Helper()
	return buildCommand(t, "kvsd")
}

// BuildKVSCtl compiles cmd/kvsctl, for tests that drive it as a user would.
func BuildKVSCtl(t testing.TB) string {
	t.Helper()
	return buildCommand(t, "kvsctl")
}

func buildCommand(t testing.TB, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, "github.com/openkvs/openkvs/cmd/"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

// FreeAddr returns a loopback address nothing listens on now, for a kvsd
// that must come back on the same address after a restart.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Process is a kvsd running as a child process with the test credentials.
type Process struct {
	*Server
	Cmd    *exec.Cmd
	exited chan struct{}
}

// StartProcess runs the kvsd binary on addr with data dir dir (and any
// further flags), waits until it accepts connections, and kills it when the
// test ends if it still runs. PutMedia rate limits are off, as in Start.
func StartProcess(t testing.TB, bin, addr, dir string, flags ...string) *Process {
	t.Helper()
	args := append([]string{"-listen", addr, "-data-dir", dir, "-log-level", "warn", "-transition-delay", "0s",
		"-putmedia-bytes-per-second", "0", "-putmedia-fragments-per-second", "0"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KVSD_ROOT_ACCESS_KEY_ID="+AccessKeyID, "KVSD_ROOT_SECRET_ACCESS_KEY="+SecretAccessKey)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kvsd: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("kvsd exited before it listened on %s", addr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kvsd did not listen on %s within 10 s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return &Process{Server: &Server{URL: "http://" + addr, DataDir: dir}, Cmd: cmd, exited: exited}
}

// Kill ends the process with SIGKILL, as a crash would, and waits until it
// is gone.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill kvsd: %v", err)
	}
	<-p.exited
}
