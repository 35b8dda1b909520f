package sheet

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// parser turns spreadsheet rows, fed one at a time, into a Report. It is
// shared by the CSV and XLSX readers.
type parser struct {
	pack  *regulation.Pack
	cols  []Column
	alias map[string]int // folded key or header → index in cols
	// values maps, per column, a folded value id or name to the id.
	values []map[string]string

	state      int // stateHeader, stateKeys or stateData
	headerLine int
	header     []string // the header row as written
	byFile     []int    // file column → index in cols, -1 for none
	present    []bool   // per column: the file has it
	noHeader   map[int]bool
	pending    []pendingRow // rows that may be above the header
	rows       int          // non-blank data rows so far
	rep        Report
}

const (
	stateHeader = iota // waiting for the header row
	stateKeys          // header read; the next row may be the key row
	stateData
)

func newParser(p *regulation.Pack) *parser {
	ps := &parser{pack: p, cols: Columns(p), alias: map[string]int{}, noHeader: map[int]bool{}}
	ps.values = make([]map[string]string, len(ps.cols))
	for i, c := range ps.cols {
		for _, a := range append([]string{c.Key, c.Header.VI, c.Header.EN}, aliases[c.Key]...) {
			if f := fold(a); f != "" {
				if _, dup := ps.alias[f]; !dup {
					ps.alias[f] = i
				}
			}
		}
		if len(c.Values) == 0 {
			continue
		}
		m := map[string]string{}
		// IDs first so that a name can never shadow another value's ID.
		for _, v := range c.Values {
			m[fold(v.ID)] = v.ID
		}
		for _, v := range c.Values {
			for _, n := range []string{v.Name.VI, v.Name.EN} {
				if f := fold(n); f != "" {
					if _, dup := m[f]; !dup {
						m[f] = v.ID
					}
				}
			}
		}
		ps.values[i] = m
	}
	return ps
}

// column returns the column a header names, or -1.
func (ps *parser) column(header string) int {
	if i, ok := ps.alias[fold(header)]; ok {
		return i
	}
	// "Mã hệ thống (code)": a header followed by the key in brackets.
	if open := strings.LastIndexByte(header, '('); open > 0 && strings.HasSuffix(header, ")") {
		if i, ok := ps.alias[fold(header[open+1:len(header)-1])]; ok {
			return i
		}
		if i, ok := ps.alias[fold(header[:open])]; ok {
			return i
		}
	}
	return -1
}

// maxCells is the number of columns read, Excel's limit (A to XFD).
const maxCells = 16384

// feed reads one spreadsheet row. cells are the raw cell texts.
func (ps *parser) feed(line int, cells []string) error {
	if len(cells) > maxCells {
		cells = cells[:maxCells]
	}
	for i := range cells {
		cells[i] = clean(cells[i])
	}
	if blank(cells) {
		return nil
	}
	switch ps.state {
	case stateHeader:
		byFile, known := ps.headerColumns(cells)
		if known > 0 && known >= min(2, nonBlank(cells)) {
			// Rows above the header (a title, an issuing body) are ignored.
			ps.pending = nil
			ps.setHeader(line, cells, byFile)
			return nil
		}
		ps.pending = append(ps.pending, pendingRow{line, slices.Clone(cells)})
		if len(ps.pending) < maxTitleRows {
			return nil
		}
		return ps.replay()
	case stateKeys:
		ps.state = stateData
		keys := ps.keyRow(cells)
		ps.checkColumns()
		if keys {
			return nil
		}
	}
	// A row is blank when its register columns are: a row that only has a
	// number in an "STT" column, or a note in an unknown one, is skipped.
	cellOf := make([]string, len(ps.cols))
	empty := true
	for i, v := range cells {
		col := -1
		if i < len(ps.byFile) {
			col = ps.byFile[i]
		}
		switch {
		case col >= 0:
			cellOf[col] = v
			empty = empty && v == ""
		case v != "" && (i >= len(ps.header) || ps.header[i] == ""):
			ps.noHeader[i] = true
		}
	}
	if empty {
		return nil
	}
	ps.rows++
	if ps.rows > MaxRows {
		return newFileError(KeyTooManyRows, MaxRows)
	}
	ps.rep.Rows = append(ps.rep.Rows, ps.row(line, cellOf))
	return nil
}

// maxTitleRows is how many non-blank rows are searched for the header row:
// the first that names at least two register columns (or its only cell
// names one). When none does, the first non-blank row is the header.
const maxTitleRows = 10

type pendingRow struct {
	line  int
	cells []string
}

// headerColumns maps a header row's cells to columns and counts the known
// ones.
func (ps *parser) headerColumns(cells []string) (byFile []int, known int) {
	byFile = make([]int, len(cells))
	for i, h := range cells {
		byFile[i] = -1
		if h != "" {
			byFile[i] = ps.column(h)
		}
		if byFile[i] >= 0 {
			known++
		}
	}
	return byFile, known
}

