package sheet

import (
	"fmt"
	"strconv"
	"strings"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// Row is one system read from a register file.
type Row struct {
	// Line is the 1-based row number as a spreadsheet user sees it.
	Line int
	// System has Code, Name, Description, Status, Hosting, PackID, Profile,
	// Scope and the three parties filled in; UnitID and ParentID are left 0
	// for the caller to resolve from UnitCode and ParentCode. A value that
	// has a problem is left at its zero value.
	System system.System
	// UnitCode is the code of the system's unit.
	UnitCode string
	// ParentCode is the code of the system this one is a component of, ""
	// for none. It may name a system on another row of the same file.
	ParentCode string
	// Problems lists what is wrong with the row, in column order; none
	// means the row can be imported once the codes resolve.
	Problems []Problem
}

// AddProblem records a problem the caller found with the row, such as a
// unit code that does not resolve (KeyUnknownUnit) or a parent code that
// names no system (KeyUnknownParent). Message is filled for this package's
// keys and falls back to the key for others.
func (r *Row) AddProblem(column, value, key string, args ...any) {
	r.Problems = append(r.Problems, newProblem(r.Line, column, value, key, args...))
}

// Problem is one thing wrong with a file, a column or a cell.
type Problem struct {
	// Line is the 1-based spreadsheet row: the header row for a problem
	// with a column, 0 for one with the whole file.
	Line int
	// Column is the column's machine key. For a column that is not a
	// register column it is the header as written, or the column letter
	// when the header is blank.
	Column string
	// Value is the cell (or list item) as written, "" when not relevant.
	Value string
	// Key is the message-catalogue key; Args fill its fmt verbs.
	Key  string
	Args []any
	// Message is the problem in each language. It does not name the column
	// or the row: show them next to it.
	Message regulation.Text
}

// String describes the problem in English, with its row and column.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString("row ")
		b.WriteString(strconv.Itoa(p.Line))
	}
	if p.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString("column ")
		b.WriteString(p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message.EN)
	return b.String()
}

// Report is the result of reading a register file.
type Report struct {
	// Rows are the non-blank data rows, in file order.
	Rows []Row
	// FileProblems are problems with the file's columns: required ones
	// missing, unknown, duplicated or without a header.
	FileProblems []Problem
}

// OK reports whether the file and every row are free of problems.
func (r Report) OK() bool {
	if len(r.FileProblems) > 0 {
		return false
	}
	for _, row := range r.Rows {
		if len(row.Problems) > 0 {
			return false
		}
	}
	return true
}

// Problems returns the file problems followed by every row's problems, in
// row order.
func (r Report) Problems() []Problem {
	out := append([]Problem(nil), r.FileProblems...)
	for _, row := range r.Rows {
		out = append(out, row.Problems...)
	}
	return out
}

// FileError says that a file could not be read at all: it is over a limit,
// not UTF-8 or not a workbook. It matches errs.ErrInvalid, and
// errs.AsPublic finds its catalogue key.
type FileError struct {
	Key     string
	Args    []any
	Message regulation.Text
}

func newFileError(key string, args ...any) *FileError {
	return &FileError{Key: key, Args: args, Message: message(key, args)}
}

// Error returns the English message.
func (e *FileError) Error() string { return "read register: " + e.Message.EN }

// Unwrap returns the public error that carries the key and the kind.
func (e *FileError) Unwrap() error {
	return &errs.PublicError{Kind: errs.ErrInvalid, Key: e.Key, Args: e.Args}
}

// The limits on an input file.
const (
	// MaxBytes is the largest file read.
	MaxBytes = 32 << 20
	// MaxRows is the largest number of non-blank data rows.
	MaxRows = 10_000
)

