package socketio_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/socketio"
)

type Inner struct {
	Blob []byte `json:"blob"`
	Note string `json:"note,omitempty"`
}

type embedded struct {
	Promoted []byte
}

type Envelope struct {
	ID      int               `json:"id"`
	Payload []byte            `json:"payload"`
	Parts   [][]byte          `json:"parts"`
	Nested  *Inner            `json:"nested"`
	ByName  map[string][]byte `json:"byName"`
	Extra   any               `json:"extra"`
	Raw     json.RawMessage   `json:"raw"`
	Skip    []byte            `json:"-"`
	Empty   []byte            `json:"empty,omitempty"`
	Count   int               `json:"count,string"`
	embedded
}

func setData(t *testing.T, v any) *socketio.Packet {
	t.Helper()
	p := &socketio.Packet{Type: socketio.PacketEvent}
	if err := p.SetData(v); err != nil {
		t.Fatalf("SetData(%#v): %v", v, err)
	}
	return p
}

func TestSetDataPlaceholders(t *testing.T) {
	v := Envelope{
		ID:      7,
		Payload: []byte{1},
		Parts:   [][]byte{{2}, {3}},
		Nested:  &Inner{Blob: []byte{4}},
		ByName:  map[string][]byte{"b": {6}, "a": {5}},
		Extra:   []any{"x", []byte{7}, map[string]any{"k": []byte{8}}},
		Raw:     json.RawMessage(`{"raw":true}`),
		Skip:    []byte{99},
		Count:   3,
		embedded: embedded{
			Promoted: []byte{9},
		},
	}
	p := setData(t, v)
	want := `{"id":7,"payload":{"_placeholder":true,"num":0},"parts":[{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}],` +
		`"nested":{"blob":{"_placeholder":true,"num":3}},"byName":{"a":{"_placeholder":true,"num":4},"b":{"_placeholder":true,"num":5}},` +
		`"extra":["x",{"_placeholder":true,"num":6},{"k":{"_placeholder":true,"num":7}}],"raw":{"raw":true},"count":"3",` +
		`"Promoted":{"_placeholder":true,"num":8}}`
	if string(p.Data) != want {
		t.Errorf("Data =\n%s\nwant\n%s", p.Data, want)
	}
	for i, a := range p.Attachments {
		if len(a) != 1 || int(a[0]) != i+1 {
			t.Errorf("attachment %d = %v, want [%d]", i, a, i+1)
		}
	}
	if len(p.Attachments) != 9 {
		t.Errorf("%d attachments, want 9", len(p.Attachments))
	}

	var back Envelope
	if err := p.DecodeData(&back); err != nil {
		t.Fatal(err)
	}
	v.Skip = nil
	if !reflect.DeepEqual(back.Extra, v.Extra) {
		t.Errorf("Extra = %#v, want %#v", back.Extra, v.Extra)
	}
	back.Extra, v.Extra = nil, nil
	if !reflect.DeepEqual(back, v) {
		t.Errorf("decoded %+v\nwant %+v", back, v)
	}
}

// Values that hold no binary data encode exactly as encoding/json encodes
// them, whichever path they take.
func TestSetDataMatchesEncodingJSON(t *testing.T) {
	type withAny struct {
		A any    `json:"a"`
		B string `json:"b,omitempty"`
		C *int   `json:"c"`
		D []any  `json:"d,omitzero"`
		E float64
		F map[int]any
		T time.Time
		embedded
	}
	n := 5
	for _, v := range []any{
		nil, true, 1.5, 1e21, 1e-7, float32(0.1), -0, 42, uint8(7), "tab\there \"quoted\" \u2028",
		[]any{1, "two", nil, []any{3.0}},
		map[string]any{"z": 1, "a": []int{1, 2}, "m": map[string]any{}},
		withAny{A: map[string]any{"x": 1}, C: &n, E: 2.5, F: map[int]any{2: "b", 10: "a"}, T: time.Unix(0, 0).UTC()},
		withAny{},
		[]byte(nil),
		json.RawMessage(`{"kept" : "as is"}`),
		struct {
			X []int `json:"x,omitempty"`
			Y [2]bool
		}{Y: [2]bool{true, false}},
	} {
		p := setData(t, v)
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		json.Unmarshal(p.Data, &a)
		json.Unmarshal(want, &b)
		if !reflect.DeepEqual(a, b) || !json.Valid(p.Data) {
			t.Errorf("SetData(%#v) = %s, encoding/json gives %s", v, p.Data, want)
		}
		if len(p.Attachments) != 0 {
			t.Errorf("SetData(%#v) made attachments", v)
		}
	}
}

