package sis

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// The documented columns.
const (
	colExternalID   = "external_id"
	colGivenNames   = "given_names"
	colFamilyName   = "family_name"
	colBirthDate    = "birth_date"
	colIdentityCode = "identity_code"
	colEmail        = "email"
	colPhone        = "phone"
	colLanguage     = "language"
	colGroup        = "group"
	colStartDate    = "start_date"
	colLearnerOID   = "learner_oid"
	colUpdatedOn    = "updated_on"
	colSignOn       = "sign_on"
	colCallingName  = "calling_name"
)

// columns are the documented columns in the order of the package doc;
// problems of a row are reported in this order.
var columns = []string{
	colExternalID, colGivenNames, colFamilyName, colBirthDate, colIdentityCode, colEmail, colPhone,
	colLanguage, colGroup, colStartDate, colLearnerOID,
	guardianCol(1, "name"), guardianCol(1, "email"), guardianCol(1, "phone"), guardianCol(1, "language"),
	guardianCol(2, "name"), guardianCol(2, "email"), guardianCol(2, "phone"), guardianCol(2, "language"),
	colUpdatedOn, colSignOn, guardianCol(1, "sign_on"), guardianCol(2, "sign_on"),
	colCallingName,
	colGender, colEducationLevel, colLabourStatus, colUnemployedMonths,
	colForeignBackground, colDisability, colThirdCountryNational, colMinority,
}

// requiredColumns must be named by the header and filled on every row.
var requiredColumns = []string{colExternalID, colGivenNames, colFamilyName, colBirthDate}

// guardians is how many guardians a row can name.
const guardians = 2

func guardianCol(n int, field string) string { return "guardian" + strconv.Itoa(n) + "_" + field }

// Columns returns the documented column names, in the order of the
// package documentation (a host can write them as a template's header).
func Columns() []string { return slices.Clone(columns) }

// Limits on cell values, in bytes.
const (
	maxExternalID = 100
	maxGroup      = 100
	maxText       = 200
)

// looksLikeIdentityCode reports text shaped like a Finnish personal
// identity code, valid or not: such text is never echoed, and an external
// or sign-on id must not contain it.
func looksLikeIdentityCode(s string) bool { return coaching.ContainsIdentityCode(s) }

// idColumns are the columns that hold ids: their cells are read with
// [cleanID].
var idColumns = map[string]bool{colExternalID: true, colLearnerOID: true, colSignOn: true,
	guardianCol(1, "sign_on"): true, guardianCol(2, "sign_on"): true}

// cleanID is an id cell or a header name without the characters that do
// not show: a byte order mark (U+FEFF, which a tool that adds one to text
// already holding one leaves inside the text) and the zero-width space,
// non-joiner, joiner and word joiner (U+200B–U+200D, U+2060), which a copy
// from a web page or a document brings along; and without spaces around
// it. Left in, they would make "S1" and "\uFEFFS1" two students.
func cleanID(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch r {
		case '\uFEFF', '\u200B', '\u200C', '\u200D', '\u2060':
			return -1
		}
		return r
	}, s))
}

// formulaStarts are the characters a spreadsheet reads a cell starting
// with as a formula (CSV injection): an external id, which reports and
// the ESF+ form list, must not start with one.
const formulaStarts = "=+-@"

// row is a data row that passed every check, ready to enrol.
type row struct {
	line        int
	externalID  string
	participant coaching.Participant
	record      EnrolmentRecord
	// guardianOf maps an index of participant.Guardians to the guardian's
	// number in the file.
	guardianOf []int
	// updatedOn is the SIS record's updated_on date (zero when not given).
	updatedOn coaching.Date
	// named are the columns the header names (a column index): a
	// re-import writes only those.
	named map[string]int
}

// parsed is what parse read.
type parsed struct {
	good     []row
	problems []RowProblem
	rows     int
	// encoding is the input's encoding ([Report.Encoding]).
	encoding string
	// present holds the external id of every data row, good or not, for
	// a full export's missing students.
	present map[string]bool
	// unread counts the rows whose external id could not be read (not
	// valid CSV, or a wrong number of fields without the column).
	unread int
}

