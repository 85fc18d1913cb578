package socketio

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"unsafe"
)

// This file encodes Go values as the JSON of a packet's payload, with every
// binary value ([]byte) taken out as an attachment and replaced by a
// placeholder, as the reference parser's deconstructPacket does. Values
// whose type cannot hold a []byte are encoded by encoding/json; the walk
// below only descends into the types that can.

var (
	rawType           = reflect.TypeFor[Raw]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether t encodes itself (json.Marshaler or
// encoding.TextMarshaler, by value or by pointer).
func marshals(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) ||
		pt.Implements(jsonMarshalerType) || pt.Implements(textMarshalerType)
}

// isBinaryType reports whether values of t are sent as attachments: byte
// slices, named or not, that do not encode themselves (json.RawMessage
// does).
func isBinaryType(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 &&
		!marshals(t) && !marshals(t.Elem())
}

var binaryCache sync.Map // reflect.Type -> bool

// mayHoldBinary reports whether a value of type t can contain a binary
// value or a Raw: a byte slice, an interface, or a composite of them.
func mayHoldBinary(t reflect.Type) bool {
	if b, ok := binaryCache.Load(t); ok {
		return b.(bool)
	}
	b := holdsBinary(t, map[reflect.Type]bool{})
	binaryCache.Store(t, b)
	return b
}

func holdsBinary(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == rawType {
		return true
	}
	if seen[t] {
		return false // a shorter path decides
	}
	seen[t] = true
	if marshals(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Slice:
		return isBinaryType(t) || holdsBinary(t.Elem(), seen)
	case reflect.Pointer, reflect.Array, reflect.Map:
		return holdsBinary(t.Elem(), seen)
	case reflect.Struct:
		for _, f := range structFields(t) {
			if holdsBinary(f.typ, seen) {
				return true
			}
		}
	}
	return false
}

// appendValue appends v as JSON, moving binary values to atts.
func appendValue(b []byte, v any, atts *[][]byte) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case []byte:
		return appendBinary(b, v, atts), nil
	case Raw:
		return appendRaw(b, v, atts)
	}
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); k == reflect.Struct || k == reflect.Array {
		// Make the value addressable, so that the fields of unexported
		// embedded structs can be read, as encoding/json reads them.
		p := reflect.New(rv.Type()).Elem()
		p.Set(rv)
		rv = p
	}
	return appendReflect(b, rv, atts)
}

// iface returns v as an interface value, also when v was reached through
// an unexported embedded struct (encoding/json promotes its exported fields).
func iface(v reflect.Value) (any, error) {
	if v.CanInterface() {
		return v.Interface(), nil
	}
	if v.CanAddr() {
		return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem().Interface(), nil
	}
	return nil, fmt.Errorf("socketio: cannot encode a %s reached through an unexported field of a map value", v.Type())
}