func TestSetDataErrors(t *testing.T) {
	for _, v := range []any{
		math.NaN(),
		map[string]any{"x": math.Inf(1)},
		[]any{make(chan int)},
		socketio.Raw{JSON: json.RawMessage(`{"a":`)},
		socketio.Raw{JSON: json.RawMessage(`[{"_placeholder":true,"num":3}]`), Attachments: [][]byte{{1}}},
	} {
		p := &socketio.Packet{}
		if err := p.SetData(v); err == nil {
			t.Errorf("SetData(%#v) = %s, want an error", v, p.Data)
		}
	}
}

func TestRawRenumbersPlaceholders(t *testing.T) {
	r := socketio.Raw{
		JSON:        json.RawMessage(`{"b":{"_placeholder":true,"num":1},"a":[{"_placeholder":true,"num":0}]}`),
		Attachments: [][]byte{{'A'}, {'B'}},
	}
	p := setData(t, []any{[]byte("first"), r})
	want := `[{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1},"a":[{"_placeholder":true,"num":2}]}]`
	if string(p.Data) != want {
		t.Errorf("Data = %s, want %s", p.Data, want)
	}
	if got := strs(p.Attachments); !reflect.DeepEqual(got, []string{"first", "B", "A"}) {
		t.Errorf("Attachments = %q", got)
	}
}

func TestDecodeDataIntoInterfaces(t *testing.T) {
	p := &socketio.Packet{
		Data:        json.RawMessage(`[1,"s",{"bin":{"_placeholder":true,"num":0},"n":null},[{"_placeholder":true,"num":1}]]`),
		Attachments: [][]byte{{1}, {2}},
	}
	var v any
	if err := p.DecodeData(&v); err != nil {
		t.Fatal(err)
	}
	want := []any{1.0, "s", map[string]any{"bin": []byte{1}, "n": nil}, []any{[]byte{2}}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("decoded %#v, want %#v", v, want)
	}

	var typed struct {
		Bin  []byte `json:"bin"`
		Rest socketio.Raw
	}
	var parts []json.RawMessage
	json.Unmarshal(p.Data, &parts)
	r := socketio.Raw{JSON: parts[2], Attachments: p.Attachments}
	if err := r.Decode(&typed); err != nil || string(typed.Bin) != "\x01" {
		t.Errorf("Decode into struct: %+v, %v", typed, err)
	}
	var wrong struct{ Bin int }
	if err := r.Decode(&wrong); err == nil {
		t.Error("binary decoded into an int")
	}
	var m map[string]socketio.Raw
	if err := r.Decode(&m); err != nil || string(m["bin"].JSON) != `{"_placeholder":true,"num":0}` {
		t.Errorf("Decode into map of Raw: %v, %v", m, err)
	}
}

func TestRawDecodeChecksItsTarget(t *testing.T) {
	r := socketio.Raw{JSON: json.RawMessage(`1`)}
	var n int
	if err := r.Decode(n); err == nil {
		t.Error("Decode into a non-pointer succeeded")
	}
	if err := (socketio.Raw{}).Decode(&n); err != nil || n != 0 {
		t.Errorf("missing argument: %d, %v", n, err)
	}
}

type Blob struct {
	Data []byte
}

type withPointerEmbed struct {
	*Blob
	Name string `json:"name"`
}

// textKey is a map key that encodes itself (keys of string kinds are used
// as they are, as encoding/json uses them).
type textKey struct{ s string }

