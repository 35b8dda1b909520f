package form

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/report"
)

// tablePrefix marks the fields of Form 05 printed as one table, a row per
// incident category and a column per field.
const tablePrefix = "per_incident_type."

// blankCell is printed in a table cell nobody has filled.
const blankCell = "……"

// Document lays a filled form out as an official Vietnamese document, in
// Vietnamese whatever the user's language: the masthead (governing body
// and unit upper case on the left, national title and motto on the right),
// the form number right-aligned, the place and date, the title upper case,
// the addressees, then the fields numbered in order as "label: value"
// ([Blank] for an empty value) — multi-line values as paragraphs under
// their label, Form 05's per-category counts as a table — and the
// reporter's signature block. fields are normally Prefill(in), perhaps
// edited.
func Document(in Input, fields []Field) report.Document {
	blocks := []report.Block{
		report.Paragraph{Text: strings.TrimSpace(in.Form.Number), Bold: true, Align: report.AlignRight},
		report.Paragraph{Text: orDots(in.Place) + ", " + dateLine(in), Italic: true, Align: report.AlignRight},
		report.Paragraph{Text: strings.ToUpper(strings.TrimSpace(in.Form.Title.VI)), Bold: true, Align: report.AlignCenter},
	}
	if periodic(fields) {
		blocks = append(blocks, report.Paragraph{Text: fmt.Sprintf("(Từ ngày %s đến ngày %s)",
			orDots(date(in.From)), orDots(date(in.To))), Italic: true, Align: report.AlignCenter})
	}
	blocks = append(blocks, addressees(in.Recipients))
	blocks = append(blocks, body(fields)...)
	blocks = append(blocks, signature(in))
	return report.Document{
		Header: masthead(in),
		Blocks: blocks,
		Meta:   report.Meta{Author: in.Unit.Name, Created: in.Now, Language: "vi"},
	}
}

// masthead is the governing body (when known) and the unit, upper case,
// beside the national title and motto.
func masthead(in Input) report.Header {
	var left []string
	if g := strings.TrimSpace(in.Governing); g != "" {
		left = append(left, strings.ToUpper(g))
	}
	left = append(left, strings.ToUpper(orDots(in.Unit.Name)))
	return report.Header{
		Left:  left,
		Right: []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"},
	}
}

// dateLine is "ngày 05 tháng 02 năm 2026" for in.Now in Vietnam, or a
// blank one to fill in.
func dateLine(in Input) string {
	if in.Now.IsZero() {
		return "ngày …… tháng …… năm ……"
	}
	return report.DateVI(in.Now.In(incident.Vietnam))
}

// periodic reports whether the form covers a period: Form 05, whose
// per-category fields make a table.
func periodic(fields []Field) bool {
	for _, f := range fields {
		if strings.HasPrefix(f.Key, tablePrefix) {
			return true
		}
	}
	return false
}

// addressees is the "Kính gửi" line, blank when nobody is named.
func addressees(to []string) report.Block {
	var names []string
	for _, r := range to {
		if r = oneLine(r); r != "" {
			names = append(names, r)
		}
	}
	switch len(names) {
	case 0:
		return report.Paragraph{Text: "Kính gửi: " + Blank, Align: report.AlignCenter}
	case 1:
		return report.Paragraph{Text: "Kính gửi: " + names[0] + ".", Align: report.AlignCenter}
	}
	items := make([]string, len(names))
	for i, n := range names {
		end := ";"
		if i == len(names)-1 {
			end = "."
		}
		items[i] = "- " + n + end
	}
	return report.Paragraph{Text: "Kính gửi:\n" + strings.Join(items, "\n"), Align: report.AlignCenter}
}

// body numbers the fields in order; the fields of the per-category table
// make one item, where the first of them stands.
func body(fields []Field) []report.Block {
	var out []report.Block
	n := 0
	tabled := false
	for _, f := range fields {
		if strings.HasPrefix(f.Key, tablePrefix) {
			if !tabled {
				n++
				out = append(out, categoryTable(n, fields)...)
				tabled = true
			}
			continue
		}
		n++
		out = append(out, item(n, f)...)
	}
	return out
}

