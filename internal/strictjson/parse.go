package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// node is a parsed JSON value. Nodes live in one slice; a container's
// members or elements are a chain of siblings. Strings are unquoted when
// they are decoded, object keys when they are parsed.
type node struct {
	typ        Type
	plain      bool // a string without escapes, in valid UTF-8: its text is its bytes
	start, end int  // the value's JSON text, data[start:end]
	key        string
	child      int // the first member or element, -1 for none
	next       int // the next sibling, -1 for none
	count      int // members or elements
}

// parser reads one JSON value into nodes, checking its syntax, its depth
// and its duplicate members. It stops at the first syntax error.
type parser struct {
	data     []byte
	pos      int
	nodes    []node
	maxDepth int
	dups     DuplicatePolicy
	path     []segment
	problems []Problem
	// fail is where the syntax broke: the offending byte, or len(data)
	// at an unexpected end.
	fail    int
	failMsg string
	deep    bool // the failure is nesting too deep
}

// errSyntax unwinds the parser at the first syntax error.
var errSyntax = errors.New("syntax")

func (p *parser) syntax(msg string) error {
	p.fail, p.failMsg = p.pos, msg
	return errSyntax
}

func (p *parser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) add(n node) int {
	p.nodes = append(p.nodes, n)
	return len(p.nodes) - 1
}

// value parses the value at p.pos (after white space) and returns its node.
func (p *parser) value(depth int) (int, error) {
	p.ws()
	if p.pos >= len(p.data) {
		return -1, p.syntax("")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{' || c == '[':
		if depth >= p.maxDepth {
			p.deep = true
			return -1, p.syntax("")
		}
		if c == '{' {
			return p.object(depth)
		}
		return p.array(depth)
	case c == '"':
		plain, err := p.str()
		if err != nil {
			return -1, err
		}
		return p.add(node{typ: String, plain: plain, start: start, end: p.pos, child: -1, next: -1}), nil
	case c == 't':
		return p.literal("true", Bool)
	case c == 'f':
		return p.literal("false", Bool)
	case c == 'n':
		return p.literal("null", Null)
	case c == '-' || c >= '0' && c <= '9':
		if err := p.number(); err != nil {
			return -1, err
		}
		return p.add(node{typ: Number, start: start, end: p.pos, child: -1, next: -1}), nil
	}
	return -1, p.syntax("looking for beginning of value")
}

func (p *parser) literal(word string, t Type) (int, error) {
	start := p.pos
	for i := 0; i < len(word); i++ {
		if p.pos >= len(p.data) {
			return -1, p.syntax("")
		}
		if p.data[p.pos] != word[i] {
			return -1, p.syntax("in literal " + word)
		}
		p.pos++
	}
	return p.add(node{typ: t, start: start, end: p.pos, child: -1, next: -1}), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number reads a number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() error {
	d := p.data
	if d[p.pos] == '-' {
		p.pos++
	}
	digits := func() error {
		if p.pos >= len(d) {
			return p.syntax("")
		}
		if !isDigit(d[p.pos]) {
			return p.syntax("in numeric literal")
		}
		for p.pos < len(d) && isDigit(d[p.pos]) {
			p.pos++
		}
		return nil
	}
	if p.pos < len(d) && d[p.pos] == '0' {
		p.pos++
	} else if err := digits(); err != nil {
		return err
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if err := digits(); err != nil {
			return err
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if err := digits(); err != nil {
			return err
		}
	}
	return nil
}

// str reads a string, reporting whether it is plain: no escapes and valid
// UTF-8, so that its contents are its bytes.
func (p *parser) str() (bool, error) {
	d := p.data
	p.pos++ // the opening quote
	plain := true
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			return plain, nil
		case c == '\\':
			plain = false
			p.pos++
			if p.pos >= len(d) {
				return false, p.syntax("")
			}
			switch d[p.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.pos++
			case 'u':
				p.pos++
				for i := 0; i < 4; i++ {
					if p.pos >= len(d) {
						return false, p.syntax("")
					}
					h := d[p.pos]
					if !(isDigit(h) || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false, p.syntax("in \\u hexadecimal character escape")
					}
					p.pos++
				}
			default:
				return false, p.syntax("in string escape code")
			}
		case c < 0x20:
			return false, p.syntax("in string literal")
		case c < utf8.RuneSelf:
			p.pos++
		default:
			r, size := utf8.DecodeRune(d[p.pos:])
			if r == utf8.RuneError && size == 1 {
				plain = false
			}
			p.pos += size
		}
	}
	return false, p.syntax("")
}

// unquote returns the contents of the string whose JSON text is
// data[start:end], as encoding/json reads it (invalid UTF-8 and lone
// surrogates become U+FFFD).
func unquote(data []byte, start, end int, plain bool) string {
	if plain {
		return string(data[start+1 : end-1])
	}
	var s string
	if err := json.Unmarshal(data[start:end], &s); err != nil {
		// The parser checked the syntax; this cannot happen.
		panic(fmt.Sprintf("strictjson: unquoting a checked string: %v", err))
	}
	return s
}

func (p *parser) object(depth int) (int, error) {
	self := p.add(node{typ: Object, start: p.pos, child: -1, next: -1})
	p.pos++ // '{'
	var (
		members []int
		byKey   map[string]int // for large objects
	)
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.nodes[self].end = p.pos
		return self, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.data) {
			return -1, p.syntax("")
		}
		if p.data[p.pos] != '"' {
			return -1, p.syntax("looking for beginning of object key string")
		}
		kstart := p.pos
		plain, err := p.str()
		if err != nil {
			return -1, err
		}
		key := unquote(p.data, kstart, p.pos, plain)
		// From here on a syntax error is the member's.
		p.path = append(p.path, segment{key: key, index: -1})
		p.ws()
		if p.pos >= len(p.data) {
			return -1, p.syntax("")
		}
		if p.data[p.pos] != ':' {
			return -1, p.syntax("after object key")
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return -1, err
		}
		p.nodes[v].key = key
		at := -1
		if p.dups == DecodeEveryDuplicate {
			// Every member is kept.
		} else if byKey != nil {
			if i, ok := byKey[key]; ok {
				at = i
			}
		} else {
			for i, m := range members {
				if p.nodes[m].key == key {
					at = i
					break
				}
			}
		}
		switch {
		case at < 0:
			members = append(members, v)
			if byKey != nil {
				byKey[key] = len(members) - 1
			} else if len(members) > 16 {
				byKey = make(map[string]int, 2*len(members))
				for i, m := range members {
					byKey[p.nodes[m].key] = i
				}
			}
		case p.dups == LastDuplicateWins:
			members[at] = v
		default:
			p.problems = append(p.problems, Problem{Code: Duplicate, Path: formatPath(p.path), Key: key})
		}
		p.path = p.path[:len(p.path)-1]
		more, err := p.after('}', "after object key:value pair")
		if err != nil {
			return -1, err
		}
		if !more {
			break
		}
	}
	p.link(self, members)
	return self, nil
}

