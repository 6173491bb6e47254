package broker

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
)

// nodes keeps, for a cluster of several brokers (WithBrokers), each node's
// address and the client connections its listener accepted, so that a node
// can be taken away with its connections and brought back on its address.
type nodes struct {
	mu    sync.Mutex
	addrs map[int32]string             // node id → host:port, as started
	conns map[string]map[net.Conn]bool // listen address → open connections
	down  map[int32]bool
}

func newNodes() *nodes {
	return &nodes{addrs: map[int32]string{}, conns: map[string]map[net.Conn]bool{}, down: map[int32]bool{}}
}

// listen wraps a listener so that its connections are tracked.
func (n *nodes) listen(ln net.Listener) net.Listener {
	return &trackedListener{Listener: ln, n: n, addr: ln.Addr().String()}
}

func (n *nodes) add(addr string, c net.Conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns[addr] == nil {
		n.conns[addr] = map[net.Conn]bool{}
	}
	n.conns[addr][c] = true
}

func (n *nodes) remove(addr string, c net.Conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.conns[addr], c)
}

// cut closes every connection accepted on addr and returns how many.
func (n *nodes) cut(addr string) int {
	n.mu.Lock()
	conns := n.conns[addr]
	delete(n.conns, addr)
	n.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	return len(conns)
}

type trackedListener struct {
	net.Listener
	n    *nodes
	addr string
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.n.add(l.addr, c)
	return &trackedConn{Conn: c, l: l}, nil
}

type trackedConn struct {
	net.Conn
	l    *trackedListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.l.n.remove(c.l.addr, c.Conn) })
	return c.Conn.Close()
}

// Nodes are the node ids of the cluster as started (0..WithBrokers-1).
func (b *Broker) Nodes() []int32 {
	out := make([]int32, b.brokers)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// Controller is the node that answers topic creation: kfake's controller is
// the last node started, and it cannot move, so StopNode refuses it.
func (b *Broker) Controller() int32 { return int32(b.brokers - 1) }

// StopNode makes node unreachable, as a broker that crashed or was cut off
// the network: its listener closes, so new connections are refused, every
// connection a client holds to it is closed, and the cluster elects new
// leaders for all partitions and moves group coordination among the nodes
// that remain, as a Kafka controller would once the node's session expired.
// It returns how many client connections it closed. The controller (see
// Controller) and the last node up cannot be stopped. StartNode brings it
// back.
func (b *Broker) StopNode(node int32) (closed int, err error) {
	if b.brokers < 2 {
		return 0, errors.New("StopNode: a single broker cannot lose a node (WithBrokers)")
	}
	if node == b.Controller() {
		return 0, fmt.Errorf("StopNode(%d): node %d is the controller, which the embedded cluster cannot move; stop another", node, node)
	}
	b.nodes.mu.Lock()
	addr, ok := b.nodes.addrs[node]
	if ok && b.nodes.down[node] {
		b.nodes.mu.Unlock()
		return 0, fmt.Errorf("StopNode(%d): it is stopped already", node)
	}
	b.nodes.down[node] = true
	b.nodes.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("StopNode(%d): no such node (the cluster has %d)", node, b.brokers)
	}
	// Close the listener first (kfake's RemoveNode), then the
	// connections: none can be accepted in between, so no client keeps a
	// connection to the node once it is back.
	if err := b.cluster.RemoveNode(node); err != nil {
		return 0, fmt.Errorf("StopNode(%d): %w", node, err)
	}
	return b.nodes.cut(addr), nil
}

// StartNode brings a node StopNode stopped back on its address: it joins
// the cluster again and partition leadership is spread over every node.
func (b *Broker) StartNode(node int32) error {
	b.nodes.mu.Lock()
	addr := b.nodes.addrs[node]
	down := b.nodes.down[node]
	b.nodes.mu.Unlock()
	if !down {
		return fmt.Errorf("StartNode(%d): the node is not stopped", node)
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return err
	}
	if _, _, err := b.cluster.AddNode(node, port); err != nil {
		return fmt.Errorf("StartNode(%d) on %s: %w", node, addr, err)
	}
	b.nodes.mu.Lock()
	delete(b.nodes.down, node)
	b.nodes.mu.Unlock()
	return nil
}
