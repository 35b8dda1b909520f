package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/system"
)

// TestIncidentForms generates the official incident-report forms from the
// pages and the API: the case page links the forms the case is reported
// on (the personal-data notice only when it involves personal data, of
// the regime in force at its detection); the form page shows every field
// of the form prefilled from the case, its system and the user; posting
// it returns the PDF or DOCX with what was typed. The periodic report
// (Form 05) comes from the list page. Another unit's analyst gets
// neither; an unknown form is 404.
func TestIncidentForms(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	other := a.mkUnit(root, "OTHER")
	a.mkUser("form.analyst", authz.RoleAnalyst, root)
	a.mkUser("form.stranger", authz.RoleAnalyst, other.ID)
	rootUnit, err := a.core.Backend.GetUnit(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: root, Code: "PORTAL", Name: "Cổng thông tin điện tử",
		Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}},
		Operator: system.Party{Name: "Trung tâm Công nghệ thông tin", Address: "18 Nguyễn Du, Hà Nội", Phone: "024 3822 1234", Email: "cntt@example.vn"}})
	if err != nil {
		t.Fatal(err)
	}
	sys.ProposedLevel, sys.ApprovedLevel = 3, 0
	if err := a.core.Backend.UpdateSystem(ctx, &sys); err != nil {
		t.Fatal(err)
	}
	open := func(title string, detected time.Time, personal bool) incident.Case {
		t.Helper()
		c, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: root, Title: title,
			Description: "Trang chủ bị thay đổi giao diện.", Category: incident.Intrusion, Severity: incident.High,
			DetectedAt: detected, SystemIDs: []int64{sys.ID}, PersonalData: personal})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open("Tấn công thay đổi giao diện cổng thông tin", time.Now().Add(-3*time.Hour), false)
	casePath := "/incidents/" + itoa(c.ID)

	b := a.browser()
	b.login("form.analyst", testPassword)
	if r := b.post("/profile/language", url.Values{"lang": {"en"}}); r.status != http.StatusSeeOther {
		t.Fatalf("set language: %d", r.status)
	}

	// The case page links Forms 03 and 04, and no personal-data notice.
	r := b.get(casePath)
	body := html.UnescapeString(string(r.body))
	if r.status != http.StatusOK || !strings.Contains(body, `id="incident-forms"`) ||
		!strings.Contains(body, `href="`+casePath+`/forms/tt20.form03" id="form-link-tt20-form03"`) ||
		!strings.Contains(body, `id="form-link-tt20-form04"`) || !strings.Contains(body, "Mẫu 03") || !strings.Contains(body, "Mẫu 04") {
		t.Fatalf("case page without the form links: %d\n%s", r.status, body)
	}
	if strings.Contains(body, "form-link-pd13") || strings.Contains(body, "form-link-pd91") {
		t.Errorf("a case without personal data links a personal-data notice")
	}
	// With personal data: the notice of the regime in force at detection.
	for _, tc := range []struct {
		detected  time.Time
		want, not string
	}{
		{time.Now().Add(-time.Hour), "pd91-form08", "pd13-form03"},
		{time.Date(2025, 6, 2, 9, 0, 0, 0, incident.Vietnam), "pd13-form03", "pd91-form08"},
	} {
		pd := open("Lộ lọt dữ liệu khách hàng", tc.detected, true)
		body := string(b.get("/incidents/" + itoa(pd.ID)).body)
		if !strings.Contains(body, `id="form-link-`+tc.want+`"`) || strings.Contains(body, `id="form-link-`+tc.not+`"`) ||
			!strings.Contains(body, `id="form-link-tt20-form03"`) {
			t.Errorf("personal-data case detected %s: want %s and not %s", tc.detected.Format(time.DateOnly), tc.want, tc.not)
		}
	}

	// The form page: every field, labelled in English and in Vietnamese, prefilled.
	f03, ok := a.core.Incidents.Rules().Form("tt20.form03")
	if !ok {
		t.Fatal("no form tt20.form03")
	}
	r = b.get(casePath + "/forms/tt20.form03")
	body = html.UnescapeString(string(r.body))
	if r.status != http.StatusOK || !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, `id="incident-form"`) ||
		!strings.Contains(body, `id="form-docx"`) || !strings.Contains(body, `id="form-pdf"`) ||
		!strings.Contains(body, "Mẫu 03 — Báo cáo ban đầu sự cố mạng") {
		t.Fatalf("form page: %d\n%s", r.status, body)
	}
	fields := form.Prefill(form.Input{Form: f03})
	if len(fields) != len(f03.Fields) {
		t.Fatalf("prefill: %d fields, form has %d", len(fields), len(f03.Fields))
	}
	for _, f := range fields {
		if !strings.Contains(body, `name="f.`+f.Key+`"`) {
			t.Errorf("form page: no input for %s", f.Key)
		}
		for _, label := range []string{f.Label.EN, f.Label.VI} {
			if !strings.Contains(body, label) {
				t.Errorf("form page: no label %q of %s", label, f.Key)
			}
		}
	}
	for _, want := range []string{"Cổng thông tin điện tử", "3 (đề xuất)", "18 Nguyễn Du, Hà Nội", "User form.analyst",
		`name="place"`, `name="recipients"`, `name="reporter_title"`, `name="reporter_phone"`, `name="reporter_email"`, "from the system", "to fill in"} {
		if !strings.Contains(body, want) {
			t.Errorf("form page lacks %q", want)
		}
	}

	// Posting it: the PDF, with the title, the case and what was typed.
	recommendation := "Đề nghị VNCERT/CC hỗ trợ phân tích mã độc"
	post := url.Values{"format": {"pdf"}, "f.recommendations": {recommendation}, "place": {"Hà Nội"},
		"recipients": {"Cục An toàn thông tin\nTrung tâm VNCERT/CC"}, "reporter_title": {"Chuyên viên"}, "reporter_phone": {"0912 345 678"}}
	r = b.post(casePath+"/forms/tt20.form03", post)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != report.ContentTypePDF || !bytes.HasPrefix(r.body, []byte("%PDF")) {
		t.Fatalf("form PDF: %d %s\n%.300s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="`+c.Ref+`-mau-03.pdf"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not found (poppler-utils missing): the PDF text is not checked")
	} else {
		text := formPDFText(t, r.body)
		for _, want := range []string{"BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", c.Title, recommendation, "Hà Nội", "Trung tâm VNCERT/CC", "Chuyên viên"} {
			if !strings.Contains(strings.ToLower(text), strings.ToLower(squashSpace(want))) {
				t.Errorf("form PDF lacks %q:\n%s", want, text)
			}
		}
	}
	// And the DOCX.
	post.Set("format", "docx")
	r = b.post(casePath+"/forms/tt20.form03", post)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != report.ContentTypeDOCX ||
		!strings.HasSuffix(r.header.Get("Content-Disposition"), `-mau-03.docx"`) {
		t.Fatalf("form DOCX: %d %s %s", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
	}
	if text := formDOCXText(t, r.body); !strings.Contains(text, recommendation) || !strings.Contains(text, "Cổng thông tin điện tử") {
		t.Errorf("form DOCX lacks the typed or prefilled values:\n%s", text)
	}
	// A bad format, an unknown form, a unit form on a case.
	post.Set("format", "odt")
	if r := b.post(casePath+"/forms/tt20.form03", post); r.status != http.StatusBadRequest {
		t.Errorf("format odt: %d", r.status)
	}
	for _, id := range []string{"tt20.form99", "tt20.form05"} {
		if r := b.get(casePath + "/forms/" + id); r.status != http.StatusNotFound {
			t.Errorf("GET form %s: %d, want 404", id, r.status)
		}
		if r := b.post(casePath+"/forms/"+id, url.Values{"format": {"pdf"}}); r.status != http.StatusNotFound {
			t.Errorf("POST form %s: %d, want 404", id, r.status)
		}
	}
	// Another unit's analyst: refused.
	stranger := a.browser()
	stranger.login("form.stranger", testPassword)
	if r := stranger.get(casePath + "/forms/tt20.form03"); r.status != http.StatusForbidden {
		t.Errorf("stranger's form page: %d, want 403", r.status)
	}
	if r := stranger.post(casePath+"/forms/tt20.form03", url.Values{"format": {"pdf"}}); r.status != http.StatusForbidden {
		t.Errorf("stranger's form post: %d, want 403", r.status)
	}

	// The API.
	tok := a.token("form.analyst")
	apiPath := "/api/v1/incidents/" + itoa(c.ID) + "/forms/tt20.form03"
	var out struct {
		Form struct {
			ID, Number string
			Title      struct{ VI, EN string }
		}
		Fields []struct {
			Key, Value, Source string
			Label              struct{ VI, EN string }
			Multiline          bool
		}
	}
	r = a.api("GET", apiPath, tok, nil)
	if r.status != http.StatusOK {
		t.Fatalf("API form: %d %s", r.status, r.body)
	}
	r.json(t, &out)
	if out.Form.ID != "tt20.form03" || out.Form.Number != "Mẫu 03" || out.Form.Title.VI != "Báo cáo ban đầu sự cố mạng" || len(out.Fields) != len(f03.Fields) {
		t.Fatalf("API form: %+v", out)
	}
	byKey := map[string]string{}
	for i, f := range out.Fields {
		if f.Key != f03.Fields[i] || f.Label.VI == "" || f.Label.EN == "" {
			t.Errorf("API field %d: %+v, want key %s", i, f, f03.Fields[i])
		}
		byKey[f.Key] = f.Value + "|" + f.Source
	}
	if byKey["system_name"] != "Cổng thông tin điện tử|system" || byKey["contact_person.name"] != "User form.analyst|reporter" ||
		byKey["recommendations"] != "|" {
		t.Errorf("API prefill: %v", byKey)
	}
	r = a.api("POST", apiPath+"?format=pdf", tok, map[string]any{"values": map[string]string{"recommendations": recommendation},
		"place": "Hà Nội", "recipients": []string{"Trung tâm VNCERT/CC"}, "reporter": map[string]string{"title": "Chuyên viên"}})
	if r.status != http.StatusOK || r.header.Get("Content-Type") != report.ContentTypePDF || !bytes.HasPrefix(r.body, []byte("%PDF")) ||
		r.header.Get("Content-Disposition") != `attachment; filename="`+c.Ref+`-mau-03.pdf"` {
		t.Fatalf("API form PDF: %d %s %s", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
	}
	if r := a.api("POST", apiPath+"?format=odt", tok, map[string]any{}); r.status != http.StatusBadRequest {
		t.Errorf("API format odt: %d %s", r.status, r.body)
	}
	if r := a.api("POST", apiPath, tok, map[string]any{"values": map[string]string{"no_such_field": "x"}}); r.status != http.StatusBadRequest {
		t.Errorf("API unknown field: %d %s", r.status, r.body)
	}
	if r := a.api("GET", "/api/v1/incidents/"+itoa(c.ID)+"/forms/tt20.form99", tok, nil); r.status != http.StatusNotFound {
		t.Errorf("API unknown form: %d %s", r.status, r.body)
	}
	if r := a.api("GET", apiPath, a.token("form.stranger"), nil); r.status != http.StatusForbidden {
		t.Errorf("API stranger: %d %s", r.status, r.body)
	}

	// Form 05 from the list page's panel, for the current half year.
	r = b.get("/incidents")
	body = html.UnescapeString(string(r.body))
	if r.status != http.StatusOK || !strings.Contains(body, `id="unit-form"`) || !strings.Contains(body, `action="/incident-forms/tt20.form05"`) ||
		!strings.Contains(body, `formaction="/incident-forms/tt20.form01"`) || !strings.Contains(body, `formaction="/incident-forms/tt20.form02"`) {
		t.Fatalf("list page without the unit forms: %d\n%s", r.status, body)
	}
	now := time.Now().In(incident.Vietnam)
	from, to := time.Date(now.Year(), time.January, 1, 0, 0, 0, 0, incident.Vietnam), time.Date(now.Year(), time.June, 30, 0, 0, 0, 0, incident.Vietnam)
	if now.Month() > time.June {
		from, to = time.Date(now.Year(), time.July, 1, 0, 0, 0, 0, incident.Vietnam), time.Date(now.Year(), time.December, 31, 0, 0, 0, 0, incident.Vietnam)
	}
	if !strings.Contains(body, `name="from" required value="`+from.Format(time.DateOnly)+`"`) ||
		!strings.Contains(body, `name="to" required value="`+to.Format(time.DateOnly)+`"`) {
		t.Errorf("the period is not the current half year %s – %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	period := url.Values{"unit_id": {itoa(root)}, "from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}, "format": {"docx"}}
	r = b.post("/incident-forms/tt20.form05", period)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != report.ContentTypeDOCX ||
		!strings.HasSuffix(r.header.Get("Content-Disposition"), `-mau-05.docx"`) {
		t.Fatalf("Form 05 DOCX: %d %s %s\n%.500s", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), r.body)
	}
	text := formDOCXText(t, r.body)
	for _, want := range []string{rootUnit.Name, "BÁO CÁO ĐỊNH KỲ", "Từ ngày " + from.Format("02/01/2006") + " đến ngày " + to.Format("02/01/2006")} {
		if !strings.Contains(text, want) {
			t.Errorf("Form 05 DOCX lacks %q:\n%s", want, text)
		}
	}
	period.Set("format", "pdf")
	if r := b.post("/incident-forms/tt20.form05", period); r.status != http.StatusOK || !bytes.HasPrefix(r.body, []byte("%PDF")) {
		t.Errorf("Form 05 PDF: %d", r.status)
	} else if _, err := exec.LookPath("pdftotext"); err == nil {
		if text := formPDFText(t, r.body); !strings.Contains(strings.ToLower(text), strings.ToLower(rootUnit.Name)) {
			t.Errorf("Form 05 PDF lacks the unit %q:\n%s", rootUnit.Name, text)
		}
	}
	if r := b.post("/incident-forms/tt20.form01", url.Values{"unit_id": {itoa(root)}, "format": {"docx"}}); r.status != http.StatusOK ||
		!strings.Contains(formDOCXText(t, r.body), rootUnit.Name) {
		t.Errorf("Form 01: %d", r.status)
	}
	bad := url.Values{"unit_id": {itoa(root)}, "from": {to.Format(time.DateOnly)}, "to": {from.Format(time.DateOnly)}, "format": {"pdf"}}
	if r := b.post("/incident-forms/tt20.form05", bad); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "before its start") {
		t.Errorf("a period ending before it starts: %d", r.status)
	}
	if r := b.post("/incident-forms/tt20.form03", period); r.status != http.StatusNotFound {
		t.Errorf("a case form as a unit form: %d, want 404", r.status)
	}
	if r := stranger.post("/incident-forms/tt20.form05", period); r.status != http.StatusForbidden {
		t.Errorf("stranger's Form 05 of the top unit: %d, want 403", r.status)
	}
}

// squashSpace collapses runs of white space to one space and normalises
// to NFC.
func squashSpace(s string) string { return norm.NFC.String(strings.Join(strings.Fields(s), " ")) }

// formPDFText is the text of a PDF (pdftotext -layout), white space
// collapsed.
func formPDFText(t *testing.T, pdf []byte) string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "form.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return squashSpace(string(out))
}

// formDOCXText is the text of a DOCX's word/document.xml: its w:t runs,
// a line per paragraph.
func formDOCXText(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a DOCX: %v", err)
	}
	f, err := zr.Open("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	d := xml.NewDecoder(f)
	inText := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return b.String()
		}
		if err != nil {
			t.Fatalf("document.xml: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "t"
		case xml.EndElement:
			inText = false
			if tok.Name.Local == "p" {
				b.WriteByte('\n')
			}
		case xml.CharData:
			if inText {
				b.Write(tok)
			}
		}
	}
}
