package sheet_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/system/sheet"
)

func TestColumns(t *testing.T) {
	p := pack(t)
	cols := sheet.Columns(p)

	seen := map[string]string{} // folded-ish alias → key
	byKey := map[string]sheet.Column{}
	for _, c := range cols {
		if _, dup := byKey[c.Key]; dup {
			t.Errorf("key %q appears twice", c.Key)
		}
		byKey[c.Key] = c
		if c.Header.VI == "" || c.Header.EN == "" || c.Help.VI == "" || c.Help.EN == "" {
			t.Errorf("column %q lacks a header or help text: %+v", c.Key, c)
		}
		for _, a := range []string{c.Key, c.Header.VI, c.Header.EN} {
			a = strings.ToLower(a)
			if other, dup := seen[a]; dup && other != c.Key {
				t.Errorf("header %q names both %q and %q", a, other, c.Key)
			}
			seen[a] = c.Key
		}
		if (c.Kind == sheet.KindEnum || c.Kind == sheet.KindList || c.Kind == sheet.KindBool) && len(c.Values) == 0 {
			t.Errorf("enumerated column %q has no values", c.Key)
		}
	}

	// The brief's columns, in this order.
	var keys []string
	for _, c := range cols {
		keys = append(keys, c.Key)
	}
	wantPrefix := []string{"code", "name", "unit_code", "status", "hosting", "parent_code", "system_type", "info_types",
		"state_secret_grade", "data_subjects", "online_public_service_level", "conditional_business_line",
		"infrastructure_scope", "works_grade", "requires_24x7", "unplanned_downtime_acceptable", "national_e_government",
		"especially_important_national_data", "owner_name", "operator_name", "is_unit_name", "scope", "description"}
	diff(t, "column keys", wantPrefix, keys[:len(wantPrefix)])

	for _, f := range regulation.ProfileFields() {
		if c, ok := byKey[f]; !ok || c.Field != f {
			t.Errorf("profile field %q has no column", f)
		}
	}
	var required []string
	for _, c := range cols {
		if c.Required {
			required = append(required, c.Key)
		}
	}
	diff(t, "required columns", []string{"code", "name", "unit_code", "status", "hosting", "system_type"}, required)

	// Allowed values come from the pack.
	ids := func(vs []sheet.Value) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return out
	}
	var want []string
	for _, st := range p.SystemTypes() {
		want = append(want, st.ID)
	}
	diff(t, "system types", want, ids(byKey["system_type"].Values))
	want = nil
	for _, it := range p.InfoTypes() {
		want = append(want, it.ID)
	}
	diff(t, "info types", want, ids(byKey["info_types"].Values))
	want = nil
	for _, c := range p.InfrastructureScopes() {
		want = append(want, c.ID)
	}
	diff(t, "infrastructure scopes", want, ids(byKey["infrastructure_scope"].Values))
	want = nil
	for _, c := range p.WorksGrades() {
		want = append(want, c.ID)
	}
	diff(t, "works grades", want, ids(byKey["works_grade"].Values))
	diff(t, "service levels", []string{"0", "1", "2", "3", "4"}, ids(byKey["online_public_service_level"].Values))
	diff(t, "grades", []string{"mat", "toi_mat", "tuyet_mat"}, ids(byKey["state_secret_grade"].Values))
	diff(t, "statuses", []string{"planned", "operating", "retired"}, ids(byKey["status"].Values))
	diff(t, "hostings", []string{"on_premises", "data_centre", "cloud", "hybrid"}, ids(byKey["hosting"].Values))
}

func TestTemplate(t *testing.T) {
	p := pack(t)
	for _, tc := range []struct {
		name     string
		template func(*bytes.Buffer, *regulation.Pack) error
		parse    parser
	}{
		{"csv", func(b *bytes.Buffer, p *regulation.Pack) error { return sheet.TemplateCSV(b, p) }, sheet.ParseCSV},
		{"xlsx", func(b *bytes.Buffer, p *regulation.Pack) error { return sheet.TemplateXLSX(b, p) }, sheet.ParseXLSX},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.template(&b, p); err != nil {
				t.Fatal(err)
			}
			rep, err := tc.parse(bytes.NewReader(b.Bytes()), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Rows) != 0 || len(rep.FileProblems) != 0 || !rep.OK() {
				t.Errorf("template reads back as %+v, want no rows and no problems", rep)
			}
		})
	}
}

