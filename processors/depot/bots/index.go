package bots

import (
	"container/heap"
	"sync"
	"time"
)

// Index is the dispatcher's choice: the available shopping lists, oldest
// (by availableAt, then id) first, and the ones a bot of this pool has
// claimed. It is maintained from every update of the shopping lists table
// (Observe), so choosing costs O(log n) in the available lists and nothing
// scans the table; it holds only available and claimed lists, so its size
// is the backlog, not the history. Safe for concurrent use.
//
// A claim keeps two bots of one pool off the same list. It is advisory: the
// ShoppingList and Bot aggregates are what make an assignment exclusive
// (another pool, or a list canceled meanwhile, is refused there).
type Index struct {
	mu      sync.Mutex
	queue   queue
	entries map[string]*entry // queued (available, unclaimed) and claimed lists
	changed chan struct{}
}

type entry struct {
	id          string
	availableAt time.Time
	available   bool // the table says so
	claimed     bool
	pos         int // in queue, -1 when not queued
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{entries: map[string]*entry{}, changed: make(chan struct{})}
}

// Observe records a shopping list's current status: an available list joins
// the queue (unless claimed); any other status takes it out.
func (x *Index) Observe(id string, available bool, availableAt time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e := x.entries[id]
	switch {
	case available && e == nil:
		e = &entry{id: id, availableAt: availableAt, available: true, pos: -1}
		x.entries[id] = e
		heap.Push(&x.queue, e)
		x.notify()
	case available:
		e.available, e.availableAt = true, availableAt
		if e.pos >= 0 {
			heap.Fix(&x.queue, e.pos)
		}
	case e != nil:
		e.available = false
		if !e.claimed {
			x.drop(e)
		}
	}
}

// Claim takes the oldest available list no bot of the pool has claimed.
func (x *Index) Claim() (string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.queue.Len() == 0 {
		return "", false
	}
	e := heap.Pop(&x.queue).(*entry)
	e.claimed = true
	return e.id, true
}

// Reserve claims a given list: a bot resuming the list it is on after a
// restart keeps the others off it.
func (x *Index) Reserve(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e := x.entries[id]
	if e == nil {
		e = &entry{id: id, pos: -1}
		x.entries[id] = e
	}
	if e.pos >= 0 {
		heap.Remove(&x.queue, e.pos)
	}
	e.claimed = true
}

// Unclaim gives a claimed list back: queued again if it is still available
// (the bot could not take it), forgotten otherwise.
func (x *Index) Unclaim(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e := x.entries[id]
	if e == nil || !e.claimed {
		return
	}
	e.claimed = false
	if !e.available {
		x.drop(e)
		return
	}
	heap.Push(&x.queue, e)
	x.notify()
}

// Done forgets a list a bot has finished with (assigned, completed, or
// found canceled): it is never available again.
func (x *Index) Done(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.entries[id]; e != nil {
		x.drop(e)
	}
}

// Available is the number of lists waiting for a bot.
func (x *Index) Available() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.queue.Len()
}

// Changed is closed the next time a list becomes claimable; take it before
// Claim so that no change slips between them.
func (x *Index) Changed() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.changed
}

func (x *Index) notify() {
	close(x.changed)
	x.changed = make(chan struct{})
}

func (x *Index) drop(e *entry) {
	if e.pos >= 0 {
		heap.Remove(&x.queue, e.pos)
	}
	delete(x.entries, e.id)
}

// queue is a min-heap of entries by (availableAt, id).
type queue []*entry

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].availableAt.Equal(q[j].availableAt) {
		return q[i].availableAt.Before(q[j].availableAt)
	}
	return q[i].id < q[j].id
}
func (q queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].pos, q[j].pos = i, j
}
func (q *queue) Push(x any) {
	e := x.(*entry)
	e.pos = len(*q)
	*q = append(*q, e)
}
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.pos = -1
	*q = old[:len(old)-1]
	return e
}