// The message keys this package uses. System.Validate's own keys
// (err.system_code, …) pass through unchanged when it finds something the
// checks here did not.
const (
	// File errors (FileError).
	KeyTooLarge    = "sheet.too_large"     // args: MiB
	KeyTooManyRows = "sheet.too_many_rows" // args: rows
	KeyNotUTF8     = "sheet.not_utf8"
	KeyNotXLSX     = "sheet.not_xlsx"

	// File problems.
	KeyEmpty             = "sheet.empty"
	KeyMissingColumn     = "sheet.missing_column"
	KeyUnknownColumn     = "sheet.unknown_column"
	KeyUnknownColumnHint = "sheet.unknown_column_hint" // args: suggested header
	KeyDuplicateColumn   = "sheet.duplicate_column"    // args: column letters
	KeyNoHeader          = "sheet.no_header"           // args: column letter
	KeyUnclosedQuote     = "sheet.unclosed_quote"

	// Cell problems.
	KeyRequired         = "sheet.required"
	KeyTooLong          = "sheet.too_long"       // args: max characters
	KeyCodeFormat       = "sheet.code_format"    // args: max characters
	KeyUnknownValue     = "sheet.unknown_value"  // args: value, allowed ids
	KeyNotInteger       = "sheet.not_integer"    // args: value
	KeyBelowMin         = "sheet.below_min"      // args: value, min
	KeyAboveMax         = "sheet.above_max"      // args: value, max
	KeyNotBoolean       = "sheet.not_boolean"    // args: value
	KeyDuplicateCode    = "sheet.duplicate_code" // args: code, other rows
	KeyParentSelf       = "sheet.parent_self"
	KeyParentCycle      = "sheet.parent_cycle"       // args: chain of codes
	KeyGradeWithoutType = "sheet.grade_without_type" // args: information type ids
	KeyProfile          = "sheet.profile"            // args: value; Message from the pack

	// For callers resolving codes (Row.AddProblem).
	KeyUnknownUnit   = "sheet.unknown_unit"   // args: code
	KeyUnknownParent = "sheet.unknown_parent" // args: code
	KeyWriteFailed   = "sheet.write_failed"   // args: error text
)