func TestTemplateXLSX_content(t *testing.T) {
	p := pack(t)
	var b bytes.Buffer
	if err := sheet.TemplateXLSX(&b, p); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	diff(t, "sheets", []string{"Hệ thống", "Hướng dẫn", "DanhMuc"}, f.GetSheetList())

	cols := sheet.Columns(p)
	rows, err := f.GetRows("Hệ thống")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("register sheet has %d rows, want the 2 header rows", len(rows))
	}
	for i, c := range cols {
		if rows[0][i] != c.Header.VI || rows[1][i] != c.Key {
			t.Errorf("column %d headers = %q / %q, want %q / %q", i, rows[0][i], rows[1][i], c.Header.VI, c.Key)
		}
	}

	// A drop-down for every enumerated column, pointing at its values.
	dvs, err := f.GetDataValidations("Hệ thống")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, dv := range dvs {
		col, _, err := excelize.SplitCellName(strings.Split(dv.Sqref, ":")[0])
		if err != nil {
			t.Fatal(err)
		}
		n, _ := excelize.ColumnNameToNumber(col)
		listed = append(listed, cols[n-1].Key)
		if dv.Type != "list" {
			t.Errorf("validation on %s is %q, want a list", dv.Sqref, dv.Type)
		}
	}
	var want []string
	for _, c := range cols {
		if len(c.Values) > 0 && c.Kind != sheet.KindList {
			want = append(want, c.Key)
		}
	}
	diff(t, "drop-down columns", want, listed)
	lists, err := f.GetCols("DanhMuc")
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range want {
		var c sheet.Column
		for _, cc := range cols {
			if cc.Key == key {
				c = cc
			}
		}
		var ids []string
		for _, v := range c.Values {
			ids = append(ids, v.ID)
		}
		got := lists[i]
		for len(got) > 0 && got[len(got)-1] == "" {
			got = got[:len(got)-1]
		}
		diff(t, "list of "+key, append([]string{key}, ids...), got)
	}

	// The instructions sheet lists every column with its allowed values.
	help, err := f.GetRows("Hướng dẫn")
	if err != nil {
		t.Fatal(err)
	}
	var helpKeys []string
	for _, r := range help {
		if len(r) > 1 && slices.ContainsFunc(cols, func(c sheet.Column) bool { return c.Key == r[1] }) {
			helpKeys = append(helpKeys, r[1])
			if r[1] == "system_type" && !strings.Contains(r[7], "citizen_business — Hệ thống thông tin phục vụ người dân, doanh nghiệp") {
				t.Errorf("allowed values of system_type = %q", r[7])
			}
		}
	}
	var allKeys []string
	for _, c := range cols {
		allKeys = append(allKeys, c.Key)
	}
	diff(t, "instruction rows", allKeys, helpKeys)
}

// registerFixture returns systems using every column, with Vietnamese text
// in NFC, in the canonical form a round trip keeps: Unanswered in
// ProfileFields order and yes/no fields in it false.
func registerFixture(p *regulation.Pack) ([]system.System, map[int64]string, map[int64]string) {
	allUnanswered := []string{
		regulation.FieldOnlinePublicServiceLevel, regulation.FieldConditionalBusinessLine, regulation.FieldRequires24x7,
		regulation.FieldUnplannedDowntimeAcceptable, regulation.FieldNationalEGovernment, regulation.FieldEspeciallyImportantNationalData,
	}
	systems := []system.System{
		{
			ID: 1, UnitID: 10, Code: "HT-001", Name: "Cổng dịch vụ công tỉnh Thừa Thiên Huế",
			Description: "Cổng thông tin điện tử; cung cấp \"dịch vụ công\", mức độ 4.\nDòng thứ hai: ổn định, đầy đủ.",
			Status:      system.Operating, Hosting: system.DataCentre, PackID: p.ID(),
			Scope: "Toàn tỉnh, khoảng 1.200.000 người dân và doanh nghiệp",
			Profile: regulation.Profile{
				SystemType: "citizen_business", InfoTypes: []string{"public", "personal"}, DataSubjects: 1_200_000,
				OnlinePublicServiceLevel: 4, Requires24x7: true,
			},
			Owner: system.Party{Name: "Ủy ban nhân dân tỉnh Thừa Thiên Huế", Representative: "Nguyễn Văn Ánh", Title: "Chủ tịch",
				Address: "16 Lê Lợi, phường Vĩnh Ninh, TP. Huế", Phone: "+84 234 3822 000", Email: "ubnd@thuathienhue.gov.vn"},
			Operator: system.Party{Name: "Sở Thông tin và Truyền thông", Representative: "Trần Thị Ngọc Hường", Title: "Giám đốc",
				Address: "24 Nguyễn Huệ, TP. Huế", Phone: "0234-3822-111", Email: "stttt@thuathienhue.gov.vn"},
			ISUnit: system.Party{Name: "Trung tâm Giám sát, điều hành đô thị thông minh", Representative: "Lê Quốc Bảo", Title: "Trưởng phòng",
				Address: "01 Lê Lai, TP. Huế", Phone: "(0234) 3 888 999", Email: "soc@thuathienhue.gov.vn"},
		},
		{
			ID: 2, UnitID: 11, ParentID: 1, Code: "001", Name: "Phân hệ quản lý hồ sơ mật",
			Description: "=HYPERLINK(\"http://example.invalid\",\"nhấn vào đây\")", Status: system.Planned, Hosting: system.Cloud, PackID: p.ID(),
			Profile: regulation.Profile{
				SystemType: "other", InfoTypes: []string{"state_secret"}, StateSecretGrade: "toi_mat",
				Unanswered: allUnanswered,
			},
			Owner: system.Party{Name: "@Ban cơ yếu"},
		},
		{
			ID: 3, UnitID: 10, Code: "SCADA_1", Name: "Hệ thống điều khiển trạm bơm Đồng Hới", Status: system.Retired, Hosting: system.Hybrid,
			PackID: p.ID(), Description: "-- ghi chú; có dấu chấm phẩy, dấu phẩy và \"ngoặc kép\"",
			Profile: regulation.Profile{
				SystemType: "ics", WorksGrade: "II", ConditionalBusinessLine: true, OnlinePublicServiceLevel: 0,
				Unanswered: []string{regulation.FieldRequires24x7},
			},
		},
		{
			ID: 4, UnitID: 12, ParentID: 3, Code: "HTTT-QG-ĐB", Name: "Trục liên thông văn bản quốc gia", Status: system.Operating, Hosting: system.OnPremises,
			PackID: p.ID(),
			Profile: regulation.Profile{
				SystemType: "infrastructure", InfoTypes: []string{"private", "public"}, InfrastructureScope: "national_or_shared_nationwide",
				DataSubjects: 15, OnlinePublicServiceLevel: 2, NationalEGovernment: true, EspeciallyImportantNationalData: true,
				UnplannedDowntimeAcceptable: true,
			},
			ISUnit: system.Party{Name: "Cục An toàn thông tin", Address: "115 Trần Duy Hưng, Hà Nội", Title: "Cục trưởng"},
		},
	}
	units := map[int64]string{10: "UBND-TTH", 11: "SO-TTTT", 12: "BO-TTTT"}
	codes := map[int64]string{}
	for _, s := range systems {
		codes[s.ID] = s.Code
	}
	return systems, units, codes
}

