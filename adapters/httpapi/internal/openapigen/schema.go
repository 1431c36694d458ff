package openapigen

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

var (
	timeType       = reflect.TypeFor[time.Time]()
	dateType       = reflect.TypeFor[coaching.Date]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	marshalerType  = reflect.TypeFor[json.Marshaler]()
	textMarshaler  = reflect.TypeFor[encoding.TextMarshaler]()
)

// schemas builds JSON Schemas (draft 2020-12) of Go types as encoding/json
// writes and reads them and as go-playground/validator checks them: a
// struct is a component schema named after its Go type and referred to by
// $ref.
type schemas struct {
	// taken are the component names of the base document.
	taken map[string]bool
	// byName are the generated components, and types their Go types.
	byName map[string]*object
	types  map[string]reflect.Type
	names  map[reflect.Type]string
}

func newSchemas(taken map[string]bool) *schemas {
	return &schemas{taken: taken, byName: map[string]*object{}, types: map[string]reflect.Type{}, names: map[reflect.Type]string{}}
}

// ref returns a $ref to the component schema of struct type t, building
// it (and the components of its fields' struct types) on first use.
func (s *schemas) ref(t reflect.Type) (*object, error) {
	name, ok := s.names[t]
	if !ok {
		name = t.Name()
		if name == "" {
			return nil, fmt.Errorf("anonymous struct type %s: give it a name", t)
		}
		if other, clash := s.types[name]; clash || s.taken[name] {
			return nil, fmt.Errorf("the component schema %s of %s is taken (by %v or the base document)", name, t, other)
		}
		s.names[t] = name
		s.types[name] = t
		obj, err := s.structSchema(t)
		if err != nil {
			return nil, err
		}
		s.byName[name] = obj
	}
	return newObject().set("$ref", "#/components/schemas/"+name), nil
}

// structSchema is an object with t's JSON members. additionalProperties
// is false: the engine decodes a payload with unknown members refused.
func (s *schemas) structSchema(t reflect.Type) (*object, error) {
	props := newObject()
	var required []string
	if err := s.fields(t, props, &required); err != nil {
		return nil, err
	}
	o := newObject().set("type", "object").
		set("description", "Go type "+t.String()+".").
		set("properties", props)
	if len(required) > 0 {
		o.set("required", toAny(required))
	}
	o.set("additionalProperties", false)
	return o, nil
}

// fields adds t's JSON members to props, those of embedded structs
// without a JSON name flattened as encoding/json does.
func (s *schemas) fields(t reflect.Type, props *object, required *[]string) error {
	for f := range structFields(t) {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if err := s.fields(et, props, required); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := props.get(name); dup {
			return fmt.Errorf("%s: member %q given by two fields", t, name)
		}
		v := parseValidate(f.Tag.Get("validate"))
		fs, err := s.valueSchema(ft, v.field, !v.field.required)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t, f.Name, err)
		}
		if hasOpt(opts, "string") {
			fs = newObject().set("type", "string").set("description", "a "+ft.Kind().String()+" written as a JSON string")
		}
		if err := s.items(fs, ft, v.items); err != nil {
			return fmt.Errorf("%s.%s: %w", t, f.Name, err)
		}
		props.set(name, fs)
		if v.field.required {
			*required = append(*required, name)
		}
	}
	return nil
}

// structFields yields t's fields in order.
func structFields(t reflect.Type) func(func(reflect.StructField) bool) {
	return func(yield func(reflect.StructField) bool) {
		for i := range t.NumField() {
			if !yield(t.Field(i)) {
				return
			}
		}
	}
}

// valueSchema is the schema of a value of type t with the validations c.
// mayBeZero says the value need not be set: a coaching.Date may then be
// the empty string, which encoding/json reads as the zero Date (and writes
// for it, unless the member is omitted when zero). A payload member is
// required only by its validate tag: encoding/json reads a body without
// it, whether or not its json tag has omitempty.
func (s *schemas) valueSchema(t reflect.Type, c constraints, mayBeZero bool) (*object, error) {
	switch {
	case t == timeType:
		return newObject().set("type", "string").set("format", "date-time"), nil
	case t == dateType:
		// Date marshals as text: "YYYY-MM-DD", and the zero Date as "".
		d := newObject().set("type", "string").set("format", "date")
		if mayBeZero {
			return newObject().set("anyOf", []any{d, newObject().set("const", "")}).
				set("description", "a date YYYY-MM-DD, or \"\" for none"), nil
		}
		return d, nil
	case t == rawMessageType:
		return newObject(), nil
	case t.Kind() == reflect.Pointer:
		inner, err := s.valueSchema(t.Elem(), c, mayBeZero)
		if err != nil {
			return nil, err
		}
		return nullable(inner), nil
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType):
		return nil, fmt.Errorf("type %s marshals itself (MarshalJSON): teach the generator its JSON form", t)
	case t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler):
		return c.apply(newObject().set("type", "string"), reflect.String), nil
	}
	switch t.Kind() {
	case reflect.Struct:
		return s.ref(t)
	case reflect.String:
		return c.apply(newObject().set("type", "string"), reflect.String), nil
	case reflect.Bool:
		return newObject().set("type", "boolean"), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return c.apply(newObject().set("type", "integer"), reflect.Int), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return c.apply(newObject().set("type", "integer").set("minimum", 0), reflect.Int), nil
	case reflect.Float32, reflect.Float64:
		return c.apply(newObject().set("type", "number"), reflect.Float64), nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return newObject().set("type", "string").set("contentEncoding", "base64"), nil
		}
		items, err := s.valueSchema(t.Elem(), constraints{}, true)
		if err != nil {
			return nil, err
		}
		return c.apply(newObject().set("type", "array").set("items", items), reflect.Slice), nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key type %s: only string keys have a JSON form here", t.Key())
		}
		vals, err := s.valueSchema(t.Elem(), constraints{}, true)
		if err != nil {
			return nil, err
		}
		return c.apply(newObject().set("type", "object").set("additionalProperties", vals), reflect.Map), nil
	case reflect.Interface:
		return newObject(), nil
	}
	return nil, fmt.Errorf("type %s has no JSON form", t)
}