// parseOptions are what parse needs to know besides the input.
type parseOptions struct {
	org     coaching.OrganisationID
	today   coaching.Date
	maxRows int
	// aliases are the host's header aliases ([Options.Aliases]).
	aliases map[string]string
}

// parse reads and checks the whole input. Row problems go into the
// result; the error is for what stops the import (unreadable input, a bad
// header, too many rows, a cancelled context).
func parse(ctx context.Context, r io.Reader, opts parseOptions) (*parsed, error) {
	text, encoding, err := decode(r, MaxFileSize)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = delimiter(text)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, fileError("the input is empty: a header row is required")
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fileError(fmt.Sprintf("the header row (line %d) is not valid CSV: %v", pe.StartLine, pe.Err))
		}
		return nil, fmt.Errorf("sis: reading the input: %w", err)
	}
	headerLine, _ := cr.FieldPos(0)
	index, err := readHeader(header, headerLine, headerTable(opts.aliases))
	if err != nil {
		return nil, err
	}

	out := &parsed{encoding: encoding, present: map[string]bool{}}
	var checked []*checkedRow
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		before := cr.InputOffset()
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("sis: reading the input: %w", err)
			}
			if cr.InputOffset() == before {
				// A reader that makes no progress would loop forever.
				return nil, fmt.Errorf("sis: reading the input at line %d: %w", pe.StartLine, pe.Err)
			}
			out.rows++
			if out.rows > opts.maxRows {
				return nil, tooManyRows(opts.maxRows)
			}
			msg := "not valid CSV: " + pe.Err.Error()
			if pe.Line > pe.StartLine {
				msg += fmt.Sprintf(" (the row was read up to line %d)", pe.Line)
			}
			checked = append(checked, &checkedRow{line: pe.StartLine, problems: []RowProblem{{Line: pe.StartLine, Message: msg}}})
			out.unread++
			continue
		}
		if blank(rec) {
			continue
		}
		out.rows++
		if out.rows > opts.maxRows {
			return nil, tooManyRows(opts.maxRows)
		}
		line, _ := cr.FieldPos(0)
		if i := index[colExternalID]; i < len(rec) && cleanID(rec[i]) != "" {
			out.present[cleanID(rec[i])] = true
		} else {
			out.unread++
		}
		checked = append(checked, checkRow(rec, line, len(header), index, opts))
	}
	markDuplicates(checked)
	for _, c := range checked {
		if len(c.problems) == 0 {
			out.good = append(out.good, c.row)
			continue
		}
		out.problems = append(out.problems, c.problems...)
	}
	return out, nil
}