// item prints one field: "n. label: value" on one line, or the label and
// then the value's paragraph when it is multi-line.
func item(n int, f Field) []report.Block {
	label := fmt.Sprintf("%d. %s", n, strings.TrimSpace(f.Label.VI))
	value := strings.TrimSpace(f.Value)
	if value == "" {
		return []report.Block{report.Paragraph{Text: label + ": " + Blank, Align: report.AlignJustify}}
	}
	if f.Multiline || strings.Contains(value, "\n") {
		return []report.Block{
			report.Paragraph{Text: label + ":", Align: report.AlignJustify},
			report.Paragraph{Text: value, Align: report.AlignJustify},
		}
	}
	return []report.Block{report.Paragraph{Text: label + ": " + value, Align: report.AlignJustify}}
}

// signature is the signature block of the signer (see Input.Signer),
// whose title, upper case, is the role; without a title, the role says
// in which capacity they sign.
func signature(in Input) report.Block {
	p, role := in.Reporter, "NGƯỜI BÁO CÁO"
	switch {
	case strings.TrimSpace(in.Signer.Name+in.Signer.Title) != "":
		p = in.Signer
	case slices.Contains(in.Form.Fields, legalRepKey):
		role = "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT"
		st := &filling{in: in}
		if party, ok := st.party(); ok && party.Representative != "" {
			p = Person{Name: party.Representative, Title: party.Title}
		} else {
			p = Person{}
		}
	}
	if t := strings.ToUpper(strings.TrimSpace(p.Title)); t != "" {
		role = t
	}
	return report.Signature{Role: role, Name: strings.TrimSpace(p.Name)}
}

// legalRepKey is the field of a form signed by the legal representative.
const legalRepKey = "legal_rep_signature"

func orDots(s string) string {
	if strings.TrimSpace(s) == "" {
		return "……"
	}
	return strings.TrimSpace(s)
}

// categoryTable prints the per-category fields as a table: a row per
// category (in the order the values name them), a column per field, a
// total row when every cell of a column is a number. Each field's value
// is read as lines "category: cell"; other lines are printed as notes
// under the table.
func categoryTable(n int, fields []Field) []report.Block {
	var cols []Field
	for _, f := range fields {
		if strings.HasPrefix(f.Key, tablePrefix) {
			cols = append(cols, f)
		}
	}
	var rows []string
	cells := map[string][]string{}
	var notes []string
	for c, f := range cols {
		for _, line := range strings.Split(f.Value, "\n") {
			row, cell, ok := splitCell(line)
			switch {
			case ok:
				if _, seen := cells[row]; !seen {
					rows = append(rows, row)
					cells[row] = make([]string, len(cols))
				}
				cells[row][c] = cell
			case strings.TrimSpace(line) != "":
				notes = append(notes, strings.TrimSpace(f.Label.VI)+": "+strings.TrimSpace(line))
			}
		}
	}
	header := []string{"STT", "Loại sự cố"}
	widths := []float64{0.9, 2.6}
	for _, f := range cols {
		header = append(header, strings.TrimSpace(f.Label.VI))
		widths = append(widths, 1.5)
	}
	table := report.Table{Header: header, Widths: widths}
	for i, r := range rows {
		row := append([]string{strconv.Itoa(i + 1), r}, cells[r]...)
		for j := range row {
			if row[j] == "" {
				row[j] = blankCell
			}
		}
		table.Rows = append(table.Rows, row)
	}
	table.Rows = append(table.Rows, append([]string{"", "Tổng cộng"}, totals(rows, cells, len(cols))...))
	out := []report.Block{
		report.Paragraph{Text: fmt.Sprintf("%d. Tình hình sự cố và kết quả ứng cứu sự cố theo loại sự cố:", n), Align: report.AlignJustify},
		table,
	}
	for _, note := range notes {
		out = append(out, report.Paragraph{Text: "Ghi chú – " + note, Italic: true, Align: report.AlignJustify})
	}
	return out
}

// splitCell splits "category: cell" at its last colon.
func splitCell(line string) (row, cell string, ok bool) {
	i := strings.LastIndex(line, ":")
	if i <= 0 {
		return "", "", false
	}
	row, cell = strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
	return row, cell, row != ""
}

// totals sums each column whose every cell is a whole number; other
// columns get a blank cell.
func totals(rows []string, cells map[string][]string, ncols int) []string {
	out := make([]string, ncols)
	for c := range ncols {
		sum, ok := 0, len(rows) > 0
		for _, r := range rows {
			v, err := strconv.Atoi(cells[r][c])
			if err != nil || v < 0 || v > 1<<40 {
				ok = false
				break
			}
			sum += v
		}
		out[c] = blankCell
		if ok {
			out[c] = strconv.Itoa(sum)
		}
	}
	return out
}