func TestExport_roundTrip(t *testing.T) {
	p := pack(t)
	systems, units, codes := registerFixture(p)
	var want []sheet.Row
	for i, s := range systems {
		for _, text := range []string{s.Name, s.Description, s.Scope, s.Owner.Name, s.Owner.Address} {
			if !norm.NFC.IsNormalString(text) {
				t.Fatalf("fixture %q is not NFC", text)
			}
		}
		r := sheet.Row{Line: i + 3, System: s, UnitCode: units[s.UnitID], ParentCode: codes[s.ParentID]}
		r.System.ID, r.System.UnitID, r.System.ParentID = 0, 0, 0
		want = append(want, r)
	}
	unitCode := func(id int64) string { return units[id] }
	systemCode := func(id int64) string { return codes[id] }

	for _, tc := range []struct {
		name   string
		export func(*bytes.Buffer) error
		parse  parser
	}{
		{"csv", func(b *bytes.Buffer) error { return sheet.ExportCSV(b, p, systems, unitCode, systemCode) }, sheet.ParseCSV},
		{"xlsx", func(b *bytes.Buffer) error { return sheet.ExportXLSX(b, p, systems, unitCode, systemCode) }, sheet.ParseXLSX},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.export(&b); err != nil {
				t.Fatal(err)
			}
			if tc.name == "csv" {
				if !bytes.HasPrefix(b.Bytes(), []byte("\xEF\xBB\xBF")) {
					t.Error("CSV export has no byte-order mark")
				}
				if !bytes.Contains(b.Bytes(), []byte(`"'=HYPERLINK(`)) || !bytes.Contains(b.Bytes(), []byte(`'@Ban`)) {
					t.Error("CSV export does not neutralise formula-like cells")
				}
			}
			rep, err := tc.parse(bytes.NewReader(b.Bytes()), p)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Errorf("export reads back with problems: %v", rep.Problems())
			}
			diff(t, "rows", want, rep.Rows, cmpopts.EquateEmpty())
		})
	}
}

