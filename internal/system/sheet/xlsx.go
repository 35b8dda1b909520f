package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"khien.vn/khien/internal/regulation"
)

// The sheets of templates and exports.
const (
	sheetData  = "Hệ thống"
	sheetHelp  = "Hướng dẫn"
	sheetLists = "DanhMuc" // hidden: the drop-down lists
)

// dataSheetNames are the folded names of the sheet ParseXLSX reads when a
// workbook has several.
var dataSheetNames = []string{"he thong", "systems", "system", "so dang ky"}

// maxUnzip bounds what a workbook may expand to in memory. A register of
// MaxRows rows is a few tens of MiB of XML; the bound stops zip bombs.
const maxUnzip = 256 << 20

// ParseXLSX reads a register from an XLSX workbook: the sheet named "Hệ
// thống" or "Systems" (in any case, with or without diacritics), else the
// first sheet. Cell values are read as stored, without number formats. It
// returns a *FileError when the file is over MaxBytes or MaxRows or is not
// a readable workbook; every other problem is in the Report.
func ParseXLSX(r io.Reader, p *regulation.Pack) (Report, error) {
	if p == nil {
		return Report{}, errors.New("parse register: no regulation pack")
	}
	data, err := readLimited(r)
	if err != nil {
		return Report{}, err
	}
	ps := newParser(p)
	if err := readWorkbook(data, ps.feed); err != nil {
		return Report{}, err
	}
	return ps.finish(), nil
}

// readWorkbook calls fn with each row of the register sheet. The workbook
// parser is third-party code fed with untrusted bytes: a panic in it is
// turned into a "not a workbook" error rather than taking the process down.
// A panic in fn is ours and is not hidden.
func readWorkbook(data []byte, fn func(line int, cells []string) error) (err error) {
	inFn := false
	defer func() {
		if !inFn {
			if r := recover(); r != nil {
				err = newFileError(KeyNotXLSX)
			}
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzip, UnzipXMLSizeLimit: maxUnzip})
	if err != nil {
		return newFileError(KeyNotXLSX)
	}
	defer f.Close()
	names := f.GetSheetList()
	if len(names) == 0 {
		return newFileError(KeyNotXLSX)
	}
	name := names[0]
	for _, n := range names {
		if slices.Contains(dataSheetNames, fold(n)) {
			name = n
			break
		}
	}
	rows, err := f.Rows(name)
	if err != nil {
		return newFileError(KeyNotXLSX)
	}
	defer rows.Close()
	line := 0
	for rows.Next() {
		line++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return newFileError(KeyNotXLSX)
		}
		inFn = true
		err = fn(line, cells)
		inFn = false
		if err != nil {
			return err
		}
	}
	if rows.Error() != nil {
		return newFileError(KeyNotXLSX)
	}
	return nil
}

// TemplateXLSX writes an empty register workbook: the register sheet with
// the Vietnamese header row, the key row and drop-down lists for the
// enumerated columns, and an instructions sheet describing every column.
func TemplateXLSX(w io.Writer, p *regulation.Pack) error {
	return ExportXLSX(w, p, nil, nil, nil)
}

// writeXLSX builds the workbook and writes it to w.
func writeXLSX(w io.Writer, cols []Column, rows [][]cell) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := buildWorkbook(f, cols, rows); err != nil {
		return fmt.Errorf("build register workbook: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write register workbook: %w", err)
	}
	return nil
}

func buildWorkbook(f *excelize.File, cols []Column, rows [][]cell) error {
	if err := f.SetSheetName(f.GetSheetName(0), sheetData); err != nil {
		return err
	}
	if _, err := f.NewSheet(sheetHelp); err != nil {
		return err
	}
	if _, err := f.NewSheet(sheetLists); err != nil {
		return err
	}
	if err := f.SetSheetVisible(sheetLists, false); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:    "Sổ đăng ký hệ thống thông tin / Information-system register",
		Creator:  "Khiên",
		Language: "vi-VN",
	}); err != nil {
		return err
	}
	if err := dataSheet(f, cols, rows); err != nil {
		return err
	}
	if err := helpSheet(f, cols); err != nil {
		return err
	}
	return listsSheet(f, cols, len(rows))
}

func dataSheet(f *excelize.File, cols []Column, rows [][]cell) error {
	headStyle, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
	})
	if err != nil {
		return err
	}
	keyStyle, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Italic: true, Color: "808080", Size: 9},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
	})
	if err != nil {
		return err
	}
	textStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keep codes such as 001 as text
	if err != nil {
		return err
	}
	last := letter(len(cols) - 1)
	for i, c := range cols {
		l := letter(i)
		width := float64(min(max(runes(c.Header.VI)+2, 12), 40))
		if c.Kind == KindText && c.MaxLen > maxName {
			width = 50
		}
		if err := f.SetColWidth(sheetData, l, l, width); err != nil {
			return err
		}
		if c.Kind == KindText {
			if err := f.SetColStyle(sheetData, l, textStyle); err != nil {
				return err
			}
		}
		if err := f.SetCellStr(sheetData, l+"1", c.Header.VI); err != nil {
			return err
		}
		if err := f.SetCellStr(sheetData, l+"2", c.Key); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheetData, "A1", last+"1", headStyle); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheetData, "A2", last+"2", keyStyle); err != nil {
		return err
	}
	for ri, r := range rows {
		line := ri + 3
		for ci, c := range r {
			if c.s == "" {
				continue
			}
			ref := fmt.Sprintf("%s%d", letter(ci), line)
			if c.isNum {
				err = f.SetCellInt(sheetData, ref, int64(c.n))
			} else {
				err = f.SetCellStr(sheetData, ref, c.s)
			}
			if err != nil {
				return err
			}
		}
	}
	return f.SetPanes(sheetData, &excelize.Panes{
		Freeze: true, XSplit: 1, YSplit: 2, TopLeftCell: "B3", ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: "B3", ActiveCell: "B3", Pane: "bottomRight"}},
	})
}