func (ps *parser) setHeader(line int, cells []string, byFile []int) {
	ps.headerLine, ps.header, ps.byFile = line, slices.Clone(cells), byFile
	ps.state = stateKeys
}

// replay takes the first pending row as the header and reads the others
// as the rows after it.
func (ps *parser) replay() error {
	rows := ps.pending
	ps.pending = nil
	byFile, _ := ps.headerColumns(rows[0].cells)
	ps.setHeader(rows[0].line, rows[0].cells, byFile)
	for _, r := range rows[1:] {
		if err := ps.feed(r.line, r.cells); err != nil {
			return err
		}
	}
	return nil
}

func nonBlank(cells []string) int {
	n := 0
	for _, c := range cells {
		if c != "" {
			n++
		}
	}
	return n
}

func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}

// keyRow reports whether cells, the row after the header, is a second
// header row (the machine keys of templates and exports), and if so uses it
// to name the columns whose first header was blank or unknown.
func (ps *parser) keyRow(cells []string) bool {
	named := make([]int, len(cells))
	for i, c := range cells {
		named[i] = -1
		if c == "" {
			continue
		}
		col := ps.column(c)
		if col < 0 || (i < len(ps.byFile) && ps.byFile[i] >= 0 && ps.byFile[i] != col) {
			return false
		}
		named[i] = col
	}
	for i, col := range named {
		if col < 0 {
			continue
		}
		if i >= len(ps.byFile) {
			ps.byFile = append(ps.byFile, slices.Repeat([]int{-1}, i+1-len(ps.byFile))...)
			ps.header = append(ps.header, make([]string, i+1-len(ps.header))...)
		}
		ps.byFile[i] = col
	}
	return true
}

// checkColumns reports unknown, duplicate and missing columns once the
// header rows are known.
func (ps *parser) checkColumns() {
	ps.present = make([]bool, len(ps.cols))
	where := make([][]string, len(ps.cols)) // column letters per column
	hints := 0
	for i, col := range ps.byFile {
		h := ps.header[i]
		switch {
		case col >= 0:
			where[col] = append(where[col], letter(i))
			if len(where[col]) > 1 {
				ps.byFile[i] = -1 // only the first is read
			}
			ps.present[col] = true
		case h != "":
			s := ""
			if hints < maxHints {
				// Bounded: a hint costs a distance per known header.
				hints++
				s = ps.suggest(h)
			}
			if s != "" {
				ps.fileProblem(h, h, KeyUnknownColumnHint, s)
			} else {
				ps.fileProblem(h, h, KeyUnknownColumn)
			}
		}
	}
	for col, ls := range where {
		if len(ls) > 1 {
			ps.fileProblem(ps.cols[col].Key, "", KeyDuplicateColumn, strings.Join(ls, ", "))
		}
	}
	for col, c := range ps.cols {
		if c.Required && !ps.present[col] {
			ps.fileProblem(c.Key, "", KeyMissingColumn)
		}
	}
}

func (ps *parser) fileProblem(column, value, key string, args ...any) {
	ps.rep.FileProblems = append(ps.rep.FileProblems, newProblem(ps.headerLine, column, value, key, args...))
}

// maxHints bounds the unknown headers given a "did you mean".
const maxHints = 100

// suggest returns the key or header closest to an unknown header, in the
// form closest to what was written, or "".
func (ps *parser) suggest(h string) string {
	f := fold(h)
	if f == "" || runes(f) > 100 {
		return ""
	}
	best, bestD := "", -1
	for _, c := range ps.cols {
		for _, a := range []string{c.Key, c.Header.VI, c.Header.EN} {
			fa := fold(a)
			d := distance(f, fa)
			if limit := max(2, runes(fa)/3); d > limit && !(runes(f) >= 4 && strings.Contains(fa, f)) {
				continue
			}
			if bestD < 0 || d < bestD {
				best, bestD = a, d
			}
		}
	}
	return best
}

// finish checks what needs the whole file (duplicate codes, parent loops)
// and returns the report.
func (ps *parser) finish() Report {
	if len(ps.pending) > 0 {
		_ = ps.replay() // fewer than maxTitleRows rows: never over MaxRows
	}
	switch ps.state {
	case stateHeader:
		ps.rep.FileProblems = append(ps.rep.FileProblems, newProblem(0, "", "", KeyEmpty))
	case stateKeys:
		ps.checkColumns()
	}
	for _, i := range slices.Sorted(maps.Keys(ps.noHeader)) {
		ps.fileProblem(letter(i), "", KeyNoHeader, letter(i))
	}
	ps.duplicates()
	ps.parents()
	for i := range ps.rep.Rows {
		ps.sortProblems(&ps.rep.Rows[i])
	}
	return ps.rep
}

