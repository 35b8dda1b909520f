package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/web/respond"
)

func (h *Handler) incidentForms() (*form.Sources, error) {
	if h.IncidentForms == nil || h.IncidentForms.Incidents == nil {
		return nil, fmt.Errorf("incident forms are not available: %w", errs.ErrUnavailable)
	}
	return h.IncidentForms, nil
}

// formText is a text in Vietnamese and English.
type formText struct {
	VI string `json:"vi"`
	EN string `json:"en"`
}

func textOut(t incident.Text) formText { return formText{VI: t.VI, EN: t.EN} }

// formInfo names a form.
type formInfo struct {
	ID     string   `json:"id"`
	Number string   `json:"number"`
	Title  formText `json:"title"`
}

// formFieldOut is one prefilled field of a form.
type formFieldOut struct {
	Key       string   `json:"key"`
	Label     formText `json:"label"`
	Hint      formText `json:"hint,omitzero"`
	Value     string   `json:"value"`
	Source    string   `json:"source"`
	Multiline bool     `json:"multiline"`
}

// formOut is a form prefilled for a case.
type formOut struct {
	Form   formInfo       `json:"form"`
	Fields []formFieldOut `json:"fields"`
}

// formPerson is the reporter of a generated form.
type formPerson struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// formRequest is what a client adds to a case form before it is
// generated: typed values (by field key; they win over the prefill), the
// place of the date line, the addressees and the reporter.
type formRequest struct {
	Values     map[string]string `json:"values"`
	Place      string            `json:"place"`
	Recipients []string          `json:"recipients"`
	Reporter   *formPerson       `json:"reporter"`
}

// IncidentForm returns case form {form} of case {id} prefilled from the
// case, its systems, unit and focal points and the caller as the reporter
// (permission incident.read on the case's unit; an unknown form is 404).
func (h *Handler) IncidentForm(w http.ResponseWriter, r *http.Request) error {
	src, err := h.incidentForms()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	in, err := src.ForCase(r.Context(), p, pathID(r), r.PathValue("form"))
	if err != nil {
		return err
	}
	in.Reporter = FormReporter(r.Context(), h.Users, p)
	out := formOut{Form: formInfo{ID: in.Form.ID, Number: in.Form.Number, Title: textOut(in.Form.Title)}, Fields: []formFieldOut{}}
	for _, f := range form.Prefill(in) {
		out.Fields = append(out.Fields, formFieldOut{Key: f.Key, Label: textOut(f.Label), Hint: textOut(f.Hint), Value: f.Value,
			Source: f.Source, Multiline: f.Multiline})
	}
	return ok(w, out)
}

// RenderIncidentForm generates case form {form} of case {id} as a DOCX
// or PDF document (?format=docx, the default, or pdf) from the prefill
// and the JSON body: {values, place, recipients, reporter}. Values of keys
// the form does not have are refused (permission incident.read on the
// case's unit).
func (h *Handler) RenderIncidentForm(w http.ResponseWriter, r *http.Request) error {
	src, err := h.incidentForms()
	if err != nil {
		return err
	}
	var req formRequest
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			return err
		}
	}
	p := respond.Principal(r)
	in, err := src.ForCase(r.Context(), p, pathID(r), r.PathValue("form"))
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "docx"
	}
	if format != "docx" && format != "pdf" {
		return errs.Invalid("format", "err.format")
	}
	known := map[string]bool{}
	for _, k := range in.Form.Fields {
		known[k] = true
	}
	for k := range req.Values {
		if !known[k] {
			return errs.Invalid("values", "err.form_field", k)
		}
	}
	in.Values = req.Values
	in.Place = strings.TrimSpace(req.Place)
	in.Recipients = FormRecipients(req.Recipients)
	in.Reporter = FormReporter(r.Context(), h.Users, p)
	if rp := req.Reporter; rp != nil {
		in.Reporter = mergePerson(in.Reporter, form.Person{Name: rp.Name, Title: rp.Title, Phone: rp.Phone, Email: rp.Email})
	}
	in.Now = time.Now().In(incident.Vietnam)
	return WriteForm(w, in, format, CaseFormPrefix(in.Case))
}

// FormReporter is the user generating a form, as its reporter: their
// display name (else user name) and, when their account can be read,
// their e-mail address. users may be nil.
func FormReporter(ctx context.Context, users *user.Service, p *authz.Principal) form.Person {
	var out form.Person
	if p == nil {
		return out
	}
	out.Name = cmp.Or(strings.TrimSpace(p.DisplayName), p.Username)
	if users != nil && p.UserID != 0 {
		if u, err := users.Get(ctx, p, p.UserID); err == nil {
			out.Email = u.Email
		}
	}
	return out
}

// mergePerson is base with every non-blank field of over.
func mergePerson(base, over form.Person) form.Person {
	pick := func(a, b string) string { return cmp.Or(strings.TrimSpace(b), a) }
	return form.Person{Name: pick(base.Name, over.Name), Title: pick(base.Title, over.Title),
		Phone: pick(base.Phone, over.Phone), Email: pick(base.Email, over.Email)}
}

// FormRecipients are the addressees of a form: trimmed, one per line
// each, blanks dropped.
func FormRecipients(list []string) []string {
	var out []string
	for _, s := range list {
		for line := range strings.Lines(s) {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// CaseFormPrefix is the start of the file name of a case's form: its
// reference ("SC-2026-0001"), else "su-co-<id>".
func CaseFormPrefix(c incident.Case) string {
	if ref := asciiName(c.Ref, false); ref != "" {
		return ref
	}
	return "su-co-" + strconv.FormatInt(c.ID, 10)
}

// FormFilename is the download name of a generated form: prefix, then the
// form number in lower-case ASCII ("Mẫu 03" → "mau-03"), then the
// format: "SC-2026-0001-mau-03.pdf".
func FormFilename(prefix, number, format string) string {
	name := strings.Trim(asciiName(prefix, false)+"-"+asciiName(number, true), "-")
	if name == "" {
		name = "bieu-mau"
	}
	return name + "." + format
}

// asciiName writes s in ASCII for a file name: Vietnamese letters without
// their marks (đ as d), letters, digits, dots and underscores kept, any
// other run as one hyphen; lower-case when lower.
func asciiName(s string, lower bool) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		case r == 'Đ':
			r = 'D'
		}
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			if lower {
				r = unicode.ToLower(r)
			}
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return strings.Trim(b.String(), ".")
}

// FormAttachment fills in's form (Prefill, then Document) and renders it
// in format ("docx" or "pdf") as an e-mail attachment named after prefix
// and the form's number.
func FormAttachment(in form.Input, format, prefix string) (notify.Attachment, error) {
	data, ctype, err := report.Render(format, form.Document(in, form.Prefill(in)))
	if err != nil {
		return notify.Attachment{}, err
	}
	return notify.Attachment{Name: FormFilename(prefix, in.Form.Number, format), ContentType: ctype, Data: data}, nil
}

// WriteForm fills in's form (Prefill, then Document), renders it in
// format ("docx" or "pdf") and sends it as an attachment named after
// prefix and the form's number.
func WriteForm(w http.ResponseWriter, in form.Input, format, prefix string) error {
	doc := form.Document(in, form.Prefill(in))
	data, ctype, err := report.Render(format, doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+FormFilename(prefix, in.Form.Number, format)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(data)
	return err
}