// listsSheet writes the allowed values of each enumerated column to the
// hidden lists sheet and adds the drop-downs on the register sheet, down to
// the last exported row or MaxRows rows, whichever is lower.
func listsSheet(f *excelize.File, cols []Column, nrows int) error {
	lastRow := 2 + max(MaxRows, nrows)
	li := 0
	for i, c := range cols {
		if c.Kind != KindEnum && c.Kind != KindBool && !(c.Kind == KindInt && len(c.Values) > 0) {
			continue
		}
		if len(c.Values) == 0 {
			continue
		}
		l := letter(li)
		li++
		if err := f.SetCellStr(sheetLists, l+"1", c.Key); err != nil {
			return err
		}
		for j, v := range c.Values {
			ref := fmt.Sprintf("%s%d", l, j+2)
			var err error
			if n, convErr := strconv.Atoi(v.ID); c.Kind == KindInt && convErr == nil {
				err = f.SetCellInt(sheetLists, ref, int64(n)) // numbers, like the cells they validate
			} else {
				err = f.SetCellStr(sheetLists, ref, v.ID)
			}
			if err != nil {
				return err
			}
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s3:%s%d", letter(i), letter(i), lastRow)
		dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$2:$%s$%d", sheetLists, l, l, len(c.Values)+1))
		// A warning, not a stop: the names of the values and, for yes/no,
		// có/không are accepted too.
		dv.SetError(excelize.DataValidationErrorStyleWarning, "Giá trị ngoài danh sách",
			"Giá trị này không có trong danh sách. Xem trang \"Hướng dẫn\" để biết các giá trị hợp lệ.")
		if err := f.AddDataValidation(sheetData, dv); err != nil {
			return err
		}
	}
	return nil
}

func helpSheet(f *excelize.File, cols []Column) error {
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
	})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	intro := []string{
		"Sổ đăng ký hệ thống thông tin — hướng dẫn điền / Information-system register — how to fill it in",
		"Mỗi hệ thống một dòng trên trang \"" + sheetData + "\", bắt đầu từ dòng 3. Dòng 1 là tiêu đề, dòng 2 là khóa của cột; không sửa hai dòng này. Có thể bỏ các cột không bắt buộc.",
		"One system per row on the \"" + sheetData + "\" sheet, from row 3. Row 1 holds the headers and row 2 the column keys; do not change them. Optional columns may be removed.",
		"Cột liệt kê: các giá trị cách nhau bởi dấu phẩy hoặc chấm phẩy. Cột có/không: có, không (hoặc yes/no, 1/0, x). Có thể ghi mã hoặc tên của giá trị. Ô để trống nghĩa là chưa xác định.",
		"List columns: values separated by commas or semicolons. Yes/no columns: yes, no (or có/không, 1/0, x). A value may be written as its id or its name. A blank cell means not known.",
	}
	for i, s := range intro {
		if err := f.SetCellStr(sheetHelp, fmt.Sprintf("A%d", i+1), s); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheetHelp, "A1", "A1", bold); err != nil {
		return err
	}
	top := len(intro) + 2
	headers := []string{"Cột / Column", "Khóa / Key", "Tiêu đề", "Header", "Bắt buộc / Required", "Ý nghĩa", "Meaning", "Giá trị hợp lệ / Allowed values"}
	widths := []float64{10, 24, 30, 30, 12, 50, 50, 60}
	for i, h := range headers {
		l := letter(i)
		if err := f.SetCellStr(sheetHelp, fmt.Sprintf("%s%d", l, top), h); err != nil {
			return err
		}
		if err := f.SetColWidth(sheetHelp, l, l, widths[i]); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheetHelp, fmt.Sprintf("A%d", top), fmt.Sprintf("H%d", top), head); err != nil {
		return err
	}
	for i, c := range cols {
		row := top + 1 + i
		required := ""
		if c.Required {
			required = "có / yes"
		}
		vals := []string{letter(i), c.Key, c.Header.VI, c.Header.EN, required, c.Help.VI, c.Help.EN, allowedText(c)}
		for j, v := range vals {
			if err := f.SetCellStr(sheetHelp, fmt.Sprintf("%s%d", letter(j), row), v); err != nil {
				return err
			}
		}
	}
	return f.SetCellStyle(sheetHelp, fmt.Sprintf("A%d", top+1), fmt.Sprintf("H%d", top+len(cols)), wrap)
}

// allowedText describes a column's allowed values for the instructions
// sheet, one per line: "id — Vietnamese name / English name".
func allowedText(c Column) string {
	var lines []string
	switch c.Kind {
	case KindText:
		return fmt.Sprintf("Văn bản, tối đa %d ký tự / text, up to %d characters", c.MaxLen, c.MaxLen)
	case KindInt:
		if len(c.Values) == 0 {
			if c.Max == 0 {
				return fmt.Sprintf("Số nguyên ≥ %d / a whole number ≥ %d", c.Min, c.Min)
			}
			return fmt.Sprintf("Số nguyên %d–%d / a whole number %d–%d", c.Min, c.Max, c.Min, c.Max)
		}
	case KindList:
		lines = append(lines, "Một hoặc nhiều giá trị, cách nhau bởi dấu phẩy / one or more, separated by commas:")
	}
	for _, v := range c.Values {
		lines = append(lines, v.ID+" — "+v.Name.VI+" / "+v.Name.EN)
	}
	return strings.Join(lines, "\n")
}