// delimiter picks ';' when the first line that is not empty (the header
// row) holds more semicolons than commas outside quotes, and ',' otherwise.
func delimiter(head []byte) rune {
	head = bytes.TrimLeft(head, "\r\n")
	commas, semis, quoted := 0, 0, false
	for _, b := range head {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			if semis > commas {
				return ';'
			}
			return ','
		case b == ',':
			commas++
		case b == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// fileError is a problem with the file as a whole, as a
// *coaching.ValidationError (it matches coaching.ErrInvalid).
func fileError(msg string) error {
	return &coaching.ValidationError{Subject: "SIS import file", Problems: []coaching.FieldProblem{{Message: msg}}}
}

func tooManyRows(max int) error {
	return fileError(fmt.Sprintf("more than %d rows; split the file or raise Options.MaxRows", max))
}

// readHeader maps each documented column the header names — by its own
// name or an alias of table ([headerTable]), compared normalised — to its
// field index. Unknown, repeated and missing required columns are all
// listed in one *coaching.ValidationError.
func readHeader(header []string, line int, table map[string]string) (map[string]int, error) {
	index := make(map[string]int, len(header))
	var probs []coaching.FieldProblem
	anyKnown := false
	for i, h := range header {
		name := strings.ToLower(cleanID(h))
		col, known := table[normalizeHeader(name)]
		switch {
		case name == "":
			probs = append(probs, coaching.FieldProblem{Field: fmt.Sprintf("column %d", i+1), Message: "has no name"})
		case !known:
			probs = append(probs, coaching.FieldProblem{Field: displayName(name), Message: "unknown column"})
		case col == Ignore:
			anyKnown = true
		default:
			anyKnown = true
			if j, dup := index[col]; dup {
				probs = append(probs, coaching.FieldProblem{Field: col, Message: fmt.Sprintf("named twice (columns %d and %d)", j+1, i+1)})
				continue
			}
			index[col] = i
		}
	}
	if !anyKnown {
		// Probably a file without a header: its first row is data, which
		// must not be echoed.
		return nil, &coaching.ValidationError{Subject: "SIS import header", Problems: []coaching.FieldProblem{{
			Message: fmt.Sprintf("line %d is not a header row: it names none of the columns %s", line, strings.Join(columns, ", "))}}}
	}
	for _, c := range requiredColumns {
		if _, ok := index[c]; !ok {
			probs = append(probs, coaching.FieldProblem{Field: c, Message: "required column missing"})
		}
	}
	if len(probs) > 0 {
		return nil, &coaching.ValidationError{Subject: "SIS import header", Problems: probs}
	}
	return index, nil
}

// displayName is an unknown header name as an error may show it: never
// anything shaped like an identity code, never invalid UTF-8 or control
// characters, at most 40 characters.
func displayName(name string) string {
	if looksLikeIdentityCode(name) {
		return "(a name that looks like an identity code)"
	}
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "\uFFFD")
	}
	name = strconv.Quote(name)
	if utf8.RuneCountInString(name) > 40 {
		name = string([]rune(name)[:39]) + "…"
	}
	return name
}

// checkedRow is a data row with its problems.
type checkedRow struct {
	line     int
	row      row
	code     string // the identity code, to find repeats; never printed
	problems []RowProblem
}

// rowChecker collects a row's problems by column; a column with a problem
// is not checked further, so one mistake is reported once.
type rowChecker struct {
	line     int
	bad      map[string]bool
	problems []RowProblem
}

func (c *rowChecker) add(column, msg string) {
	for _, p := range c.problems {
		if p.Column == column && p.Message == msg {
			return
		}
	}
	c.bad[column] = true
	c.problems = append(c.problems, RowProblem{Line: c.line, Column: column, Message: msg})
}