func TestParseCSV_formats(t *testing.T) {
	p := pack(t)
	nfd := norm.NFD.String
	wantSystem := system.System{
		Code: "HT1", Name: "Hệ thống quản lý văn bản", Status: system.Operating, Hosting: system.Cloud, PackID: p.ID(),
		Profile: regulation.Profile{
			SystemType: "internal", InfoTypes: []string{"public", "private"}, DataSubjects: 10000,
			OnlinePublicServiceLevel: 0, Requires24x7: true, ConditionalBusinessLine: false,
			Unanswered: []string{regulation.FieldUnplannedDowntimeAcceptable, regulation.FieldNationalEGovernment, regulation.FieldEspeciallyImportantNationalData},
		},
		Owner: system.Party{Name: "Sở Tài chính"},
	}
	for _, tc := range []struct {
		name  string
		input []byte
		line  int
	}{
		{"comma", csvBytes(
			"code,name,unit_code,status,hosting,system_type,info_types,data_subjects,online_public_service_level,requires_24x7,conditional_business_line,owner_name",
			"HT1,Hệ thống quản lý văn bản,U1,operating,cloud,internal,\"public, private\",10000,0,yes,no,Sở Tài chính",
		), 2},
		{"semicolon_bom_vietnamese_headers", append([]byte("\xEF\xBB\xBF"), csvBytes(
			"MÃ HỆ THỐNG;tên hệ thống;Ma don vi;Trạng Thái;NƠI ĐẶT;Loai he thong;Loại thông tin được xử lý;"+
				"Số người sử dụng có thông tin riêng, thông tin cá nhân được xử lý;muc do dich vu cong truc tuyen;YÊU CẦU VẬN HÀNH 24/7;"+
				"Thuộc ngành nghề kinh doanh có điều kiện;Chủ quản hệ thống",
			"HT1;Hệ thống quản lý văn bản;U1;Đang vận hành;Điện toán đám mây;Hệ thống thông tin phục vụ hoạt động nội bộ;"+
				"Thông tin công cộng, thông tin riêng;10.000;0;có;không;Sở Tài chính",
		)...), 2},
		{"english_headers_tab_key_row", csvBytes(
			"System code\tSystem name\tUnit code\tStatus\tHosting\tSystem type\tInformation processed\t"+
				"Number of users whose private or personal information is processed\tOnline public service level\t24/7 operation required\t"+
				"Conditional business line\tSystem owner",
			"code\tname\tunit_code\tstatus\thosting\tsystem_type\tinfo_types\tdata_subjects\tonline_public_service_level\trequires_24x7\tconditional_business_line\towner_name",
			"",
			"HT1\tHệ thống quản lý văn bản\tU1\tOperating\tCLOUD\tInternal-operation system\tpublic;Private information\t10,000\t0\tx\tfalse\tSở Tài chính",
		), 4},
		{"nfd_text_sep_line_lone_cr", []byte(nfd(
			"sep=;\r" +
				"Mã hệ thống;Tên hệ thống;Mã đơn vị;Trạng thái;Nơi đặt;Loại hệ thống;Loại thông tin được xử lý;data_subjects;" +
				"online_public_service_level;requires_24x7;conditional_business_line;owner_name\r" +
				"HT1;Hệ thống quản lý văn bản;U1;operating;cloud;internal;public,private; 10 000 ;0;Có;KHÔNG;Sở Tài chính\r")), 2},
		{"header_with_key_in_brackets", csvBytes(
			"Mã (code),Tên (name),Đơn vị (unit_code),status,hosting,system_type,info_types,data_subjects,online_public_service_level,requires_24x7,conditional_business_line,owner_name",
			"HT1,Hệ thống quản lý văn bản,U1,operating,cloud,internal,\"public;private;public\",10000,0,1,0,  Sở Tài chính  ",
		), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := sheet.ParseCSV(bytes.NewReader(tc.input), p)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Fatalf("problems: %v", rep.Problems())
			}
			want := []sheet.Row{{Line: tc.line, System: wantSystem, UnitCode: "U1"}}
			diff(t, "rows", want, rep.Rows, cmpopts.EquateEmpty())
		})
	}
}