// items applies the validations after "dive" to the items of an array
// schema (a pointer's array is under anyOf).
func (s *schemas) items(fs *object, t reflect.Type, c *constraints) error {
	if c == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Slice && t.Kind() != reflect.Array && t.Kind() != reflect.Map {
		return fmt.Errorf("validate dive on %s, which is not a slice, array or map", t)
	}
	target := fs
	if alts, ok := fs.get("anyOf"); ok {
		target = alts.([]any)[0].(*object)
	}
	key := "items"
	if t.Kind() == reflect.Map {
		key = "additionalProperties"
	}
	iv, _ := target.get(key)
	item, ok := iv.(*object)
	if !ok {
		return fmt.Errorf("no item schema for %s", t)
	}
	if _, isRef := item.get("$ref"); isRef {
		if c.required || c.min != "" || c.max != "" || len(c.oneOf) > 0 {
			return fmt.Errorf("validations after dive on the struct items of %s are not described", t)
		}
		return nil
	}
	c.apply(item, t.Elem().Kind())
	if c.required && t.Elem().Kind() == reflect.String {
		if _, has := item.get("minLength"); !has {
			item.set("minLength", 1)
		}
	}
	return nil
}

// nullable lets a schema also take null.
func nullable(s *object) *object {
	if t, ok := s.get("type"); ok {
		if ts, ok := t.(string); ok {
			s.set("type", []any{ts, "null"})
			return s
		}
	}
	return newObject().set("anyOf", []any{s, newObject().set("type", "null")})
}

// constraints are the validator tags this generator describes; any other
// tag is checked by the engine only (the document is then looser).
type constraints struct {
	required  bool
	omitEmpty bool
	min, max  string
	gte, lte  string
	oneOf     []string
	email     bool
}

// validateTags are the field's constraints and those after "dive" (on its
// items), nil when there is no dive.
type validateTags struct {
	field constraints
	items *constraints
}

func parseValidate(tag string) validateTags {
	var out validateTags
	cur := &out.field
	for part := range strings.SplitSeq(tag, ",") {
		name, param, _ := strings.Cut(part, "=")
		switch name {
		case "dive":
			out.items = &constraints{}
			cur = out.items
		case "required":
			cur.required = true
		case "omitempty":
			cur.omitEmpty = true
		case "min":
			cur.min = param
		case "max":
			cur.max = param
		case "gte":
			cur.gte = param
		case "lte":
			cur.lte = param
		case "oneof":
			cur.oneOf = strings.Fields(param)
		case "email":
			cur.email = true
		}
	}
	return out
}

// apply writes the constraints into s, a schema of kind k.
func (c constraints) apply(s *object, k reflect.Kind) *object {
	num := func(v string) any {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			if n == float64(int64(n)) {
				return int64(n)
			}
			return n
		}
		return v
	}
	switch k {
	case reflect.String:
		if len(c.oneOf) > 0 {
			enum := toAny(c.oneOf)
			if c.omitEmpty && !c.required && !slices.Contains(c.oneOf, "") {
				enum = append(enum, "")
			}
			s.set("enum", enum)
		}
		if c.min != "" {
			s.set("minLength", num(c.min))
		} else if c.required && len(c.oneOf) == 0 {
			s.set("minLength", 1)
		}
		if c.max != "" {
			s.set("maxLength", num(c.max))
		}
		if c.email {
			s.set("format", "email")
		}
	case reflect.Int, reflect.Float64:
		for _, b := range []struct{ key, v string }{{"minimum", c.min}, {"minimum", c.gte}, {"maximum", c.max}, {"maximum", c.lte}} {
			if b.v != "" {
				s.set(b.key, num(b.v))
			}
		}
	case reflect.Slice, reflect.Array:
		if c.min != "" {
			s.set("minItems", num(c.min))
		}
		if c.max != "" {
			s.set("maxItems", num(c.max))
		}
	case reflect.Map:
		if c.min != "" {
			s.set("minProperties", num(c.min))
		}
		if c.max != "" {
			s.set("maxProperties", num(c.max))
		}
	}
	return s
}

func hasOpt(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