// messages holds the Vietnamese and English text of every key, as fmt
// formats over the key's arguments. The web catalogue holds the same texts.
var messages = map[string]regulation.Text{
	KeyTooLarge:    {VI: "Tệp lớn hơn %d MiB.", EN: "The file is larger than %d MiB."},
	KeyTooManyRows: {VI: "Tệp có hơn %d hệ thống; hãy chia thành nhiều tệp.", EN: "The file has more than %d systems; split it into several files."},
	KeyNotUTF8: {
		VI: "Tệp không phải văn bản UTF-8. Trong Excel, hãy lưu dưới dạng \"CSV UTF-8 (Phân cách bằng dấu phẩy)\".",
		EN: "The file is not UTF-8 text. In Excel, save it as \"CSV UTF-8 (Comma delimited)\".",
	},
	KeyNotXLSX: {VI: "Tệp không phải sổ tính Excel (.xlsx) đọc được.", EN: "The file is not a readable Excel workbook (.xlsx)."},

	KeyEmpty:             {VI: "Tệp không có dòng tiêu đề.", EN: "The file has no header row."},
	KeyMissingColumn:     {VI: "Thiếu cột bắt buộc này.", EN: "This required column is missing."},
	KeyUnknownColumn:     {VI: "Đây không phải cột của sổ đăng ký; cột này bị bỏ qua.", EN: "This is not a column of the register; it is ignored."},
	KeyUnknownColumnHint: {VI: "Đây không phải cột của sổ đăng ký; cột này bị bỏ qua. Có phải ý bạn là %q?", EN: "This is not a column of the register; it is ignored. Did you mean %q?"},
	KeyDuplicateColumn:   {VI: "Cột xuất hiện nhiều lần (các cột %s); chỉ đọc cột đầu tiên.", EN: "The column appears more than once (columns %s); only the first is read."},
	KeyNoHeader:          {VI: "Cột %s có dữ liệu nhưng không có tiêu đề; dữ liệu này bị bỏ qua.", EN: "Column %s has values but no header; they are ignored."},
	KeyUnclosedQuote: {
		VI: "Dấu ngoặc kép mở ô ở dòng này không được đóng; phần còn lại của tệp đã bị đọc vào ô đó.",
		EN: "A quote that opens a cell on this row is never closed; the rest of the file was read into that cell.",
	},

	KeyRequired:   {VI: "Bắt buộc phải có giá trị.", EN: "A value is required."},
	KeyTooLong:    {VI: "Giá trị quá dài (tối đa %d ký tự).", EN: "The value is too long (at most %d characters)."},
	KeyCodeFormat: {VI: "Mã phải dài từ 1 đến %d ký tự, không có khoảng trắng hoặc dấu /.", EN: "The code must be 1 to %d characters, without spaces or slashes."},
	KeyUnknownValue: {
		VI: "%q không phải giá trị hợp lệ (giá trị hợp lệ: %s).",
		EN: "%q is not an allowed value (allowed: %s).",
	},
	KeyNotInteger: {VI: "%q không phải số nguyên.", EN: "%q is not a whole number."},
	KeyBelowMin:   {VI: "%d nhỏ hơn giá trị nhỏ nhất cho phép (%d).", EN: "%d is less than the minimum (%d)."},
	KeyAboveMax:   {VI: "%d lớn hơn giá trị lớn nhất cho phép (%d).", EN: "%d is more than the maximum (%d)."},
	KeyNotBoolean: {
		VI: "%q không phải câu trả lời có/không (dùng có/không, yes/no, true/false, 1/0 hoặc x; để trống nếu chưa xác định).",
		EN: "%q is not a yes/no answer (use yes/no, có/không, true/false, 1/0 or x; leave blank if not known).",
	},
	KeyDuplicateCode: {VI: "Mã %q cũng được dùng ở dòng %s.", EN: "Code %q is also used on row %s."},
	KeyParentSelf:    {VI: "Hệ thống không thể là hệ thống cha của chính nó.", EN: "A system cannot be its own parent."},
	KeyParentCycle:   {VI: "Mã hệ thống cha tạo thành vòng lặp: %s.", EN: "The parent codes form a loop: %s."},
	KeyGradeWithoutType: {
		VI: "Có độ mật nhưng loại thông tin không gồm %s.",
		EN: "A classification grade is given, but the information processed does not include %s.",
	},
	KeyProfile: {VI: "%q không hợp lệ với bộ quy định.", EN: "%q is not valid for the regulation pack."},

	KeyUnknownUnit:   {VI: "Không có đơn vị nào có mã %q.", EN: "No unit has the code %q."},
	KeyUnknownParent: {VI: "Không có hệ thống nào có mã %q, trong sổ đăng ký hoặc trong tệp này.", EN: "No system has the code %q, in the register or in this file."},
	KeyWriteFailed:   {VI: "Không ghi được hệ thống này: %s", EN: "This system could not be written: %s"},

	// The keys of system.System.Validate, for the rare case one of its
	// checks is not mirrored here; the same texts as the web catalogue.
	"err.system_code":          {VI: "Mã hệ thống từ 1 đến 64 ký tự, không có dấu cách hay dấu gạch chéo.", EN: "The system code must be 1 to 64 characters without spaces or slashes."},
	"err.system_name":          {VI: "Nhập tên hệ thống, tối đa 300 ký tự.", EN: "Enter a system name of up to 300 characters."},
	"err.system_status":        {VI: "Trạng thái %s không xác định.", EN: "Unknown status %s."},
	"err.system_hosting":       {VI: "Nơi đặt %s không xác định.", EN: "Unknown hosting %s."},
	"err.system_parent":        {VI: "Hệ thống cha không tồn tại hoặc tạo thành vòng lặp.", EN: "The parent system does not exist or would make a cycle."},
	"err.system_monitoring_by": {VI: "Giám sát do đơn vị tự thực hiện hoặc do nhà cung cấp.", EN: "Monitoring is either in-house or by a provider."},
	"err.too_long":             {VI: "Nội dung quá dài.", EN: "The text is too long."},
}

// message formats the texts of key; an unknown key gives the key itself.
func message(key string, args []any) regulation.Text {
	m, ok := messages[key]
	if !ok {
		s := key
		if len(args) > 0 {
			s += " " + fmt.Sprint(args...)
		}
		return regulation.Text{VI: s, EN: s}
	}
	if len(args) == 0 {
		return m
	}
	return regulation.Text{VI: fmt.Sprintf(m.VI, args...), EN: fmt.Sprintf(m.EN, args...)}
}

func newProblem(line int, column, value, key string, args ...any) Problem {
	return Problem{Line: line, Column: column, Value: value, Key: key, Args: args, Message: message(key, args)}
}