func TestParse_problems(t *testing.T) {
	p := pack(t)
	const head = "code,name,unit_code,status,hosting,system_type"
	long := strings.Repeat("ă", 301)
	for _, tc := range []struct {
		name      string
		lines     []string
		wantFile  []at
		wantRows  []at
		wantCount int // rows read
	}{
		{
			name:  "missing_required_columns",
			lines: []string{"code,name,description", "A,Hệ thống A,", "B,Hệ thống B,mô tả"},
			wantFile: []at{
				{1, "unit_code", sheet.KeyMissingColumn}, {1, "status", sheet.KeyMissingColumn},
				{1, "hosting", sheet.KeyMissingColumn}, {1, "system_type", sheet.KeyMissingColumn},
			},
			wantCount: 2,
		},
		{
			name:  "unknown_duplicate_and_headerless_columns",
			lines: []string{head + ",descripton,xyz,Tên hệ thống", "A,Hệ thống A,U,planned,cloud,other,d,e,f,stray"},
			wantFile: []at{
				{1, "descripton", sheet.KeyUnknownColumnHint}, {1, "xyz", sheet.KeyUnknownColumn},
				{1, "name", sheet.KeyDuplicateColumn}, {1, "J", sheet.KeyNoHeader},
			},
			wantCount: 1,
		},
		{
			name: "duplicate_codes_on_each_row",
			lines: []string{head, "A,Một,U,planned,cloud,other", "B,Hai,U,planned,cloud,other", "A,Ba,U,planned,cloud,other",
				"A,Bốn,U,planned,cloud,other"},
			wantRows:  []at{{2, "code", sheet.KeyDuplicateCode}, {4, "code", sheet.KeyDuplicateCode}, {5, "code", sheet.KeyDuplicateCode}},
			wantCount: 4,
		},
		{
			name: "several_bad_values_on_one_row",
			lines: []string{
				head + ",info_types,state_secret_grade,data_subjects,online_public_service_level,works_grade,requires_24x7,national_e_government",
				"A,Một,U,bad,moon,nope,\"public;secret;personal;x\",mat,-5,5,V,maybe,có",
				"B,Hai,U,planned,cloud,other,,,abc,-1,,,",
			},
			wantRows: []at{
				{2, "status", sheet.KeyUnknownValue}, {2, "hosting", sheet.KeyUnknownValue}, {2, "system_type", sheet.KeyUnknownValue},
				{2, "info_types", sheet.KeyUnknownValue}, {2, "info_types", sheet.KeyUnknownValue},
				{2, "data_subjects", sheet.KeyBelowMin}, {2, "online_public_service_level", sheet.KeyAboveMax},
				{2, "works_grade", sheet.KeyUnknownValue}, {2, "requires_24x7", sheet.KeyNotBoolean},
				{3, "data_subjects", sheet.KeyNotInteger}, {3, "online_public_service_level", sheet.KeyBelowMin},
			},
			wantCount: 2,
		},
		{
			name:      "required_cells_blank",
			lines:     []string{head + ",description", ",,,,,,chỉ có mô tả"},
			wantRows:  []at{{2, "code", sheet.KeyRequired}, {2, "name", sheet.KeyRequired}, {2, "unit_code", sheet.KeyRequired}, {2, "status", sheet.KeyRequired}, {2, "hosting", sheet.KeyRequired}, {2, "system_type", sheet.KeyRequired}},
			wantCount: 1,
		},
		{
			name: "codes_and_lengths",
			lines: []string{head + ",parent_code,owner_name",
				"A B,Một,U 1,planned,cloud,other,p/q,Chủ quản",
				strings.Repeat("x", 65) + "," + long + ",U,planned,cloud,other,," + long,
				"a/b,Hai,U,planned,cloud,other,,",
			},
			wantRows: []at{
				{2, "code", sheet.KeyCodeFormat}, {2, "unit_code", sheet.KeyCodeFormat}, {2, "parent_code", sheet.KeyCodeFormat},
				{3, "code", sheet.KeyCodeFormat}, {3, "name", sheet.KeyTooLong}, {3, "owner_name", sheet.KeyTooLong},
				{4, "code", sheet.KeyCodeFormat},
			},
			wantCount: 3,
		},
		{
			name:      "grade_without_graded_information",
			lines:     []string{head + ",info_types,state_secret_grade", "A,Một,U,planned,cloud,other,public,Tối mật", "B,Hai,U,planned,cloud,other,\"public, state_secret\",toi_mat"},
			wantRows:  []at{{2, "state_secret_grade", sheet.KeyGradeWithoutType}},
			wantCount: 2,
		},
		{
			name: "parents",
			lines: []string{head + ",parent_code",
				"A,Một,U,planned,cloud,other,A",
				"B,Hai,U,planned,cloud,other,C",
				"C,Ba,U,planned,cloud,other,D",
				"D,Bốn,U,planned,cloud,other,B",
				"E,Năm,U,planned,cloud,other,B",
				"F,Sáu,U,planned,cloud,other,ZZZ",
			},
			wantRows: []at{
				{2, "parent_code", sheet.KeyParentSelf},
				{3, "parent_code", sheet.KeyParentCycle}, {4, "parent_code", sheet.KeyParentCycle}, {5, "parent_code", sheet.KeyParentCycle},
			},
			wantCount: 6,
		},
		{
			name:      "unclosed_quote",
			lines:     []string{head + ",description", "A,Một,U,planned,cloud,other,ok", "B,Hai,U,planned,cloud,other,\"never closed", "C,Ba,U,planned,cloud,other,"},
			wantFile:  []at{{3, "", sheet.KeyUnclosedQuote}},
			wantCount: 2,
		},
		{
			name:     "empty_file",
			lines:    []string{"", " , ,"},
			wantFile: []at{{0, "", sheet.KeyEmpty}},
		},
		{
			name:      "numbered_blank_rows_are_skipped",
			lines:     []string{"STT," + head, "1,A,Một,U,planned,cloud,other", "2,,,,,,", "3,,,,,,"},
			wantFile:  []at{{1, "STT", sheet.KeyUnknownColumn}},
			wantCount: 1,
		},
		{
			name: "title_rows_above_the_header",
			lines: []string{"ỦY BAN NHÂN DÂN TỈNH A,,,", "SỔ ĐĂNG KÝ HỆ THỐNG THÔNG TIN", "(kèm theo Công văn số 12/STTTT)", "",
				"Mã hệ thống,Tên hệ thống,Mã đơn vị,Trạng thái,Nơi đặt,Loại hệ thống", "A,Một,U,planned,cloud,other"},
			wantCount: 1,
		},
		{
			name:      "no_header_found_first_row_is_header",
			lines:     []string{"Sổ đăng ký", "x,y", "A,Một,U,planned,cloud,other"},
			wantFile:  []at{{1, "Sổ đăng ký", sheet.KeyUnknownColumn}, {1, "code", sheet.KeyMissingColumn}, {1, "name", sheet.KeyMissingColumn}, {1, "unit_code", sheet.KeyMissingColumn}, {1, "status", sheet.KeyMissingColumn}, {1, "hosting", sheet.KeyMissingColumn}, {1, "system_type", sheet.KeyMissingColumn}, {1, "B", sheet.KeyNoHeader}, {1, "C", sheet.KeyNoHeader}, {1, "D", sheet.KeyNoHeader}, {1, "E", sheet.KeyNoHeader}, {1, "F", sheet.KeyNoHeader}},
			wantCount: 0,
		},
		{
			name:  "blank_rows_are_skipped",
			lines: []string{"", head, "", ",,,,,", "A,Một,U,planned,cloud,other", ""},
			// Header on row 2, data on row 5.
			wantCount: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := parseCSV(t, p, tc.lines...)
			diff(t, "file problems", tc.wantFile, ats(rep.FileProblems))
			diff(t, "row problems", tc.wantRows, rowProblems(rep))
			if len(rep.Rows) != tc.wantCount {
				t.Errorf("read %d rows, want %d", len(rep.Rows), tc.wantCount)
			}
			if rep.OK() != (len(tc.wantFile)+len(tc.wantRows) == 0) {
				t.Errorf("OK() = %v", rep.OK())
			}
			for _, pr := range rep.Problems() {
				if pr.Message.VI == "" || pr.Message.EN == "" || strings.HasPrefix(pr.Message.EN, "sheet.") || strings.Contains(pr.Message.EN, "%!") {
					t.Errorf("problem %+v has no proper message", pr)
				}
			}
		})
	}
}

