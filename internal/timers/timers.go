// Package timers runs the deadlines of many values with one runtime
// timer. A time.Timer per value costs its own allocation and closure for
// as long as the value lives; a Queue keeps each deadline in one slot of
// a heap and asks each value only for a small Entry, embedded in it.
package timers

import (
	"sync"
	"time"
)

// grain is the precision of a Queue: a value's function runs up to one
// grain after its deadline, so that deadlines close together are handled
// by one wake-up of the runtime timer rather than one each.
const grain = time.Millisecond

// An Entry is the place of a value in a Queue. Embed one in each value
// scheduled; its zero value is a value not scheduled. It is guarded by the
// Queue.
type Entry struct {
	pos int32 // index in the heap plus one; 0 when not scheduled
}

// slot is one deadline of the heap.
type slot[T any] struct {
	when int64 // nanoseconds on the Queue's clock
	v    T
}

// A Queue calls a function with each value whose deadline has passed, on
// a goroutine of the runtime timer, one value after the other: the
// function must not block. Its methods are safe for concurrent use.
type Queue[T any] struct {
	fire  func(T)
	entry func(T) *Entry
	base  time.Time // the origin of the Queue's clock

	mu    sync.Mutex
	heap  []slot[T] // ordered by when, earliest first
	spare []T       // an emptied batch of due values, for reuse
	timer *time.Timer
	armed int64 // when the timer fires; -1 when it is stopped
}

// New returns a Queue that calls fire with each value whose deadline has
// passed. entry returns the Entry embedded in a value.
func New[T any](fire func(T), entry func(T) *Entry) *Queue[T] {
	return &Queue[T]{fire: fire, entry: entry, base: time.Now(), armed: -1}
}

// Now returns the Queue's clock: monotonic nanoseconds since New.
func (q *Queue[T]) Now() int64 { return int64(time.Since(q.base)) }

// Schedule sets v's deadline to d from now, replacing any deadline v had,
// and returns it on the Queue's clock.
func (q *Queue[T]) Schedule(v T, d time.Duration) int64 {
	when := q.Now() + int64(d)
	e := q.entry(v)
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.pos == 0 {
		q.heap = append(q.heap, slot[T]{when: when, v: v})
		e.pos = int32(len(q.heap))
		q.up(len(q.heap) - 1)
	} else {
		i := int(e.pos - 1)
		old := q.heap[i].when
		q.heap[i].when = when
		if when < old {
			q.up(i)
		} else {
			q.down(i)
		}
	}
	q.armLocked()
	return when
}

// Stop removes v's deadline, if it has one. The function may still run
// for a deadline that had passed before Stop.
func (q *Queue[T]) Stop(v T) {
	e := q.entry(v)
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.pos != 0 {
		q.removeLocked(int(e.pos - 1))
		q.armLocked()
	}
}

// Len returns the number of values scheduled.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.heap)
}

// run takes the values whose deadline has passed and calls the function
// with each, after arming the timer for the next deadline.
func (q *Queue[T]) run() {
	now := q.Now()
	q.mu.Lock()
	q.armed = -1
	due := q.spare
	q.spare = nil
	for len(q.heap) > 0 && q.heap[0].when <= now {
		due = append(due, q.heap[0].v)
		q.removeLocked(0)
	}
	q.armLocked()
	q.mu.Unlock()
	for _, v := range due {
		q.fire(v)
	}
	clear(due)
	q.mu.Lock()
	if q.spare == nil {
		q.spare = due[:0]
	}
	q.mu.Unlock()
}

// armLocked sets the timer for the earliest deadline, rounded up to the
// grain, or stops it when no value is scheduled.
func (q *Queue[T]) armLocked() {
	if len(q.heap) == 0 {
		if q.armed >= 0 {
			q.timer.Stop()
			q.armed = -1
		}
		if cap(q.heap) > 1024 {
			q.heap, q.spare = nil, nil // a burst of values leaves no big arrays behind
		}
		return
	}
	at := q.heap[0].when
	if r := at % int64(grain); r != 0 {
		at += int64(grain) - r
	}
	if q.armed >= 0 && q.armed <= at {
		return // the timer fires soon enough: run arms it again
	}
	q.armed = at
	d := time.Duration(at - q.Now())
	if q.timer == nil {
		q.timer = time.AfterFunc(d, q.run)
	} else {
		q.timer.Reset(d)
	}
}

// removeLocked removes the slot at index i.
func (q *Queue[T]) removeLocked(i int) {
	q.entry(q.heap[i].v).pos = 0
	last := len(q.heap) - 1
	if i != last {
		q.heap[i] = q.heap[last]
		q.entry(q.heap[i].v).pos = int32(i + 1)
	}
	var zero slot[T]
	q.heap[last] = zero // drop the reference to the value
	q.heap = q.heap[:last]
	if i != last {
		q.down(i)
		q.up(i)
	}
}

func (q *Queue[T]) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if q.heap[parent].when <= q.heap[i].when {
			return
		}
		q.swap(i, parent)
		i = parent
	}
}

func (q *Queue[T]) down(i int) {
	n := len(q.heap)
	for {
		least := i
		if l := 2*i + 1; l < n && q.heap[l].when < q.heap[least].when {
			least = l
		}
		if r := 2*i + 2; r < n && q.heap[r].when < q.heap[least].when {
			least = r
		}
		if least == i {
			return
		}
		q.swap(i, least)
		i = least
	}
}

func (q *Queue[T]) swap(i, j int) {
	q.heap[i], q.heap[j] = q.heap[j], q.heap[i]
	q.entry(q.heap[i].v).pos = int32(i + 1)
	q.entry(q.heap[j].v).pos = int32(j + 1)
}
