package websocket

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestCtxLockExcludes(t *testing.T) {
	var l ctxLock
	var wg sync.WaitGroup
	counter := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if err := l.lock(context.Background(), nil); err != nil {
					t.Error(err)
					return
				}
				counter++
				l.unlock()
			}
		}()
	}
	wg.Wait()
	if counter != 16000 {
		t.Fatalf("counter %d, want 16000", counter)
	}
}

func TestCtxLockGivesUp(t *testing.T) {
	var l ctxLock
	l.lock(context.Background(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.lock(ctx, nil); err != context.DeadlineExceeded {
		t.Fatalf("lock on a held lock: %v", err)
	}
	var abort event
	abort.fire()
	if err := l.lock(context.Background(), &abort); err != errLockAborted {
		t.Fatalf("aborted lock: %v", err)
	}
	if l.tryLock() {
		t.Fatal("tryLock took a held lock")
	}
	l.unlock()
	if !l.tryLock() {
		t.Fatal("tryLock failed on a free lock")
	}
	l.unlock()
}