func TestParse_problemDetails(t *testing.T) {
	p := pack(t)
	rep := parseCSV(t, p,
		"code,name,unit_code,status,hosting,system_type,info_types,Trang thai he",
		"A,Một,U,bad,cloud,other,\"public;secret\",",
		"A,Hai,U,planned,cloud,other,,",
		"B,Ba,U,planned,cloud,other,,",
		"A,Bốn,U,planned,cloud,other,,",
	)
	diff(t, "unknown column", []sheet.Problem{{
		Line: 1, Column: "Trang thai he", Value: "Trang thai he", Key: sheet.KeyUnknownColumnHint, Args: []any{"Trạng thái"},
		Message: regulation.Text{
			VI: "Đây không phải cột của sổ đăng ký; cột này bị bỏ qua. Có phải ý bạn là \"Trạng thái\"?",
			EN: "This is not a column of the register; it is ignored. Did you mean \"Trạng thái\"?",
		},
	}}, rep.FileProblems)
	diff(t, "row 2", []sheet.Problem{
		{Line: 2, Column: "code", Value: "A", Key: sheet.KeyDuplicateCode, Args: []any{"A", "3, 5"},
			Message: regulation.Text{VI: "Mã \"A\" cũng được dùng ở dòng 3, 5.", EN: "Code \"A\" is also used on row 3, 5."}},
		{Line: 2, Column: "status", Value: "bad", Key: sheet.KeyUnknownValue, Args: []any{"bad", "planned, operating, retired"},
			Message: regulation.Text{
				VI: "\"bad\" không phải giá trị hợp lệ (giá trị hợp lệ: planned, operating, retired).",
				EN: "\"bad\" is not an allowed value (allowed: planned, operating, retired).",
			}},
		{Line: 2, Column: "info_types", Value: "secret", Key: sheet.KeyUnknownValue, Args: []any{"secret", "public, private, personal, state_secret"},
			Message: regulation.Text{
				VI: "\"secret\" không phải giá trị hợp lệ (giá trị hợp lệ: public, private, personal, state_secret).",
				EN: "\"secret\" is not an allowed value (allowed: public, private, personal, state_secret).",
			}},
	}, rep.Rows[0].Problems)
	if got, want := rep.Rows[0].Problems[1].String(), `row 2, column status: "bad" is not an allowed value (allowed: planned, operating, retired).`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}

	// A caller adds its own findings.
	r := rep.Rows[2]
	r.AddProblem(sheet.KeyUnitCode, "U", sheet.KeyUnknownUnit, "U")
	diff(t, "added", []sheet.Problem{{Line: 4, Column: "unit_code", Value: "U", Key: sheet.KeyUnknownUnit, Args: []any{"U"},
		Message: regulation.Text{VI: "Không có đơn vị nào có mã \"U\".", EN: "No unit has the code \"U\"."}}}, r.Problems)
}