// checkRow checks one data row and builds its participant.
func checkRow(rec []string, line, width int, index map[string]int, opts parseOptions) *checkedRow {
	out := &checkedRow{line: line}
	if len(rec) != width {
		fields := "fields"
		if len(rec) == 1 {
			fields = "field"
		}
		out.problems = []RowProblem{{Line: line, Message: fmt.Sprintf("has %d %s, the header has %d", len(rec), fields, width)}}
		return out
	}
	c := &rowChecker{line: line, bad: map[string]bool{}}
	get := func(col string) string {
		i, ok := index[col]
		switch {
		case !ok:
			return ""
		case idColumns[col]:
			return cleanID(rec[i])
		}
		return strings.TrimSpace(rec[i])
	}
	// Text checks first (UTF-8, control characters, length), for every
	// column the header names.
	for _, col := range columns {
		if _, ok := index[col]; !ok {
			continue
		}
		limit := maxText
		switch col {
		case colExternalID:
			limit = maxExternalID
		case colGroup:
			limit = maxGroup
		}
		for _, fp := range coaching.TextProblems(col, get(col), limit, false) {
			c.add(col, fp.Message)
		}
	}
	for _, col := range requiredColumns {
		if !c.bad[col] && get(col) == "" {
			c.add(col, "required")
		}
	}

	ext := get(colExternalID)
	if !c.bad[colExternalID] && looksLikeIdentityCode(ext) {
		c.add(colExternalID, "looks like a personal identity code: use the student's id in the SIS")
	}
	if !c.bad[colExternalID] && ext != "" && strings.ContainsRune(formulaStarts, rune(ext[0])) {
		c.add(colExternalID, "starts with =, +, - or @: a spreadsheet would read the id as a formula when a report or form listing it is opened; use the student's id in the SIS")
	}
	for _, col := range []string{colSignOn, guardianCol(1, "sign_on"), guardianCol(2, "sign_on")} {
		if !c.bad[col] && looksLikeIdentityCode(get(col)) {
			c.add(col, "looks like a personal identity code: link the sign-on's pseudonymous subject, not the identification number")
		}
	}
	birth := c.date(colBirthDate, get(colBirthDate))
	var code coaching.IdentityCode
	if s := get(colIdentityCode); s != "" && !c.bad[colIdentityCode] {
		var err error
		// ParseIdentityCode's errors never contain the code.
		if code, err = coaching.ParseIdentityCode(strings.ToUpper(s)); err != nil {
			c.add(colIdentityCode, err.Error())
		}
	}
	start := c.date(colStartDate, get(colStartDate))
	updated := c.date(colUpdatedOn, get(colUpdatedOn))
	if !updated.IsZero() && updated.After(opts.today) {
		c.add(colUpdatedOn, "is in the future")
	}
	oid := get(colLearnerOID)
	if oid != "" && !c.bad[colLearnerOID] && !hoks.ValidLearnerOID(oid) {
		c.add(colLearnerOID, "not a learner OID (1.2.246.562.24. and eleven digits with a valid check digit)")
	}

	lang := language(get(colLanguage))
	if lang == "" {
		lang = coaching.Finnish
	}
	pid := ParticipantID(opts.org, ext)
	p := coaching.Participant{
		ID:           pid,
		Organisation: opts.org,
		GivenNames:   get(colGivenNames),
		FamilyName:   get(colFamilyName),
		BirthDate:    birth,
		IdentityCode: code,
		Contact:      coaching.Contact{Email: get(colEmail), Phone: get(colPhone)},
		Language:     lang,
		SignOn:       get(colSignOn),
		ExternalIDs:  map[string]string{ExternalIDSIS: ext},
		Background:   c.background(get),
	}
	p.SISContact = p.Contact
	if oid != "" {
		p.ExternalIDs[ExternalIDLearnerOID] = oid
	}
	// guardianOf maps an index of p.Guardians to the guardian's number in
	// the file (guardian2 is p.Guardians[0] when guardian1 is empty).
	var guardianOf []int
	for n := 1; n <= guardians; n++ {
		g := coaching.Guardian{
			ID:       string(pid) + ":guardian" + strconv.Itoa(n),
			Name:     get(guardianCol(n, "name")),
			Contact:  coaching.Contact{Email: get(guardianCol(n, "email")), Phone: get(guardianCol(n, "phone"))},
			Language: language(get(guardianCol(n, "language"))),
			SignOn:   get(guardianCol(n, "sign_on")),
		}
		if g.Name == "" && g.Contact == (coaching.Contact{}) && g.Language == "" && g.SignOn == "" {
			continue
		}
		g.SISContact = g.Contact
		p.Guardians = append(p.Guardians, g)
		guardianOf = append(guardianOf, n)
	}
	if err := p.Validate(opts.today); err != nil {
		checked := maps.Clone(c.bad)
		var ve *coaching.ValidationError
		if !errors.As(err, &ve) {
			c.add("", err.Error())
		} else {
			for _, fp := range ve.Problems {
				col := columnOf(fp.Field, guardianOf)
				if !checked[col] || col == "" {
					c.add(col, fp.Message)
				}
			}
		}
	}
	slices.SortStableFunc(c.problems, func(a, b RowProblem) int {
		return slices.Index(columns, a.Column) - slices.Index(columns, b.Column)
	})
	out.problems = c.problems
	out.row = row{line: line, externalID: ext, participant: p, record: EnrolmentRecord{Group: get(colGroup), StartDate: start}, guardianOf: guardianOf,
		updatedOn: updated, named: index}
	out.code = code.Reveal()
	return out
}

