package socketio

import (
	"reflect"
	"slices"
	"strings"
	"sync"
)

// A field is a struct field as encoding/json sees it: its JSON name, the
// path to it through embedded structs, and its tag options. The rules are
// those of encoding/json, so that a struct encodes the same whether or not
// it carries binary values: exported fields only, `json:"name,opts"` tags,
// "-" to skip, fields of embedded structs promoted, and among fields with
// the same name the shallowest wins, a tagged one breaking a tie, and none
// when the tie remains.
type field struct {
	name      string
	index     []int
	typ       reflect.Type
	tagged    bool
	omitEmpty bool
	omitZero  bool
	quoted    bool // the ",string" option, for scalar fields
}

var fieldCache sync.Map // reflect.Type -> []field

// structFields returns the fields of struct type t, in encoding order.
func structFields(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	f, _ := fieldCache.LoadOrStore(t, resolveFields(t))
	return f.([]field)
}

type embedded struct {
	typ   reflect.Type
	index []int
}

func resolveFields(t reflect.Type) []field {
	type candidate struct {
		field
		depth int
	}
	var cands []candidate
	visited := map[reflect.Type]bool{}
	level := []embedded{{typ: t}}
	for depth := 0; len(level) > 0; depth++ {
		var next []embedded
		for _, e := range level {
			if visited[e.typ] {
				continue
			}
			visited[e.typ] = true
			for i := 0; i < e.typ.NumField(); i++ {
				sf := e.typ.Field(i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if sf.Anonymous {
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				index := append(slices.Clip(e.index), i)
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					next = append(next, embedded{typ: ft, index: index})
					continue
				}
				f := field{name: name, index: index, typ: sf.Type, tagged: name != ""}
				if name == "" {
					f.name = sf.Name
				}
				for opts != "" {
					var o string
					o, opts, _ = strings.Cut(opts, ",")
					switch o {
					case "omitempty":
						f.omitEmpty = true
					case "omitzero":
						f.omitZero = true
					case "string":
						switch ft.Kind() {
						case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
							reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
							reflect.Float32, reflect.Float64, reflect.String:
							f.quoted = true
						}
					}
				}
				cands = append(cands, candidate{f, depth})
			}
		}
		level = next
	}

	// Keep, for each name, the dominant field.
	byName := map[string][]candidate{}
	for _, c := range cands {
		byName[c.name] = append(byName[c.name], c)
	}
	var out []field
	for _, cs := range byName {
		shallowest := cs[0].depth
		for _, c := range cs {
			shallowest = min(shallowest, c.depth)
		}
		var shallow []candidate
		tagged := 0
		for _, c := range cs {
			if c.depth == shallowest {
				shallow = append(shallow, c)
				if c.tagged {
					tagged++
				}
			}
		}
		switch {
		case len(shallow) == 1:
			out = append(out, shallow[0].field)
		case tagged == 1:
			for _, c := range shallow {
				if c.tagged {
					out = append(out, c.field)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b field) int { return slices.Compare(a.index, b.index) })
	return out
}

// fieldValue returns the field at index in struct v, or false when an
// embedded pointer on the way is nil.
func fieldValue(v reflect.Value, index []int) (reflect.Value, bool) {
	for n, i := range index {
		if n > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// settableField returns the field at index in the settable struct v,
// allocating embedded pointers on the way.
func settableField(v reflect.Value, index []int) (reflect.Value, bool) {
	for n, i := range index {
		if n > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false // an unexported embedded pointer
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// lookupField finds the field for a JSON key: an exact match first, then a
// case-insensitive one, as encoding/json does.
func lookupField(fields []field, key string) *field {
	for i := range fields {
		if fields[i].name == key {
			return &fields[i]
		}
	}
	for i := range fields {
		if strings.EqualFold(fields[i].name, key) {
			return &fields[i]
		}
	}
	return nil
}