// sortProblems orders a row's problems by column.
func (ps *parser) sortProblems(r *Row) {
	order := func(key string) int {
		for i, c := range ps.cols {
			if c.Key == key {
				return i
			}
		}
		return len(ps.cols)
	}
	slices.SortStableFunc(r.Problems, func(a, b Problem) int { return order(a.Column) - order(b.Column) })
}

// duplicates reports every row whose code is also on another row, naming
// up to maxOthers of the other rows.
func (ps *parser) duplicates() {
	const maxOthers = 5
	rows := map[string][]int{} // code → indexes of its rows
	for i, r := range ps.rep.Rows {
		if c := r.System.Code; c != "" {
			rows[c] = append(rows[c], i)
		}
	}
	for code, idx := range rows {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			var others []string
			for _, j := range idx {
				if j == i {
					continue
				}
				if len(others) == maxOthers {
					others = append(others, "…")
					break
				}
				others = append(others, strconv.Itoa(ps.rep.Rows[j].Line))
			}
			ps.rep.Rows[i].AddProblem(KeyCode, code, KeyDuplicateCode, code, strings.Join(others, ", "))
		}
	}
}

// parents reports rows whose parent is themselves, and rows whose parent
// codes, followed through the file, come back to them.
func (ps *parser) parents() {
	rows := ps.rep.Rows
	first := map[string]int{} // code → index of its first row
	for i, r := range rows {
		if c := r.System.Code; c != "" {
			if _, ok := first[c]; !ok {
				first[c] = i
			}
		}
	}
	const (
		unseen = iota
		walking
		done
	)
	state := make([]int, len(rows))
	for start := range rows {
		var path []int
		for i := start; state[i] != done; {
			if state[i] == walking {
				loop := path[slices.Index(path, i):]
				chain := make([]string, 0, len(loop)+1)
				for _, j := range loop {
					chain = append(chain, rows[j].System.Code)
				}
				chain = append(chain, rows[i].System.Code)
				for _, j := range loop {
					rows[j].AddProblem(KeyParentCode, rows[j].ParentCode, KeyParentCycle, strings.Join(chain, " → "))
				}
				break
			}
			state[i] = walking
			path = append(path, i)
			r := &rows[i]
			if r.ParentCode == "" {
				break
			}
			if r.ParentCode == r.System.Code {
				r.AddProblem(KeyParentCode, r.ParentCode, KeyParentSelf)
				break
			}
			next, ok := first[r.ParentCode]
			if !ok {
				break
			}
			i = next
		}
		for _, j := range path {
			state[j] = done
		}
	}
}

// row reads one data row; cellOf holds the cell of each register column.
func (ps *parser) row(line int, cellOf []string) Row {
	r := Row{Line: line}
	s := &r.System
	s.PackID = ps.pack.ID()
	bad := map[string]bool{} // columns with a problem already
	problem := func(col Column, value, key string, args ...any) {
		r.AddProblem(col.Key, value, key, args...)
		bad[col.Key] = true
	}

	for ci, c := range ps.cols {
		v := cellOf[ci]
		if v == "" {
			if c.Required && ps.present[ci] {
				problem(c, "", KeyRequired)
			}
			if c.Field != "" && (c.Kind == KindBool || c.Field == regulation.FieldOnlinePublicServiceLevel) {
				s.Profile.Unanswered = append(s.Profile.Unanswered, c.Field)
			}
			continue
		}
		switch c.Kind {
		case KindText:
			if c.Key == KeyCode || c.Key == KeyUnitCode || c.Key == KeyParentCode {
				if runes(v) > c.MaxLen || strings.ContainsAny(v, " \t\r\n/") {
					problem(c, v, KeyCodeFormat, c.MaxLen)
					continue
				}
			} else if runes(v) > c.MaxLen {
				problem(c, v, KeyTooLong, c.MaxLen)
				continue
			}
			*textRef(&r, c.Key) = v
		case KindEnum:
			id, ok := ps.values[ci][fold(v)]
			if !ok {
				problem(c, v, KeyUnknownValue, v, valueIDs(c.Values))
				continue
			}
			ps.setEnum(&r, c.Key, id)
		case KindList:
			ids, ok := ps.list(ci, v, func(item string) {
				problem(c, item, KeyUnknownValue, item, valueIDs(c.Values))
			})
			if ok {
				s.Profile.InfoTypes = ids
			}
		case KindInt:
			n, ok := parseInt(v)
			switch {
			case !ok:
				problem(c, v, KeyNotInteger, v)
			case n < c.Min:
				problem(c, v, KeyBelowMin, n, c.Min)
			case c.Max != 0 && n > c.Max:
				problem(c, v, KeyAboveMax, n, c.Max)
			case c.Values != nil && ps.values[ci][strconv.Itoa(n)] == "":
				problem(c, v, KeyUnknownValue, v, valueIDs(c.Values))
			default:
				*intRef(&s.Profile, c.Field) = n
				continue
			}
			if c.Field == regulation.FieldOnlinePublicServiceLevel {
				// Unknown rather than "none" while the cell is wrong.
				s.Profile.Unanswered = append(s.Profile.Unanswered, c.Field)
			}
		case KindBool:
			b, ok := parseBool(v)
			if !ok {
				problem(c, v, KeyNotBoolean, v)
				s.Profile.Unanswered = append(s.Profile.Unanswered, c.Field)
				continue
			}
			*boolRef(&s.Profile, c.Field) = b
		}
	}
	if len(s.Profile.Unanswered) > 0 {
		// Keep ProfileFields order whatever the order of the checks above.
		order := regulation.ProfileFields()
		slices.SortFunc(s.Profile.Unanswered, func(a, b string) int {
			return slices.Index(order, a) - slices.Index(order, b)
		})
	}

	ps.checkGrade(&r, bad)
	ps.validate(&r, bad)
	return r
}

