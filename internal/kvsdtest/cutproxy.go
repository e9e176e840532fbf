package kvsdtest

import (
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// CutOptions say which connections a CutProxy cuts, and where.
type CutOptions struct {
	// Cuts is how many connections are cut; later ones pass whole.
	Cuts int
	// Upstream cuts the client's request stream; otherwise the server's
	// response stream is cut.
	Upstream bool
	// Prefix, when set, limits the cuts to connections whose request starts
	// with it, e.g. "POST /putMedia".
	Prefix string
	// The cut falls after MinOctets to MaxOctets octets of the cut
	// direction, chosen at random from Seed.
	MinOctets, MaxOctets int64
	Seed                 uint64
}

// CutProxy forwards TCP connections to a target on 127.0.0.1 and drops
// some of them part way, as a flaky network would, to test that clients
// resume without losing or repeating anything.
type CutProxy struct {
	ln     net.Listener
	opts   CutOptions
	target atomic.Value // string
	cut    atomic.Int64 // connections cut so far
	left   atomic.Int64 // cuts still to make

	mu    sync.Mutex
	rng   *rand.Rand
	conns []net.Conn
	wg    sync.WaitGroup
}

// NewCutProxy starts a proxy to target (which may be set later with
// SetTarget) and stops it when the test ends.
func NewCutProxy(t testing.TB, target string, o CutOptions) *CutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &CutProxy{ln: ln, opts: o, rng: rand.New(rand.NewPCG(o.Seed, 7))}
	p.target.Store(target)
	p.left.Store(int64(o.Cuts))
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// URL is the proxy's http:// address.
func (p *CutProxy) URL() string { return "http://" + p.ln.Addr().String() }

// SetTarget changes where new connections go.
func (p *CutProxy) SetTarget(addr string) { p.target.Store(addr) }

// Cut reports how many connections have been cut.
func (p *CutProxy) Cut() int64 { return p.cut.Load() }

func (p *CutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.relay(c)
		}()
	}
}

// relay copies one connection both ways, cutting it if it is chosen.
func (p *CutProxy) relay(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target.Load().(string))
	if err != nil {
		return
	}
	defer s.Close()
	p.mu.Lock()
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()

	// The request's first octets decide whether the connection is cut.
	head := make([]byte, len(p.opts.Prefix))
	if _, err := io.ReadFull(c, head); err != nil {
		return
	}
	if _, err := s.Write(head); err != nil {
		return
	}
	cut := strings.HasPrefix(string(head), p.opts.Prefix) && p.left.Add(-1) >= 0
	var at int64
	if cut {
		p.mu.Lock()
		at = p.opts.MinOctets + p.rng.Int64N(max(p.opts.MaxOctets-p.opts.MinOctets, 1))
		p.mu.Unlock()
	}

	up, down := io.Writer(s), io.Writer(c)
	upDone := make(chan struct{})
	go func() {
		defer close(upDone)
		if cut && p.opts.Upstream {
			_, _ = io.CopyN(up, c, at)
			p.drop(c, s)
			return
		}
		_, _ = io.Copy(up, c)
		s.Close()
	}()
	if cut && !p.opts.Upstream {
		_, _ = io.CopyN(down, s, at)
		p.drop(c, s)
	} else {
		_, _ = io.Copy(down, s)
		c.Close()
	}
	<-upDone
}

// drop closes both sides of a cut connection and counts it.
func (p *CutProxy) drop(c, s net.Conn) {
	c.Close()
	s.Close()
	p.cut.Add(1)
}
