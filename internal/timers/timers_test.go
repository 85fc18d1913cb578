package timers

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

type item struct {
	name  int
	entry Entry
}

func itemEntry(it *item) *Entry { return &it.entry }

// recorder collects the values a Queue fires, with the time each fired.
type recorder struct {
	mu    sync.Mutex
	fired []*item
	at    []int64
	q     *Queue[*item]
	ch    chan *item
}

func newRecorder() *recorder {
	r := &recorder{ch: make(chan *item, 1000)}
	r.q = New(func(it *item) {
		r.mu.Lock()
		r.fired = append(r.fired, it)
		r.at = append(r.at, r.q.Now())
		r.mu.Unlock()
		r.ch <- it
	}, itemEntry)
	return r
}

func (r *recorder) wait(t *testing.T) *item {
	t.Helper()
	select {
	case it := <-r.ch:
		return it
	case <-time.After(5 * time.Second):
		t.Fatal("no value fired within 5s")
		return nil
	}
}

func TestQueueFiresInOrderOfDeadline(t *testing.T) {
	r := newRecorder()
	items := make([]*item, 5)
	whens := make([]int64, 5)
	for i, ms := range []int{40, 10, 30, 20, 50} {
		items[i] = &item{name: ms}
		whens[i] = r.q.Schedule(items[i], time.Duration(ms)*time.Millisecond)
	}
	for _, want := range []int{10, 20, 30, 40, 50} {
		if got := r.wait(t); got.name != want {
			t.Fatalf("fired %d, want %d", got.name, want)
		}
	}
	for i, it := range r.fired {
		var when int64
		for j := range items {
			if items[j] == it {
				when = whens[j]
			}
		}
		if r.at[i] < when {
			t.Errorf("%d fired %v before its deadline", it.name, time.Duration(when-r.at[i]))
		}
		if it.entry.pos != 0 {
			t.Errorf("%d fired but still has a place in the heap", it.name)
		}
	}
	if n := r.q.Len(); n != 0 {
		t.Errorf("Len = %d after every value fired, want 0", n)
	}
}

func TestQueueRescheduleAndStop(t *testing.T) {
	r := newRecorder()
	late := &item{name: 1}
	early := &item{name: 2}
	stopped := &item{name: 3}
	r.q.Schedule(late, 10*time.Millisecond)
	r.q.Schedule(early, time.Hour)
	r.q.Schedule(stopped, 5*time.Millisecond)
	r.q.Schedule(late, 60*time.Millisecond)  // later than it was
	r.q.Schedule(early, 20*time.Millisecond) // earlier than it was
	r.q.Stop(stopped)
	r.q.Stop(stopped) // a second Stop does nothing
	if n := r.q.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
	if got := r.wait(t); got != early {
		t.Fatalf("first fired %d, want the rescheduled earlier value", got.name)
	}
	if got := r.wait(t); got != late {
		t.Fatalf("second fired %d, want the rescheduled later value", got.name)
	}
	select {
	case it := <-r.ch:
		t.Fatalf("value %d fired after it was stopped or had fired", it.name)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestQueueHeapOrder checks the heap against a plain list through random
// schedules, reschedules and stops.
func TestQueueHeapOrder(t *testing.T) {
	q := New(func(*item) {}, itemEntry)
	items := make([]*item, 200)
	for i := range items {
		items[i] = &item{name: i}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[*item]int64{}
	for range 5000 {
		it := items[rng.IntN(len(items))]
		if rng.IntN(4) == 0 {
			q.Stop(it)
			delete(want, it)
		} else {
			want[it] = q.Schedule(it, time.Duration(1+rng.IntN(1000))*time.Hour)
		}
		q.mu.Lock()
		if len(q.heap) != len(want) {
			t.Fatalf("heap holds %d values, want %d", len(q.heap), len(want))
		}
		for i, s := range q.heap {
			if int(s.v.entry.pos) != i+1 {
				t.Fatalf("value %d at %d has pos %d", s.v.name, i, s.v.entry.pos)
			}
			if s.when != want[s.v] {
				t.Fatalf("value %d has deadline %d, want %d", s.v.name, s.when, want[s.v])
			}
			if i > 0 && q.heap[(i-1)/2].when > s.when {
				t.Fatalf("heap order broken at %d", i)
			}
		}
		q.mu.Unlock()
	}
	for _, it := range items {
		q.Stop(it)
	}
	if q.Len() != 0 || q.armed != -1 {
		t.Fatalf("Len %d, armed %d after stopping every value", q.Len(), q.armed)
	}
}

// TestQueueConcurrent schedules and stops from many goroutines while
// values fire, each fire rescheduling its value a few times.
func TestQueueConcurrent(t *testing.T) {
	const values, rounds = 100, 5
	var (
		mu    sync.Mutex
		fires = map[*item]int{}
		done  = make(chan struct{})
		q     *Queue[*item]
	)
	q = New(func(it *item) {
		mu.Lock()
		fires[it]++
		n := fires[it]
		mu.Unlock()
		if n < rounds {
			q.Schedule(it, time.Millisecond)
		} else if n == rounds {
			done <- struct{}{}
		}
	}, itemEntry)
	var wg sync.WaitGroup
	for i := range values {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it := &item{name: i}
			q.Schedule(it, time.Hour)
			q.Stop(it)
			q.Schedule(it, time.Duration(i%7)*time.Millisecond)
		}()
	}
	wg.Wait()
	for range values {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("values stopped firing")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for it, n := range fires {
		if n != rounds {
			t.Errorf("value %d fired %d times, want %d", it.name, n, rounds)
		}
	}
	if q.Len() != 0 {
		t.Errorf("Len = %d after the last round, want 0", q.Len())
	}
}

func BenchmarkScheduleReschedule(b *testing.B) {
	q := New(func(*item) {}, itemEntry)
	items := make([]*item, 10000)
	for i := range items {
		items[i] = &item{name: i}
		q.Schedule(items[i], time.Hour+time.Duration(i)*time.Millisecond)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q.Schedule(items[i%len(items)], 2*time.Hour)
	}
}
