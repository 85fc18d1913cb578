package socketio

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
)

// This file decodes JSON with placeholders into Go values, the reverse of
// binary.go: a placeholder becomes its attachment where the destination is
// a []byte or an interface value. Parts of the JSON without placeholders
// are handed to encoding/json whole.

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	placeholderKey      = []byte("_placeholder")
)

// decodeInto decodes data into the settable v.
func decodeInto(data []byte, v reflect.Value, atts [][]byte) error {
	t := v.Type()
	if t == rawType {
		v.Set(reflect.ValueOf(Raw{JSON: data, Attachments: atts, valid: true}))
		return nil
	}
	data = trimJSON(data)
	if len(atts) == 0 || len(data) == 0 || data[0] != '{' && data[0] != '[' ||
		!bytes.Contains(data, placeholderKey) && !bytes.Contains(data, []byte(`\u`)) ||
		reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return json.Unmarshal(data, v.Addr().Interface())
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return decodeInto(data, v.Elem(), atts)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return json.Unmarshal(data, v.Addr().Interface()) // reports the error
		}
		x, err := decodeAny(data, atts)
		if err != nil {
			return err
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	}
	if data[0] == '[' {
		return decodeArray(data, v, atts)
	}
	if num, ok, err := placeholder(data, len(atts)); err != nil {
		return err
	} else if ok {
		if !isBinaryType(t) {
			return &json.UnmarshalTypeError{Value: "binary", Type: t}
		}
		v.SetBytes(atts[num])
		return nil
	}
	switch t.Kind() {
	case reflect.Map:
		return decodeMap(data, v, atts)
	case reflect.Struct:
		return decodeStruct(data, v, atts)
	}
	return json.Unmarshal(data, v.Addr().Interface())
}

// decodeAny decodes data as json.Unmarshal into an interface value would,
// with []byte for placeholders.
func decodeAny(data []byte, atts [][]byte) (any, error) {
	data = trimJSON(data)
	if len(data) > 0 && data[0] == '[' {
		elems, err := splitArray(data)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(elems))
		for i, e := range elems {
			if out[i], err = decodeAny(e, atts); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if len(data) > 0 && data[0] == '{' {
		if num, ok, err := placeholder(data, len(atts)); err != nil {
			return nil, err
		} else if ok {
			return atts[num], nil
		}
		out := map[string]any{}
		err := eachMember(data, func(k, v []byte) error {
			key, err := unquoteKey(k)
			if err != nil {
				return err
			}
			out[key], err = decodeAny(v, atts)
			return err
		})
		return out, err
	}
	var x any
	err := json.Unmarshal(data, &x)
	return x, err
}

func decodeArray(data []byte, v reflect.Value, atts [][]byte) error {
	t := v.Type()
	elems, err := splitArray(data)
	if err != nil {
		return err
	}
	switch t.Kind() {
	case reflect.Slice:
		s := reflect.MakeSlice(t, len(elems), len(elems))
		for i, e := range elems {
			if err := decodeInto(e, s.Index(i), atts); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Array:
		for i := range v.Len() {
			if i >= len(elems) {
				v.Index(i).SetZero()
				continue
			}
			if err := decodeInto(elems[i], v.Index(i), atts); err != nil {
				return err
			}
		}
		return nil
	}
	return &json.UnmarshalTypeError{Value: "array", Type: t}
}

func decodeMap(data []byte, v reflect.Value, atts [][]byte) error {
	t := v.Type()
	kt := t.Key()
	textKey := reflect.PointerTo(kt).Implements(textUnmarshalerType)
	switch kt.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
	default:
		if !textKey {
			return &json.UnmarshalTypeError{Value: "object", Type: t}
		}
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	return eachMember(data, func(k, val []byte) error {
		key, err := unquoteKey(k)
		if err != nil {
			return err
		}
		kv := reflect.New(kt).Elem()
		switch {
		case kt.Kind() == reflect.String && !textKey:
			kv.SetString(key)
		case textKey:
			if err := kv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(key)); err != nil {
				return err
			}
		case kt.Kind() >= reflect.Int && kt.Kind() <= reflect.Int64:
			n, err := strconv.ParseInt(key, 10, kt.Bits())
			if err != nil {
				return &json.UnmarshalTypeError{Value: "number " + key, Type: kt}
			}
			kv.SetInt(n)
		default:
			n, err := strconv.ParseUint(key, 10, kt.Bits())
			if err != nil {
				return &json.UnmarshalTypeError{Value: "number " + key, Type: kt}
			}
			kv.SetUint(n)
		}
		ev := reflect.New(t.Elem()).Elem()
		if err := decodeInto(val, ev, atts); err != nil {
			return err
		}
		v.SetMapIndex(kv, ev)
		return nil
	})
}

func decodeStruct(data []byte, v reflect.Value, atts [][]byte) error {
	fields := structFields(v.Type())
	return eachMember(data, func(k, val []byte) error {
		key, err := unquoteKey(k)
		if err != nil {
			return err
		}
		f := lookupField(fields, key)
		if f == nil {
			return nil // unknown keys are ignored, as encoding/json does
		}
		fv, ok := settableField(v, f.index)
		if !ok || !fv.CanSet() {
			return nil
		}
		if f.quoted {
			var s string
			if err := json.Unmarshal(val, &s); err != nil {
				return err
			}
			return json.Unmarshal([]byte(s), fv.Addr().Interface())
		}
		return decodeInto(val, fv, atts)
	})
}
