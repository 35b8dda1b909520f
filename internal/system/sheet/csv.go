package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"khien.vn/khien/internal/regulation"
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// ParseCSV reads a register from CSV. See the package documentation for
// the format. It returns a *FileError when the file is over MaxBytes or
// MaxRows or is not UTF-8; every other problem is in the Report.
func ParseCSV(r io.Reader, p *regulation.Pack) (Report, error) {
	if p == nil {
		return Report{}, errors.New("parse register: no regulation pack")
	}
	data, err := readLimited(r)
	if err != nil {
		return Report{}, err
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return Report{}, newFileError(KeyNotUTF8) // UTF-16, Excel's "Unicode text"
	}
	data = bytes.TrimPrefix(data, bom)
	if !utf8.Valid(data) {
		return Report{}, newFileError(KeyNotUTF8)
	}
	ps := newParser(p)
	unclosed, err := scanCSV(data, ps.feed)
	if err != nil {
		return Report{}, err
	}
	rep := ps.finish()
	if unclosed > 0 {
		rep.FileProblems = append(rep.FileProblems, newProblem(unclosed, "", "", KeyUnclosedQuote))
	}
	return rep, nil
}

// readLimited reads all of r, failing with a FileError beyond MaxBytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read register: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, newFileError(KeyTooLarge, MaxBytes>>20)
	}
	return data, nil
}

// scanCSV splits data into records and calls fn with each one and its
// 1-based row number, counting blank lines as rows as a spreadsheet does.
// It is lenient about quotes, as spreadsheets are: a quote inside an
// unquoted cell is kept, and text after a closing quote is appended to the
// cell. It returns the row where a quoted cell that is never closed begins,
// or 0. The separator is given by an Excel "sep=" first line, or is the
// most frequent of comma, semicolon and tab in the first record.
func scanCSV(data []byte, fn func(line int, cells []string) error) (unclosed int, err error) {
	var sep byte
	if len(data) >= 5 && strings.EqualFold(string(data[:4]), "sep=") && (len(data) == 5 || data[5] == '\n' || data[5] == '\r') {
		sep, data = data[4], data[5:]
		data = bytes.TrimPrefix(data, []byte("\r"))
		data = bytes.TrimPrefix(data, []byte("\n"))
	} else {
		sep = sniff(data)
	}
	var field strings.Builder
	line := 1
	for i, n := 0, len(data); i < n; line++ {
		var cells []string
		for {
			field.Reset()
			if data[i] == '"' {
				i++
				closed := false
				for i < n {
					c := data[i]
					if c == '"' {
						if i+1 < n && data[i+1] == '"' {
							field.WriteByte('"')
							i += 2
							continue
						}
						i++
						closed = true
						break
					}
					field.WriteByte(c)
					i++
				}
				if !closed && unclosed == 0 {
					unclosed = line
				}
			}
			for i < n && data[i] != sep && data[i] != '\n' && data[i] != '\r' {
				field.WriteByte(data[i])
				i++
			}
			cells = append(cells, unescapeFormula(field.String()))
			if i < n && data[i] == sep {
				i++
				if i < n {
					continue
				}
				cells = append(cells, "")
			}
			break
		}
		if i < n && data[i] == '\r' {
			i++
		}
		if i < n && data[i] == '\n' {
			i++
		}
		if err := fn(line, cells); err != nil {
			return unclosed, err
		}
	}
	return unclosed, nil
}

// sniff returns the most frequent separator outside quotes in the first
// record; comma when there is none.
func sniff(data []byte) byte {
	counts := map[byte]int{}
	quoted := false
	for _, c := range data {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			break
		}
		if c == ',' || c == ';' || c == '\t' {
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// formulaStart reports whether a spreadsheet would read a cell starting
// with s as a formula.
func formulaStart(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// escapeFormula prefixes an apostrophe to a CSV cell that a spreadsheet
// would read as a formula (CSV injection).
func escapeFormula(s string) string {
	if formulaStart(s) {
		return "'" + s
	}
	return s
}

// unescapeFormula undoes escapeFormula.
func unescapeFormula(s string) string {
	if len(s) > 1 && s[0] == '\'' && formulaStart(s[1:]) {
		return s[1:]
	}
	return s
}

// TemplateCSV writes an empty register: the Vietnamese header row and the
// key row.
func TemplateCSV(w io.Writer, p *regulation.Pack) error {
	return ExportCSV(w, p, nil, nil, nil)
}

// writeCSV writes the byte-order mark, the two header rows and rows.
func writeCSV(w io.Writer, cols []Column, rows [][]cell) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(bom); err != nil {
		return fmt.Errorf("write register: %w", err)
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	header := make([]string, len(cols))
	keys := make([]string, len(cols))
	for i, c := range cols {
		header[i], keys[i] = c.Header.VI, c.Key
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write register: %w", err)
	}
	if err := cw.Write(keys); err != nil {
		return fmt.Errorf("write register: %w", err)
	}
	rec := make([]string, len(cols))
	for _, r := range rows {
		for i, c := range r {
			rec[i] = escapeFormula(c.s)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write register: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write register: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write register: %w", err)
	}
	return nil
}
