// Package sheet reads and writes the information-system register as a
// spreadsheet (CSV or XLSX), so that an organisation can fill in or review
// its systems in Excel and import them in bulk.
//
// # Layout
//
// One system per row. Row 1 holds the Vietnamese headers and row 2 the
// stable machine keys ("code", "unit_code", "system_type", …); data starts
// on row 3. When reading, the header row is the first of the first ten
// non-blank rows that names at least two register columns (rows above it,
// such as a title, are ignored; when none does, the first non-blank row is
// taken); the key row is recognised and skipped when present. A header may
// be written as the machine key, the Vietnamese header or the English
// header, in any case and with or without diacritics. Columns may come in
// any order; optional columns may be left out, and so may unknown ones be
// present (a file problem, their cells ignored). Blank rows, and rows blank
// in every register column, are skipped. Columns lists every column with
// its allowed values, which come from the regulation pack (system types,
// information types, infrastructure scopes, works grades, online public
// service levels), never from hard-coded lists.
//
// Values: an enumerated cell holds the pack id or its Vietnamese or English
// name; info_types holds a list separated by "," or ";"; yes/no cells accept
// yes/no, có/không, true/false, 1/0 and x; numbers may use thousands
// separators. A blank optional cell leaves the field unanswered: for the
// yes/no fields and the online public service level, whose zero value is an
// answer, the field name goes into Profile.Unanswered so that the level
// engine treats it as unknown.
//
// # Problems
//
// Parsing never stops at the first problem. Problems with the file's
// columns are reported once in Report.FileProblems; problems with a cell go
// on its Row. Each Problem carries a message-catalogue key and arguments
// (language-neutral: ids, values, numbers) plus ready texts in Vietnamese
// and English that do not name the column; the caller shows the column's
// header next to them. A file that cannot be read at all (over MaxBytes or
// MaxRows, not UTF-8, not a workbook) gives a *FileError instead.
//
// # Files
//
// CSV: UTF-8 with or without a byte-order mark, separated by commas,
// semicolons (what Excel writes in vi-VN locales) or tabs, detected from the
// header row; an Excel "sep=;" first line is honoured. Exports are
// comma-separated UTF-8 with a byte-order mark so that Excel opens them
// correctly, and cells that a spreadsheet would read as a formula are
// prefixed with an apostrophe, which the reader removes again.
//
// XLSX: the sheet named "Hệ thống" or "Systems" (in any case, with or
// without diacritics), else the first sheet. Templates and exports add an
// instructions sheet and drop-down lists for the enumerated columns.
package sheet
