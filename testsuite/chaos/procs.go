package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is a child process the harness starts, kills and starts again with
// the same command line. Its output goes to a log file in the work dir.
type proc struct {
	name string
	args []string
	env  []string
	log  *os.File

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	stopping bool // the harness is stopping it
	// unexpected counts exits the harness did not cause.
	unexpected int
	// supervise starts the process again a second after it exits by
	// itself, as systemd or Kubernetes would (a worker started while the
	// dev server restarts exits: it cannot reach Temporal).
	supervise bool
}

func newProc(dir, name string, env []string, args ...string) (*proc, error) {
	f, err := os.OpenFile(dir+"/"+name+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &proc{name: name, args: args, env: env, log: f}, nil
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	// Its own process group: a kill reaches what it forks, and Ctrl-C on
	// the harness does not reach it before the harness cleans up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		again := !p.stopping && p.supervise
		if !p.stopping {
			p.unexpected++
			fmt.Fprintf(p.log, "=== harness: %s exited by itself: %v\n", p.name, err)
		}
		p.mu.Unlock()
		close(done)
		if again {
			time.Sleep(time.Second)
			p.mu.Lock()
			restart := p.cmd == cmd && !p.stopping // nobody restarted it meanwhile
			p.mu.Unlock()
			if restart {
				_ = p.start()
			}
		}
	}()
	p.cmd, p.done, p.stopping = cmd, done, false
	fmt.Fprintf(p.log, "=== harness: started pid %d at %s\n", cmd.Process.Pid, time.Now().UTC().Format(time.RFC3339Nano))
	return nil
}

// signal sends sig to the process group and waits for the process to
// exit (a SIGTERM'd worker finishes its activities first).
func (p *proc) signal(sig syscall.Signal, wait time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.stopping = true
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	fmt.Fprintf(p.log, "=== harness: %v to pid %d at %s\n", sig, cmd.Process.Pid, time.Now().UTC().Format(time.RFC3339Nano))
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
		return nil
	case <-time.After(wait):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("%s did not exit within %s of %v", p.name, wait, sig)
	}
}

// exits is how many times the process exited without the harness asking.
func (p *proc) exits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unexpected
}

func (p *proc) stop() {
	_ = p.signal(syscall.SIGTERM, 30*time.Second)
	_ = p.log.Close()
}

// freePort asks the kernel for a port nothing listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP waits until addr accepts connections.
func waitTCP(ctx context.Context, addr string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never listened: %w", addr, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitHTTP waits until url answers 200.
func waitHTTP(ctx context.Context, url string) error {
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never answered: %v", url, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
