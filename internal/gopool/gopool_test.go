package gopool

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestGo runs many functions at once and one after another: every one
// runs, and the goroutines kept afterwards stay within the bound.
func TestGo(t *testing.T) {
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := 0
	for range 500 {
		wg.Add(1)
		Go(func() {
			defer wg.Done()
			time.Sleep(time.Millisecond) // so that many run at once
			mu.Lock()
			ran++
			mu.Unlock()
		})
	}
	wg.Wait()
	for range 100 {
		done := make(chan struct{})
		Go(func() { close(done) })
		<-done
	}
	if ran != 500 {
		t.Fatalf("%d of 500 functions ran", ran)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+maxIdle {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines kept, at most %d expected", runtime.NumGoroutine()-before, maxIdle)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The last worker counts itself idle just after its function returns.
	for funcs.idle.Load() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no worker kept for the next function")
		}
		time.Sleep(time.Millisecond)
	}
	if n := funcs.idle.Load(); n > maxIdle {
		t.Errorf("%d idle workers, want at most %d", n, maxIdle)
	}
}
