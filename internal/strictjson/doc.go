// Package strictjson decodes JSON strictly into Go values and reports
// every problem at once, each with its JSON path.
//
// It is the one JSON reader behind the library's strict inputs: model
// documents (coaching.LoadModel), eHOKS plans (hoks.Decode) and the
// example back end's request bodies. What differs between them is an
// [Options] value: whether null is allowed, what a member given twice
// means, whether 5.0 is an integer, a size and depth limit, custom
// decoders for types such as eHOKS's dates and instants, and a field that
// keeps unknown members.
//
// [Decode] first parses the whole document, checking its size, syntax and
// depth: a document that is not JSON is refused with one problem saying
// where (line, column and the path being read). It then decodes the value
// into the Go value, collecting a [Problem] for every unknown member,
// wrong type, null, number that does not fit, over-long array and value a
// custom decoder or UnmarshalJSON/UnmarshalText method refuses; a value
// with a problem is left zero and the rest is still read. The problems
// come back in one *[Error], in the order they were found.
//
// Each problem has a [Code] and the details its code names (the member's
// key, what was wanted and what was found, the literal number, the
// position), and a Message in the library's words. A caller whose error
// messages are part of its API words its own from those details.
//
// Paths are written as the library writes them everywhere:
// "events[2].rules[0]"; a key that is not a plain name is quoted in
// brackets, `["two words"]`.
package strictjson