func appendBinary(b, data []byte, atts *[][]byte) []byte {
	if data == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"_placeholder":true,"num":`...)
	b = strconv.AppendInt(b, int64(len(*atts)), 10)
	*atts = append(*atts, data)
	return append(b, '}')
}

func appendReflect(b []byte, v reflect.Value, atts *[][]byte) ([]byte, error) {
	if !v.IsValid() {
		return append(b, "null"...), nil
	}
	t := v.Type()
	if t == rawType {
		r, err := iface(v)
		if err != nil {
			return nil, err
		}
		return appendRaw(b, r.(Raw), atts)
	}
	if !mayHoldBinary(t) {
		return appendPlain(b, v)
	}
	switch t.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendReflect(b, v.Elem(), atts)
	case reflect.Slice:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		if isBinaryType(t) {
			return appendBinary(b, v.Bytes(), atts), nil
		}
		return appendElems(b, v, atts)
	case reflect.Array:
		return appendElems(b, v, atts)
	case reflect.Map:
		return appendMap(b, v, atts)
	case reflect.Struct:
		return appendStruct(b, v, atts)
	}
	return appendPlain(b, v)
}

// appendPlain appends a value that holds no binary data, as encoding/json
// would, without its call for the common scalar kinds.
func appendPlain(b []byte, v reflect.Value) ([]byte, error) {
	if !marshals(v.Type()) {
		switch v.Kind() {
		case reflect.String:
			return appendString(b, v.String()), nil
		case reflect.Bool:
			return strconv.AppendBool(b, v.Bool()), nil
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return strconv.AppendInt(b, v.Int(), 10), nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return strconv.AppendUint(b, v.Uint(), 10), nil
		case reflect.Float32:
			return appendFloat(b, v.Float(), 32)
		case reflect.Float64:
			return appendFloat(b, v.Float(), 64)
		}
	}
	x, err := iface(v)
	if err != nil {
		return nil, err
	}
	j, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendFloat formats f as encoding/json does (and so as JSON.stringify
// does for the common cases).
func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, bits)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 becomes 1e-7
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

func appendElems(b []byte, v reflect.Value, atts *[][]byte) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i := range v.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendReflect(b, v.Index(i), atts); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendMap(b []byte, v reflect.Value, atts *[][]byte) ([]byte, error) {
	if v.IsNil() {
		return append(b, "null"...), nil
	}
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		k, err := mapKey(iter.Key())
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{k, iter.Value()})
	}
	slices.SortFunc(entries, func(x, y entry) int {
		switch {
		case x.key < y.key:
			return -1
		case x.key > y.key:
			return 1
		}
		return 0
	})
	b = append(b, '{')
	var err error
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.key)
		b = append(b, ':')
		if b, err = appendReflect(b, e.val, atts); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// mapKey returns the JSON object key for a map key, as encoding/json does.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	x, err := iface(k)
	if err != nil {
		return "", err
	}
	if tm, ok := x.(encoding.TextMarshaler); ok {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		text, err := tm.MarshalText()
		return string(text), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", &json.UnsupportedTypeError{Type: k.Type()}
}

func appendStruct(b []byte, v reflect.Value, atts *[][]byte) ([]byte, error) {
	b = append(b, '{')
	first := true
	var err error
	for _, f := range structFields(v.Type()) {
		fv, ok := fieldValue(v, f.index)
		if !ok || f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZeroValue(fv) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, f.name)
		b = append(b, ':')
		if f.quoted {
			inner, err := appendPlain(nil, fv)
			if err != nil {
				return nil, err
			}
			b = appendString(b, string(inner))
			continue
		}
		if b, err = appendReflect(b, fv, atts); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// isEmptyValue is encoding/json's definition of empty, for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZeroValue is encoding/json's definition of zero, for omitzero: the
// IsZero method when the type has one, else the zero value.
func isZeroValue(v reflect.Value) bool {
	x, err := iface(v)
	if err != nil {
		return v.IsZero()
	}
	if z, ok := x.(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}

var errPlaceholderRange = errors.New("socketio: Raw placeholder refers to a missing attachment")

// appendRaw appends a Raw value. Its placeholders are renumbered to follow
// the attachments already collected.
func appendRaw(b []byte, r Raw, atts *[][]byte) ([]byte, error) {
	data := trimJSON(r.JSON)
	if len(data) == 0 {
		return append(b, "null"...), nil
	}
	if !r.valid && !json.Valid(data) {
		return nil, fmt.Errorf("socketio: Raw holds invalid JSON: %.40q", data)
	}
	if len(r.Attachments) == 0 {
		return append(b, data...), nil
	}
	return appendRewritten(b, data, r.Attachments, atts)
}

func appendRewritten(b, data []byte, from [][]byte, atts *[][]byte) ([]byte, error) {
	data = trimJSON(data)
	switch data[0] {
	case '[':
		b = append(b, '[')
		first := true
		err := eachElem(data, func(e []byte) error {
			if !first {
				b = append(b, ',')
			}
			first = false
			var err error
			b, err = appendRewritten(b, e, from, atts)
			return err
		})
		if err != nil {
			return nil, err
		}
		return append(b, ']'), nil
	case '{':
		num, ok, err := placeholder(data, len(from))
		if err != nil {
			return nil, errPlaceholderRange
		}
		if ok {
			return appendBinary(b, from[num], atts), nil
		}
		b = append(b, '{')
		first := true
		err = eachMember(data, func(k, v []byte) error {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, k...)
			b = append(b, ':')
			var err error
			b, err = appendRewritten(b, v, from, atts)
			return err
		})
		if err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	}
	return append(b, data...), nil
}