func TestParse_unanswered(t *testing.T) {
	p := pack(t)
	rep := parseCSV(t, p,
		"code,name,unit_code,status,hosting,system_type,online_public_service_level,requires_24x7,conditional_business_line,national_e_government",
		"A,Một,U,planned,cloud,other,,,không,",
		"B,Hai,U,planned,cloud,other,0,x,,no",
	)
	if !rep.OK() {
		t.Fatal(rep.Problems())
	}
	// Columns left out of the file are unanswered too.
	diff(t, "row 2", []string{"online_public_service_level", "requires_24x7", "unplanned_downtime_acceptable", "national_e_government", "especially_important_national_data"},
		rep.Rows[0].System.Profile.Unanswered)
	diff(t, "row 3", []string{"conditional_business_line", "unplanned_downtime_acceptable", "especially_important_national_data"},
		rep.Rows[1].System.Profile.Unanswered)
	if pr := rep.Rows[1].System.Profile; !pr.Requires24x7 || pr.NationalEGovernment || pr.OnlinePublicServiceLevel != 0 {
		t.Errorf("row 3 profile = %+v", pr)
	}
}

func TestParseXLSX_workbook(t *testing.T) {
	p := pack(t)
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Ghi chú"))
	must(f.SetCellStr("Ghi chú", "A1", "not the register"))
	_, err := f.NewSheet("SYSTEMS")
	must(err)
	must(f.SetSheetRow("SYSTEMS", "A1", &[]any{"Mã hệ thống", "Tên hệ thống", "Mã đơn vị", "Trạng thái", "Nơi đặt", "Loại hệ thống",
		"data_subjects", "online_public_service_level", "requires_24x7", "national_e_government"}))
	must(f.SetSheetRow("SYSTEMS", "A2", &[]any{"A", "Một", "U", "operating", "cloud", "citizen_business", 15000, 3, true, false}))
	// Rows 3 and 4 missing: the next row keeps its spreadsheet number.
	must(f.SetSheetRow("SYSTEMS", "A5", &[]any{"B", "Hai", "U", "operating", "cloud", "bogus", "12,5", 2, "có", "x"}))
	var b bytes.Buffer
	must(f.Write(&b))

	rep, err := sheet.ParseXLSX(&b, p)
	must(err)
	if len(rep.Rows) != 2 {
		t.Fatalf("rows = %+v", rep.Rows)
	}
	pr := rep.Rows[0].System.Profile
	if pr.DataSubjects != 15000 || pr.OnlinePublicServiceLevel != 3 || !pr.Requires24x7 || pr.NationalEGovernment {
		t.Errorf("row 2 profile = %+v", pr)
	}
	diff(t, "problems", []at{{5, "system_type", sheet.KeyUnknownValue}, {5, "data_subjects", sheet.KeyNotInteger}}, rowProblems(rep))
}

