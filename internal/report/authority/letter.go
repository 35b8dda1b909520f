package authority

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/report"
)

// NoData is printed wherever Khiên holds no record of a fact. It never
// stands for zero or "no".
const NoData = "Chưa có dữ liệu"

// noDataNote explains NoData at the end of a report that uses it.
const noDataNote = "Ghi chú: “" + NoData + "” nghĩa là thông tin chưa được ghi nhận trong hệ thống Khiên, " +
	"không có nghĩa là “không có” hoặc bằng 0; đơn vị cần bổ sung trước khi ký, gửi báo cáo."

// Directive 09's name as cited in the text.
const directive09 = "Chỉ thị số 09/CT-TTg ngày 23/02/2024 của Thủ tướng Chính phủ"

// builder accumulates the body of a document.
type builder struct {
	blocks []report.Block
}

func (b *builder) add(bs ...report.Block) { b.blocks = append(b.blocks, bs...) }

func (b *builder) h1(text string) { b.add(report.Heading{Level: 1, Text: text}) }
func (b *builder) h2(text string) { b.add(report.Heading{Level: 2, Text: text}) }
func (b *builder) p(text string)  { b.add(report.Paragraph{Text: text, Align: report.AlignJustify}) }

// list adds a bulleted list, or nothing when items is empty.
func (b *builder) list(items ...string) {
	if len(items) > 0 {
		b.add(report.List{Items: items})
	}
}

// table adds a table with a numbered first column "STT".
func (b *builder) table(header []string, widths []float64, rows [][]string) {
	numbered := make([][]string, len(rows))
	for i, r := range rows {
		numbered[i] = append([]string{strconv.Itoa(i + 1)}, r...)
	}
	b.add(report.Table{
		Header: append([]string{"STT"}, header...),
		Rows:   numbered,
		Widths: append([]float64{0.7}, widths...),
	})
}

// frame wraps a report body in its administrative frame: masthead, number
// and date line, title, addressee, opening; then closing, note, signature
// and distribution.
type frame struct {
	letter  Letter
	org     string
	title   []string // lines under "BÁO CÁO", bold
	period  string   // italic line under the title
	opening string
	closing string
}

func (f frame) document(body []report.Block) report.Document {
	l := f.letter
	left := []string{}
	if g := strings.TrimSpace(l.Governing); g != "" {
		left = append(left, strings.ToUpper(g))
	}
	left = append(left, strings.ToUpper(orDots(f.org)))
	number := strings.TrimSpace(l.Number)
	if number == "" {
		number = "……/BC-……"
	}
	place := strings.TrimSpace(l.Place)
	if place == "" {
		place = "……"
	}
	doc := report.Document{
		Header: report.Header{
			Left:  left,
			Right: []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"},
		},
		Meta: report.Meta{Author: f.org, Created: l.Date, Language: "vi"},
	}
	var b builder
	b.add(
		report.Paragraph{Text: "Số: " + number},
		report.Paragraph{Text: place + ", " + dateLine(l.Date), Italic: true, Align: report.AlignRight},
		report.Paragraph{Text: "BÁO CÁO", Bold: true, Align: report.AlignCenter},
	)
	for _, t := range f.title {
		b.add(report.Paragraph{Text: t, Bold: true, Align: report.AlignCenter})
	}
	if f.period != "" {
		b.add(report.Paragraph{Text: f.period, Italic: true, Align: report.AlignCenter})
	}
	switch len(l.Recipients) {
	case 0:
		b.add(report.Paragraph{Text: "Kính gửi: ……", Align: report.AlignCenter})
	case 1:
		b.add(report.Paragraph{Text: "Kính gửi: " + l.Recipients[0] + ".", Align: report.AlignCenter})
	default:
		lines := make([]string, len(l.Recipients))
		for i, r := range l.Recipients {
			end := ";"
			if i == len(l.Recipients)-1 {
				end = "."
			}
			lines[i] = "- " + r + end
		}
		b.add(report.Paragraph{Text: "Kính gửi:\n" + strings.Join(lines, "\n"), Align: report.AlignCenter})
	}
	b.p(f.opening)
	b.add(body...)
	b.p(f.closing)
	if mentionsNoData(body) {
		b.add(report.Paragraph{Text: noDataNote, Italic: true, Align: report.AlignJustify})
	}
	b.add(report.Signature{Role: l.Signer.Role, Name: l.Signer.Name})
	copyTo := l.CopyTo
	if len(copyTo) == 0 {
		copyTo = []string{"Như trên", "Lưu: VT"}
	}
	lines := make([]string, len(copyTo))
	for i, c := range copyTo {
		end := ";"
		if i == len(copyTo)-1 {
			end = "."
		}
		lines[i] = "- " + c + end
	}
	b.add(report.Paragraph{Text: "Nơi nhận:", Bold: true, Italic: true},
		report.Paragraph{Text: strings.Join(lines, "\n")})
	doc.Blocks = b.blocks
	return doc
}