func (p *parser) array(depth int) (int, error) {
	self := p.add(node{typ: Array, start: p.pos, child: -1, next: -1})
	p.pos++ // '['
	var elems []int
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.nodes[self].end = p.pos
		return self, nil
	}
	// A syntax error is the next element's once one could begin (after a
	// comma, or a first byte that is no bracket), else the array's.
	if p.pos >= len(p.data) {
		return -1, p.syntax("")
	}
	if p.data[p.pos] == '}' {
		return -1, p.syntax("looking for beginning of value")
	}
	for {
		p.path = append(p.path, segment{index: len(elems)})
		v, err := p.value(depth + 1)
		if err != nil {
			return -1, err
		}
		p.path = p.path[:len(p.path)-1]
		elems = append(elems, v)
		more, err := p.after(']', "after array element")
		if err != nil {
			if p.fail < len(p.data) && p.data[p.fail] != '}' {
				p.path = append(p.path, segment{index: len(elems)}) // where the next element would be
			}
			return -1, err
		}
		if !more {
			break
		}
	}
	p.link(self, elems)
	return self, nil
}

// after reads what follows a member or an element: a comma (true) or the
// closing bracket (false).
func (p *parser) after(closing byte, context string) (bool, error) {
	p.ws()
	switch {
	case p.pos >= len(p.data):
		return false, p.syntax("")
	case p.data[p.pos] == ',':
		p.pos++
		return true, nil
	case p.data[p.pos] == closing:
		p.pos++
		return false, nil
	}
	return false, p.syntax(context)
}

// link makes kids the children of the container self, which ends at p.pos.
func (p *parser) link(self int, kids []int) {
	n := &p.nodes[self]
	n.end, n.count = p.pos, len(kids)
	if len(kids) == 0 {
		return
	}
	n.child = kids[0]
	for i := 0; i < len(kids)-1; i++ {
		p.nodes[kids[i]].next = kids[i+1]
	}
	p.nodes[kids[len(kids)-1]].next = -1
}

// parse reads data as one JSON value. It returns the root node, or -1 and
// the problems that end reading; duplicate members are reported in
// problems either way.
func parse(data []byte, opts *Options) (root int, nodes []node, problems []Problem) {
	if opts.MaxBytes > 0 && len(data) > opts.MaxBytes {
		return -1, nil, []Problem{{Code: TooLarge, Limit: opts.MaxBytes, Size: len(data)}}
	}
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		return -1, nil, []Problem{{Code: Empty}}
	}
	p := &parser{data: data, maxDepth: opts.maxDepth(), dups: opts.Duplicates, nodes: make([]node, 0, len(data)/8+1)}
	root, err := p.value(0)
	if err != nil {
		return -1, nil, append(p.problems, p.failure())
	}
	p.ws()
	if p.pos < len(data) {
		pr := Problem{Code: Trailing, Offset: p.pos}
		pr.Line, pr.Column = Position(data, p.pos)
		return -1, nil, append(p.problems, pr)
	}
	return root, p.nodes, p.problems
}

// failure describes where the syntax broke, in encoding/json's words.
func (p *parser) failure() Problem {
	pr := Problem{Path: formatPath(p.path), Offset: p.fail}
	switch {
	case p.deep:
		pr.Code, pr.Limit = TooDeep, p.maxDepth
	case p.fail >= len(p.data):
		pr.Code, pr.Offset = Truncated, len(p.data)
	default:
		pr.Code = Syntax
		// encoding/json words the error; its offset counts the
		// offending byte as read.
		var raw json.RawMessage
		var se *json.SyntaxError
		if err := json.NewDecoder(bytes.NewReader(p.data)).Decode(&raw); errors.As(err, &se) && int(se.Offset) == p.fail+1 {
			pr.Err = errors.New(se.Error())
		} else {
			pr.Err = fmt.Errorf("invalid character %q %s", p.data[p.fail], p.failMsg)
		}
	}
	pr.Line, pr.Column = Position(p.data, pr.Offset)
	return pr
}