func TestParse_limits(t *testing.T) {
	p := pack(t)
	const head = "code,name,unit_code,status,hosting,system_type"
	rows := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(head + "\n")
		for i := range n {
			fmt.Fprintf(&b, "S%06d,Tên,U,planned,cloud,other\n\n", i) // blank rows do not count
		}
		return b.Bytes()
	}
	xlsxRows := func(t *testing.T, n int) []byte {
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		if err := sw.SetRow("A1", []any{"code", "name", "unit_code", "status", "hosting", "system_type"}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, []any{"S" + strconv.Itoa(i), "Tên", "U", "planned", "cloud", "other"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	big := append([]byte(head+"\nA,"), bytes.Repeat([]byte("x"), sheet.MaxBytes)...)

	for _, tc := range []struct {
		name    string
		parse   parser
		input   func(t *testing.T) []byte
		wantKey string // "" = no error
		rows    int
	}{
		{"csv_max_rows", sheet.ParseCSV, func(*testing.T) []byte { return rows(sheet.MaxRows) }, "", sheet.MaxRows},
		{"csv_too_many_rows", sheet.ParseCSV, func(*testing.T) []byte { return rows(sheet.MaxRows + 1) }, sheet.KeyTooManyRows, 0},
		{"csv_too_large", sheet.ParseCSV, func(*testing.T) []byte { return big }, sheet.KeyTooLarge, 0},
		{"xlsx_max_rows", sheet.ParseXLSX, func(t *testing.T) []byte { return xlsxRows(t, sheet.MaxRows) }, "", sheet.MaxRows},
		{"xlsx_too_many_rows", sheet.ParseXLSX, func(t *testing.T) []byte { return xlsxRows(t, sheet.MaxRows+1) }, sheet.KeyTooManyRows, 0},
		{"xlsx_too_large", sheet.ParseXLSX, func(*testing.T) []byte { return big }, sheet.KeyTooLarge, 0},
		{"csv_latin1", sheet.ParseCSV, func(*testing.T) []byte { return []byte(head + "\nA,M\xe3,U,planned,cloud,other\n") }, sheet.KeyNotUTF8, 0},
		{"csv_utf16", sheet.ParseCSV, func(*testing.T) []byte { return []byte("\xff\xfec\x00o\x00") }, sheet.KeyNotUTF8, 0},
		{"xlsx_not_a_workbook", sheet.ParseXLSX, func(*testing.T) []byte { return []byte(head + "\n") }, sheet.KeyNotXLSX, 0},
		{"xlsx_broken_zip", sheet.ParseXLSX, func(*testing.T) []byte { return []byte("PK\x03\x04garbage") }, sheet.KeyNotXLSX, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // the workbooks of MaxRows rows take seconds under -race
			rep, err := tc.parse(bytes.NewReader(tc.input(t)), p)
			if tc.wantKey == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Rows) != tc.rows || !rep.OK() {
					t.Errorf("read %d rows (OK %v), want %d", len(rep.Rows), rep.OK(), tc.rows)
				}
				return
			}
			var fe *sheet.FileError
			if !errors.As(err, &fe) || fe.Key != tc.wantKey {
				t.Fatalf("err = %v, want a FileError %s", err, tc.wantKey)
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Error("error does not match errs.ErrInvalid")
			}
			if pe, ok := errs.AsPublic(err); !ok || pe.Key != tc.wantKey {
				t.Errorf("AsPublic = %v, %v", pe, ok)
			}
			if fe.Message.EN == "" || fe.Message.VI == "" || strings.Contains(err.Error(), "%!") {
				t.Errorf("message = %+v", fe.Message)
			}
		})
	}
}

// TestParse_bounded feeds inputs that once took minutes (a distance per
// unknown header, a list of every other row per duplicate code) and checks
// that what is reported stays bounded.
func TestParse_bounded(t *testing.T) {
	p := pack(t)
	const head = "code,name,unit_code,status,hosting,system_type"
	for _, tc := range []struct {
		name      string
		input     string
		maxFile   int
		maxPerRow int
	}{
		{"many_unknown_headers", strings.Repeat("abcdefgh,", 20000), 16384 + 6, 0},
		{"long_unknown_header", strings.Repeat("a", 100_000), 7, 0},
		{"many_headerless_cells", head + "\nA,x,U,planned,cloud,other" + strings.Repeat(",x", 20000), 16384, 0},
		{"one_code_many_rows", head + "\n" + strings.Repeat("A,x,U,planned,cloud,other\n", 2000), 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := sheet.ParseCSV(strings.NewReader(tc.input+"\n"), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.FileProblems) > tc.maxFile {
				t.Errorf("%d file problems, want at most %d", len(rep.FileProblems), tc.maxFile)
			}
			for _, r := range rep.Rows {
				if len(r.Problems) > tc.maxPerRow {
					t.Fatalf("row %d has %d problems, want at most %d", r.Line, len(r.Problems), tc.maxPerRow)
				}
				for _, pr := range r.Problems {
					if len(pr.Message.EN) > 200 {
						t.Fatalf("message of %d bytes: %.80s…", len(pr.Message.EN), pr.Message.EN)
					}
				}
			}
		})
	}
}

// TestColumns_headersUnambiguous checks that no header, in any case and
// with or without diacritics, names two columns: each reads as its own.
func TestColumns_headersUnambiguous(t *testing.T) {
	p := pack(t)
	cols := sheet.Columns(p)
	for _, c := range cols {
		for _, h := range []string{c.Key, c.Header.VI, c.Header.EN, strings.ToUpper(c.Header.VI), norm.NFD.String(c.Header.VI)} {
			// The keys, with this column's replaced by h: the file must
			// still read cleanly.
			var header []string
			for _, cc := range cols {
				if cc.Key == c.Key {
					header = append(header, h)
				} else {
					header = append(header, cc.Key)
				}
			}
			rep, err := sheet.ParseCSV(strings.NewReader(strings.Join(quoteAll(header), ",")+"\n"), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.FileProblems) != 0 {
				t.Errorf("header %q: %v", h, rep.FileProblems)
			}
		}
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return out
}