// mentionsNoData reports whether any block prints NoData.
func mentionsNoData(blocks []report.Block) bool {
	has := func(ss ...string) bool {
		for _, s := range ss {
			if strings.Contains(s, NoData) {
				return true
			}
		}
		return false
	}
	for _, bl := range blocks {
		switch bl := bl.(type) {
		case report.Paragraph:
			if has(bl.Text) {
				return true
			}
		case report.List:
			if has(bl.Items...) {
				return true
			}
		case report.Table:
			for _, r := range bl.Rows {
				if has(r...) {
					return true
				}
			}
		case report.KeyValue:
			for _, kv := range bl.Pairs {
				if has(kv[1]) {
					return true
				}
			}
		}
	}
	return false
}

// dateLine is "ngày 05 tháng 02 năm 2026", or a blank one to fill in.
func dateLine(t time.Time) string {
	if t.IsZero() {
		return "ngày …… tháng …… năm ……"
	}
	return report.DateVI(t)
}

// dmy formats a date as dd/mm/yyyy in its own location; "" for zero.
func dmy(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02/01/2006")
}

// dmyOr is dmy, or alt for the zero time.
func dmyOr(t time.Time, alt string) string {
	if t.IsZero() {
		return alt
	}
	return dmy(t)
}

// civil is the calendar day of t (in t's location) at 00:00 UTC, for
// comparing dates and writing them to spreadsheets.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func orDots(s string) string {
	if strings.TrimSpace(s) == "" {
		return "……"
	}
	return s
}

func orNoData(s string) string {
	if strings.TrimSpace(s) == "" {
		return NoData
	}
	return s
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "Không có."
	}
	return s
}

// systemName is "Name (CODE)".
func systemName(s System) string {
	switch {
	case s.Code == "":
		return orNoData(s.Name)
	case s.Name == "":
		return s.Code
	}
	return s.Name + " (" + s.Code + ")"
}

// levelVI is "Cấp độ 3", or "Chưa xác định" for 0.
func levelVI(n int) string {
	if n == 0 {
		return "Chưa xác định"
	}
	return "Cấp độ " + strconv.Itoa(n)
}

// levelCell is the bare level number, or "Chưa xác định" for 0.
func levelCell(n int) string {
	if n == 0 {
		return "Chưa xác định"
	}
	return strconv.Itoa(n)
}

var planVI = map[PlanStatus]string{
	PlanUnknown: NoData,
	PlanNone:    "Chưa triển khai",
	PlanPartial: "Mới triển khai một phần",
	PlanFull:    "Đã triển khai đầy đủ",
}

func (p PlanStatus) vi() string {
	if s, ok := planVI[p]; ok {
		return s
	}
	return NoData
}

// say prints an Answer with the words for yes and no.
func (a Answer) say(yes, no string) string {
	switch a {
	case Yes:
		return yes
	case No:
		return no
	}
	return NoData
}

// decisionVI is "Quyết định số 12/QĐ-UBND ngày 01/02/2025".
func decisionVI(no string, date time.Time) string {
	switch {
	case no == "" && date.IsZero():
		return NoData
	case date.IsZero():
		return "Quyết định số " + no
	case no == "":
		return "Quyết định ngày " + dmy(date)
	}
	return "Quyết định số " + no + " ngày " + dmy(date)
}

// percentVI is the share of n in d as "66,7%", or "—" when d is 0.
func percentVI(n, d int) string {
	if d <= 0 {
		return "—"
	}
	s := strconv.FormatFloat(float64(n)*100/float64(d), 'f', 1, 64)
	return strings.Replace(strings.TrimSuffix(s, ".0"), ".", ",", 1) + "%"
}

// partyPairs are the Art. 14 item 1 details of a party.
func partyPairs(p Party) [][2]string {
	return [][2]string{
		{"Tên cơ quan, tổ chức", orNoData(p.Name)},
		{"Chức năng, nhiệm vụ, quyền hạn", orNoData(p.Functions)},
		{"Người đại diện", orNoData(p.Representative)},
		{"Chức vụ", orNoData(p.Title)},
		{"Địa chỉ", orNoData(p.Address)},
		{"Điện thoại", orNoData(p.Phone)},
		{"Thư điện tử", orNoData(p.Email)},
	}
}

// countOf is "2/3 hệ thống".
func countOf(n, total int) string { return fmt.Sprintf("%d/%d hệ thống", n, total) }
