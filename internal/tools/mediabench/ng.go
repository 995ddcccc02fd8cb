package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ngClient speaks rtpengine's ng control protocol: a cookie, a space and
// a bencoded dictionary per UDP datagram; the reply carries the same
// cookie. Safe for concurrent use.
type ngClient struct {
	conn *net.UDPConn

	mu      sync.Mutex
	pending map[string]chan map[string]any
	done    chan struct{}
}

var errNG = errors.New("rtpengine ng")

func dialNG(addr string) (*ngClient, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial ng %s: %w", addr, err)
	}
	c, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, fmt.Errorf("dial ng %s: %w", addr, err)
	}
	n := &ngClient{conn: c, pending: map[string]chan map[string]any{}, done: make(chan struct{})}
	go n.read()
	return n, nil
}

func (n *ngClient) read() {
	defer close(n.done)
	buf := make([]byte, 65536)
	for {
		k, err := n.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		cookie, body, ok := bytes.Cut(buf[:k], []byte(" "))
		if !ok {
			continue
		}
		v, _, err := decode(body)
		d, isDict := v.(map[string]any)
		if err != nil || !isDict {
			continue
		}
		n.mu.Lock()
		ch := n.pending[string(cookie)]
		delete(n.pending, string(cookie))
		n.mu.Unlock()
		if ch != nil {
			ch <- d
		}
	}
}

// do sends one command and waits for its reply (retransmitting every
// 500 ms, as ng over UDP wants).
func (n *ngClient) do(ctx context.Context, cmd map[string]any) (map[string]any, error) {
	var cb [8]byte
	_, _ = rand.Read(cb[:])
	cookie := hex.EncodeToString(cb[:])
	var buf bytes.Buffer
	buf.WriteString(cookie + " ")
	if err := encode(&buf, cmd); err != nil {
		return nil, err
	}
	ch := make(chan map[string]any, 1)
	n.mu.Lock()
	n.pending[cookie] = ch
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.pending, cookie)
		n.mu.Unlock()
	}()
	for {
		if _, err := n.conn.Write(buf.Bytes()); err != nil {
			return nil, fmt.Errorf("ng %v: %w", cmd["command"], err)
		}
		select {
		case d := <-ch:
			if r, _ := d["result"].(string); r != "ok" {
				return nil, fmt.Errorf("ng %v: %w: %v %v", cmd["command"], errNG, d["result"], d["error-reason"])
			}
			return d, nil
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return nil, fmt.Errorf("ng %v: %w", cmd["command"], ctx.Err())
		}
	}
}

func (n *ngClient) close() {
	_ = n.conn.Close()
	<-n.done
}