func (k textKey) MarshalText() ([]byte, error) { return []byte("k-" + k.s), nil }
func (k *textKey) UnmarshalText(b []byte) error {
	k.s = strings.TrimPrefix(string(b), "k-")
	return nil
}

// Round trips through SetData and DecodeData of values with binary data in
// every kind of place.
func TestBinaryRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		json string
		out  any // a pointer to a zero value of the type to decode into
	}{
		{"int keys", map[int][]byte{10: {1}, 2: {2}},
			`{"10":{"_placeholder":true,"num":0},"2":{"_placeholder":true,"num":1}}`, new(map[int][]byte)},
		{"uint keys", map[uint8][]byte{7: {1}},
			`{"7":{"_placeholder":true,"num":0}}`, new(map[uint8][]byte)},
		{"text keys", map[textKey][]byte{{"a"}: {1}},
			`{"k-a":{"_placeholder":true,"num":0}}`, new(map[textKey][]byte)},
		{"array", [2][]byte{{1}, {2}},
			`[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, new([2][]byte)},
		{"nil embedded pointer", withPointerEmbed{Name: "n"},
			`{"name":"n"}`, new(withPointerEmbed)},
		{"embedded pointer", withPointerEmbed{Blob: &Blob{Data: []byte{5}}, Name: "n"},
			`{"Data":{"_placeholder":true,"num":0},"name":"n"}`, new(withPointerEmbed)},
		{"pointer to bytes", &[]byte{3},
			`{"_placeholder":true,"num":0}`, new(*[]byte)},
		{"named byte slice", Blob{Data: []byte{}},
			`{"Data":{"_placeholder":true,"num":0}}`, new(Blob)},
		{"omitted", struct {
			A []byte    `json:"a,omitempty"`
			B []byte    `json:"b,omitzero"`
			T time.Time `json:"t,omitzero"`
			C any       `json:"c,omitempty"`
		}{}, `{}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := setData(t, tc.in)
			if string(p.Data) != tc.json {
				t.Fatalf("Data = %s, want %s", p.Data, tc.json)
			}
			if tc.out == nil {
				return
			}
			if err := p.DecodeData(tc.out); err != nil {
				t.Fatal(err)
			}
			got := reflect.ValueOf(tc.out).Elem().Interface()
			if !reflect.DeepEqual(got, tc.in) {
				t.Errorf("decoded %#v, want %#v", got, tc.in)
			}
		})
	}
}

func TestDecodeBinaryIntoShorterAndLongerArrays(t *testing.T) {
	p := setData(t, [][]byte{{1}, {2}, {3}})
	var short [2][]byte
	if err := p.DecodeData(&short); err != nil || string(short[1]) != "\x02" {
		t.Errorf("short array: %v %v", short, err)
	}
	long := [4][]byte{nil, nil, nil, {9}}
	if err := p.DecodeData(&long); err != nil || long[3] != nil || string(long[2]) != "\x03" {
		t.Errorf("long array: %v %v", long, err)
	}
	var wrong map[string][]byte
	if err := p.DecodeData(&wrong); err == nil {
		t.Error("array decoded into a map")
	}
}

func TestEventDecode(t *testing.T) {
	var d socketio.Decoder
	d.Decode([]byte(`51-["e","s",{"_placeholder":true,"num":0},3]`), false)
	p, _ := d.Decode([]byte{1}, true)
	var args []socketio.Raw
	if err := p.DecodeData(&args); err != nil {
		t.Fatal(err)
	}
	ev := socketio.Event{Name: "e", Args: args[1:]}
	var s string
	var b []byte
	var n, missing int
	if err := ev.Decode(&s, &b, &n, &missing); err != nil || s != "s" || string(b) != "\x01" || n != 3 || missing != 0 {
		t.Errorf("Decode: %q %v %d %d %v", s, b, n, missing, err)
	}
	if err := ev.Decode(&n); err == nil {
		t.Error("a string decoded into an int")
	}
	if vs := ev.Values(); len(vs) != 3 {
		t.Errorf("Values: %v", vs)
	}
}
