package hunt

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/report"
)

// ReportInput is what a hunt report shows besides the hunt.
type ReportInput struct {
	Organisation string   // the issuing organisation (masthead)
	UnitName     string   // the hunt's unit
	Systems      []string // the systems covered, "CODE — Name"
	Results      []Result // the kept results
	Location     *time.Location
	Now          time.Time
}

var (
	kindVI    = map[Kind]string{KindQuery: "Truy vấn LogsQL", KindIOC: "Rà quét chỉ dấu tấn công (IOC)", KindSigma: "Săn lại bằng luật Sigma"}
	statusVI  = map[Status]string{Planned: "Dự kiến", Running: "Đang chạy", Done: "Đã chạy xong", Failed: "Lỗi", Closed: "Đã kết thúc"}
	outcomeVI = map[Outcome]string{NoCompromise: "Không phát hiện dấu hiệu xâm nhập", CompromiseFound: "Phát hiện dấu hiệu xâm nhập", Inconclusive: "Chưa đủ cơ sở kết luận"}
)

// Report builds the report of a hunt, in Vietnamese, as evidence that the
// systems it covers were hunted (Directive 18/CT-TTg): what was looked for,
// where and when, how, what was found (matches by indicator or rule, the
// first events) and the conclusion.
func Report(h Hunt, in ReportInput) report.Document {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format("02/01/2006 15:04")
	}
	org := strings.ToUpper(strings.TrimSpace(in.Organisation))
	if org == "" {
		org = "ĐƠN VỊ VẬN HÀNH"
	}
	d := report.Document{
		Header:   report.Header{Left: []string{org}, Right: []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"}},
		Title:    "BÁO CÁO KẾT QUẢ SĂN LÙNG MỐI NGUY HẠI",
		Subtitle: h.Title,
		Meta:     report.Meta{Author: "Khiên", Created: in.Now, Language: "vi"},
	}
	systems := strings.Join(in.Systems, "; ")
	if systems == "" {
		systems = "—"
	}
	trigger := map[string]string{TriggerManual: "Chủ động", TriggerSchedule: "Định kỳ 6 tháng (Chỉ thị 18/CT-TTg)",
		TriggerVuln: "Sau khi khắc phục lỗ hổng", TriggerWarning: "Theo cảnh báo của cơ quan chức năng"}[h.Trigger]
	if h.TriggerRef != "" {
		trigger += " — " + h.TriggerRef
	}
	d.Blocks = append(d.Blocks,
		report.Heading{Level: 1, Text: "1. Thông tin chung"},
		report.KeyValue{Pairs: [][2]string{
			{"Mã đợt săn tìm", "#" + strconv.FormatInt(h.ID, 10)},
			{"Đơn vị", in.UnitName},
			{"Hệ thống thông tin", systems},
			{"Lý do thực hiện", trigger},
			{"Người thực hiện", h.Analyst},
			{"Phạm vi thời gian dữ liệu", ts(h.From) + " – " + ts(h.To)},
			{"Thời gian chạy", ts(h.StartedAt) + " – " + ts(h.FinishedAt)},
			{"Trạng thái", statusVI[h.Status]},
		}},
		report.Heading{Level: 1, Text: "2. Giả thuyết và phương pháp"},
		report.Paragraph{Text: orDash(h.Hypothesis), Align: report.AlignJustify},
		report.KeyValue{Pairs: methodPairs(h)},
		report.Heading{Level: 1, Text: "3. Kết quả"},
		report.Paragraph{Text: fmt.Sprintf("Số sự kiện khớp: %d (báo cáo liệt kê tối đa %d sự kiện đầu tiên được lưu).", h.Matches, reportEvents)},
	)
	if len(in.Results) > 0 {
		counts := map[string]int{}
		for _, r := range in.Results {
			counts[orDash(r.Label)]++
		}
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return counts[keys[i]] > counts[keys[j]] || counts[keys[i]] == counts[keys[j]] && keys[i] < keys[j]
		})
		var rows [][]string
		for _, k := range keys {
			rows = append(rows, []string{k, strconv.Itoa(counts[k])})
		}
		d.Blocks = append(d.Blocks, report.Table{Header: []string{"Khớp với (luật / chỉ dấu)", "Số sự kiện được lưu"}, Rows: rows, Widths: []float64{4, 1}})
		rows = nil
		for i, r := range in.Results {
			if i == reportEvents {
				break
			}
			rows = append(rows, []string{ts(r.Time), r.Host, orDash(r.Label)})
		}
		d.Blocks = append(d.Blocks, report.Table{Header: []string{"Thời điểm", "Máy", "Khớp với"}, Rows: rows, Widths: []float64{1.2, 1.5, 3}})
	}
	d.Blocks = append(d.Blocks,
		report.Heading{Level: 1, Text: "4. Kết luận"},
		report.KeyValue{Pairs: [][2]string{{"Kết luận", orDash(outcomeVI[h.Outcome])}, {"Ngày kết thúc", ts(h.ClosedAt)}}},
		report.Paragraph{Text: orDash(h.Conclusion), Align: report.AlignJustify},
		report.Signature{Date: report.DateVI(in.Now.In(loc)), Role: "NGƯỜI THỰC HIỆN", Name: h.Analyst},
	)
	return d
}

// reportEvents is how many events a report lists.
const reportEvents = 50

func methodPairs(h Hunt) [][2]string {
	pairs := [][2]string{{"Phương pháp", kindVI[h.Kind]}}
	switch h.Kind {
	case KindQuery:
		pairs = append(pairs, [2]string{"Truy vấn", h.Query})
	case KindSigma:
		rules := "Toàn bộ luật phát hiện đang áp dụng"
		if len(h.RuleIDs) > 0 {
			rules = strings.Join(h.RuleIDs, ", ")
		}
		pairs = append(pairs, [2]string{"Luật", rules})
	case KindIOC:
		src := "Mọi chỉ dấu còn hiệu lực của đơn vị"
		if h.IndicatorSource != "" {
			src = h.IndicatorSource
		}
		pairs = append(pairs, [2]string{"Nguồn chỉ dấu", src})
	}
	if h.Kind != KindQuery && h.Query != "" {
		pairs = append(pairs, [2]string{"Điều kiện lọc", h.Query})
	}
	return pairs
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
