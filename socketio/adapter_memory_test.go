package socketio

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// selected returns the sorted ids that opts selects.
func selected(a *MemoryAdapter, opts BroadcastOptions) []string {
	ids := a.ids(opts)
	slices.Sort(ids)
	return ids
}

func TestMemoryAdapterOwnRoom(t *testing.T) {
	a := NewMemoryAdapter(nil)
	a.AddAll("A", []string{"A", "lobby"})
	a.AddAll("B", []string{"B", "lobby"})
	// A socket may join the room named after another socket.
	a.AddAll("C", []string{"C", "A"})

	if got, want := selected(a, BroadcastOptions{Rooms: []string{"A"}}), []string{"A", "C"}; !slices.Equal(got, want) {
		t.Errorf("room A: %v, want %v", got, want)
	}
	if got, want := selected(a, BroadcastOptions{Rooms: []string{"lobby"}, Except: []string{"B"}}), []string{"A"}; !slices.Equal(got, want) {
		t.Errorf("lobby except B: %v, want %v", got, want)
	}
	if got, want := a.SocketRooms("C"), []string{"A", "C"}; !slices.Equal(got, want) {
		t.Errorf("rooms of C: %v, want %v", got, want)
	}
	rooms, _ := a.AllRooms(context.Background())
	if want := []string{"A", "B", "C", "lobby"}; !slices.Equal(rooms, want) {
		t.Errorf("all rooms: %v, want %v", rooms, want)
	}

	// Leaving its own room, a socket no longer gets what is sent to its id.
	a.Del("A", "A")
	if got, want := selected(a, BroadcastOptions{Rooms: []string{"A"}}), []string{"C"}; !slices.Equal(got, want) {
		t.Errorf("room A after A left it: %v, want %v", got, want)
	}
	if got, want := a.SocketRooms("A"), []string{"lobby"}; !slices.Equal(got, want) {
		t.Errorf("rooms of A: %v, want %v", got, want)
	}
	if got, want := selected(a, BroadcastOptions{}), []string{"A", "B", "C"}; !slices.Equal(got, want) {
		t.Errorf("every socket: %v, want %v", got, want)
	}

	a.DelAll("C")
	if got := selected(a, BroadcastOptions{Rooms: []string{"A"}}); len(got) != 0 {
		t.Errorf("room A after C left: %v", got)
	}
	rooms, _ = a.AllRooms(context.Background())
	if want := []string{"B", "lobby"}; !slices.Equal(rooms, want) {
		t.Errorf("all rooms: %v, want %v", rooms, want)
	}
	if a.Del("gone", "lobby") != nil || a.SocketRooms("gone") != nil {
		t.Error("an unknown socket has rooms")
	}
}

func TestMemoryAdapterManyRooms(t *testing.T) {
	a := NewMemoryAdapter(nil)
	var want []string
	for i := range 3 * manyRooms {
		r := fmt.Sprintf("room%03d", i)
		want = append(want, r)
		a.AddAll("A", []string{r, r}) // joining twice changes nothing
	}
	a.AddAll("A", []string{"A"})
	want = append(want, "A")
	slices.Sort(want)
	if got := a.SocketRooms("A"); !slices.Equal(got, want) {
		t.Fatalf("rooms: %v, want %v", got, want)
	}
	for _, r := range want {
		if r == "A" {
			continue
		}
		if got := selected(a, BroadcastOptions{Rooms: []string{r}}); !slices.Equal(got, []string{"A"}) {
			t.Fatalf("room %s: %v", r, got)
		}
		a.Del("A", r)
	}
	if got := a.SocketRooms("A"); !slices.Equal(got, []string{"A"}) {
		t.Fatalf("rooms after leaving: %v", got)
	}
	if len(a.rooms) != 0 {
		t.Fatalf("%d rooms left in the adapter", len(a.rooms))
	}
}

// Sockets are excluded alike whether the rooms to leave out are few
// (looked up for each socket) or many (gathered first).
func TestMemoryAdapterExcept(t *testing.T) {
	a := NewMemoryAdapter(nil)
	for _, id := range []string{"A", "B", "C", "D", "E", "F"} {
		a.AddAll(id, []string{id, "all"})
	}
	a.AddAll("C", []string{"r1"})
	a.AddAll("D", []string{"A"}) // the room named by A's id
	a.Del("E", "E")              // E is no longer in its own room
	for _, except := range [][]string{
		{"B", "r1", "A", "E"},
		{"B", "r1", "A", "E", "none", "other"},
	} {
		if got, want := selected(a, BroadcastOptions{Rooms: []string{"all"}, Except: except}), []string{"E", "F"}; !slices.Equal(got, want) {
			t.Errorf("all except %v: %v, want %v", except, got, want)
		}
		if got, want := selected(a, BroadcastOptions{Except: except}), []string{"E", "F"}; !slices.Equal(got, want) {
			t.Errorf("every socket except %v: %v, want %v", except, got, want)
		}
	}
}
