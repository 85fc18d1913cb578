package websocket

import (
	"sync"
	"testing"
	"time"
)

func TestEventWaitersWakeOnce(t *testing.T) {
	var e event
	if e.fired() {
		t.Fatal("a new event has happened")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-e.done()
		}()
	}
	time.Sleep(10 * time.Millisecond)
	var fire sync.WaitGroup
	for range 4 {
		fire.Add(1)
		go func() { defer fire.Done(); e.fire() }()
	}
	fire.Wait()
	wg.Wait()
	if !e.fired() {
		t.Fatal("fired event reports that it has not happened")
	}
	select {
	case <-e.done():
	default:
		t.Fatal("done channel of a fired event is open")
	}
}

func TestEventNoChannelUntilWaited(t *testing.T) {
	var e event
	if n := testing.AllocsPerRun(100, func() { e.fired() }); n != 0 {
		t.Fatalf("fired allocates %v times", n)
	}
	e.fire()
	if n := testing.AllocsPerRun(100, func() { <-e.done() }); n != 0 {
		t.Fatalf("done of a fired event allocates %v times", n)
	}
}