// list reads an info_types cell: one value, or values separated by ",",
// ";" or line breaks. It calls bad for each unknown item and returns the ids
// in order without repeats.
func (ps *parser) list(ci int, v string, bad func(item string)) ([]string, bool) {
	if id, ok := ps.values[ci][fold(v)]; ok {
		return []string{id}, true
	}
	ok := true
	var ids []string
	for item := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, found := ps.values[ci][fold(item)]
		if !found {
			bad(item)
			ok = false
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, ok
}

// checkGrade reports a classification grade without an information type
// that has grades.
func (ps *parser) checkGrade(r *Row, bad map[string]bool) {
	pr := &r.System.Profile
	if pr.StateSecretGrade == "" {
		return
	}
	if bad[regulation.FieldInfoTypes] {
		// The grade cannot be judged against a list with unknown items.
		bad[regulation.FieldStateSecretGrade] = true
		return
	}
	var owners []string
	for _, it := range ps.pack.InfoTypes() {
		if slices.ContainsFunc(it.Grades, func(g regulation.Grade) bool { return g.ID == pr.StateSecretGrade }) {
			if slices.Contains(pr.InfoTypes, it.ID) {
				return
			}
			owners = append(owners, it.ID)
		}
	}
	r.AddProblem(regulation.FieldStateSecretGrade, pr.StateSecretGrade, KeyGradeWithoutType, joinIDs(owners))
	bad[regulation.FieldStateSecretGrade] = true
	pr.StateSecretGrade = ""
}

// validate runs System.Validate and the pack's profile check, and reports
// what they find that the checks above did not.
func (ps *parser) validate(r *Row, bad map[string]bool) {
	s := &r.System
	s.UnitID = 1 // resolved by the caller; Validate requires one
	err := s.Validate()
	s.UnitID = 0
	if pe, ok := errs.AsPublic(err); ok {
		col := columnOfField(pe.Field)
		if !bad[col] && ps.presentKey(col) {
			r.AddProblem(col, "", pe.Key, pe.Args...)
		}
	} else if err != nil {
		r.AddProblem("", "", "err.invalid")
	}

	var perr *regulation.ProfileError
	if errors.As(ps.pack.ValidateProfile(s.Profile), &perr) {
		for _, p := range perr.Problems {
			if bad[p.Field] {
				continue
			}
			pr := newProblem(r.Line, p.Field, p.Value, KeyProfile, p.Value)
			pr.Message = p.Message
			r.Problems = append(r.Problems, pr)
		}
	}
}

// presentKey reports whether the file has the column with the key, so that
// a missing column is reported once for the file and not on every row.
func (ps *parser) presentKey(key string) bool {
	for i, c := range ps.cols {
		if c.Key == key {
			return ps.present[i]
		}
	}
	return true
}

// columnOfField maps a System.Validate field to a column key.
func columnOfField(field string) string {
	switch field {
	case "unit_id":
		return KeyUnitCode
	case "parent_id":
		return KeyParentCode
	case "owner":
		return KeyOwnerName
	}
	return field
}

func (ps *parser) setEnum(r *Row, key, id string) {
	pr := &r.System.Profile
	switch key {
	case KeyStatus:
		r.System.Status = system.Status(id)
	case KeyHosting:
		r.System.Hosting = system.Hosting(id)
	case regulation.FieldSystemType:
		pr.SystemType = id
	case regulation.FieldStateSecretGrade:
		pr.StateSecretGrade = id
	case regulation.FieldInfrastructureScope:
		pr.InfrastructureScope = id
	case regulation.FieldWorksGrade:
		pr.WorksGrade = id
	}
}