// date parses an optional date column ([parseDate]); a problem is added
// and the zero date returned when it is not a date.
func (c *rowChecker) date(col, s string) coaching.Date {
	if s == "" || c.bad[col] {
		return coaching.Date{}
	}
	d, msg := parseDate(s)
	if msg != "" {
		c.add(col, msg)
	}
	return d
}

// languageNames are the language names Finnish exports write for the
// three languages of service (in Finnish, Swedish and English).
var languageNames = map[string]coaching.Language{
	"suomi": coaching.Finnish, "finska": coaching.Finnish, "finnish": coaching.Finnish, "fin": coaching.Finnish,
	"ruotsi": coaching.Swedish, "svenska": coaching.Swedish, "swedish": coaching.Swedish, "swe": coaching.Swedish,
	"englanti": coaching.English, "engelska": coaching.English, "english": coaching.English, "eng": coaching.English,
}

// language reads a language cell: a code (fi, sv, en) or a name of one
// ([languageNames]), in any case. Anything else is returned as written,
// lower-cased, for the participant's validation to report.
func language(s string) coaching.Language {
	s = strings.ToLower(s)
	if l, ok := languageNames[s]; ok {
		return l
	}
	return coaching.Language(s)
}

// columnOf maps a field path of coaching.Participant.Validate to the
// column it came from.
func columnOf(field string, guardianOf []int) string {
	switch field {
	case "id", "external_ids", "external_ids." + ExternalIDSIS:
		return colExternalID
	case "external_ids." + ExternalIDLearnerOID:
		return colLearnerOID
	case "contact.email":
		return colEmail
	case "contact.phone":
		return colPhone
	case "organisation":
		return ""
	}
	if rest, ok := strings.CutPrefix(field, "guardians["); ok {
		i, sub, ok := strings.Cut(rest, "].")
		n, err := strconv.Atoi(i)
		if !ok || err != nil || n < 0 || n >= len(guardianOf) {
			return ""
		}
		switch sub {
		case "contact.email":
			sub = "email"
		case "contact.phone":
			sub = "phone"
		case "id":
			// Derived from the external id; a problem with it is a
			// problem with the name that made the guardian exist.
			sub = "name"
		}
		return guardianCol(guardianOf[n], sub)
	}
	if slices.Contains(columns, field) {
		return field
	}
	return ""
}

// markDuplicates reports rows that share an external id or an identity
// code: every such row names the others' lines, and none is enrolled.
func markDuplicates(rows []*checkedRow) {
	byID := map[string][]*checkedRow{}
	byCode := map[string][]*checkedRow{}
	bySignOn := map[string][]*checkedRow{}
	for _, r := range rows {
		if r.row.externalID != "" {
			byID[r.row.externalID] = append(byID[r.row.externalID], r)
		}
		if r.code != "" {
			byCode[r.code] = append(byCode[r.code], r)
		}
		// A student's sign-on id names one student: on two rows it would
		// let one of them read the other's data. (A guardian of two
		// students has one sign-on id on both rows.)
		if id := r.row.participant.SignOn; id != "" {
			bySignOn[id] = append(bySignOn[id], r)
		}
	}
	mark := func(groups map[string][]*checkedRow, col, what string) {
		for _, group := range groups {
			if len(group) < 2 {
				continue
			}
			for _, r := range group {
				var others []string
				for _, o := range group {
					if o != r {
						others = append(others, strconv.Itoa(o.line))
					}
				}
				word := "line"
				if len(others) > 1 {
					word = "lines"
				}
				r.problems = append(r.problems, RowProblem{Line: r.line, Column: col,
					Message: fmt.Sprintf("the same %s is on %s %s", what, word, strings.Join(others, ", "))})
			}
		}
	}
	mark(byID, colExternalID, "external id")
	mark(byCode, colIdentityCode, "identity code")
	mark(bySignOn, colSignOn, "sign-on id")
	for _, r := range rows {
		slices.SortStableFunc(r.problems, func(a, b RowProblem) int {
			return slices.Index(columns, a.Column) - slices.Index(columns, b.Column)
		})
	}
}
