package ui

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/api"
	"khien.vn/khien/internal/web/respond"
)

// maxFormPost bounds a posted official form (every field, URL-encoded).
const maxFormPost = 1 << 20

func (h *Handler) incidentForms() (*form.Sources, error) {
	if h.Deps.IncidentForms == nil || h.Deps.IncidentForms.Incidents == nil {
		return nil, fmt.Errorf("incident forms are not available: %w", errs.ErrUnavailable)
	}
	return h.Deps.IncidentForms, nil
}

// formLink is an official form offered on a page.
type formLink struct {
	ID     string // "tt20.form03"
	DOMID  string // "tt20-form03", for element ids
	Number string // "Mẫu 03"
	Title  string // in the user's language
}

func newFormLink(f incident.Form, lang string) formLink {
	return formLink{ID: f.ID, DOMID: strings.ReplaceAll(f.ID, ".", "-"), Number: f.Number, Title: f.Title.In(lang)}
}

// caseFormLinks are the forms a case is reported on: the network-incident
// reports (Forms 03 and 04) always; a personal-data breach notice only
// when the case involves personal data, and only the notice of the
// personal-data regime in force when the incident was detected.
func caseFormLinks(rules *incident.Rules, c incident.Case, lang string) []formLink {
	kinds := map[string]string{}
	for _, g := range rules.Regimes {
		kinds[g.ID] = g.Kind
	}
	var out []formLink
	for _, id := range form.CaseForms {
		f, ok := rules.Form(id)
		if !ok {
			continue
		}
		if kind := kinds[f.Regime]; kind == "personal_data" {
			g, inForce := rules.InForce(kind, c.DetectedAt)
			if !c.PersonalData || !inForce || g.ID != f.Regime {
				continue
			}
		}
		out = append(out, newFormLink(f, lang))
	}
	return out
}

type incidentFormPage struct {
	Base
	C    incident.Case
	Form incident.Form
	// TitleLocal is the form's title in the user's language when it is not
	// Vietnamese (the form itself is always in Vietnamese).
	TitleLocal string
	// ShowVI: the user reads English, so each label has its Vietnamese
	// wording (as printed) under it.
	ShowVI     bool
	Fields     []formFieldRow
	Place      string
	Recipients string
	Reporter   form.Person
	// Send is the e-mail panel: shown with incident.write when the unit
	// has an e-mail channel.
	Send *formSendPanel
}

// formSendPanel is the form page's "send by e-mail" panel.
type formSendPanel struct {
	Channels           []channelOption
	ChannelID          int64
	To, Subject, Body  string
	WithDOCX, Evidence bool
}

type channelOption struct {
	ID   int64
	Name string
}

// formFieldRow is one field of the form as the page shows it.
type formFieldRow struct {
	form.Field
	Num               int
	DOMID             string
	Label, LabelVI    string
	HintText          string
	SourceText, Badge string
	Textarea          bool
	Rows              int
}

// IncidentForm shows official form {form} of case {id} prefilled from the
// case, its systems, unit and focal points and the user as the reporter,
// every field editable, to download as DOCX or PDF (incident.read on the
// case's unit).
func (h *Handler) IncidentForm(w http.ResponseWriter, r *http.Request) error {
	return h.showIncidentForm(w, r, http.StatusOK, nil)
}

// showIncidentForm renders the form page; after a failed post (flash set)
// it shows what was posted rather than the prefill, so nothing typed is
// lost.
func (h *Handler) showIncidentForm(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	src, err := h.incidentForms()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	lang := respond.Lang(r)
	in, err := src.ForCase(r.Context(), p, parseID(r.PathValue("id")), r.PathValue("form"))
	if err != nil {
		return err
	}
	posted := flash != nil && r.PostForm != nil
	if posted {
		in.Values = postedValues(r, in.Form)
		h.formCommon(r, &in)
	} else {
		in.Reporter = api.FormReporter(r.Context(), h.Users, p)
	}
	v := incidentFormPage{Base: h.base(w, r, "incforms.title", "incidents"), C: in.Case, Form: in.Form, ShowVI: lang != "vi",
		Reporter: in.Reporter}
	v.Title = in.Case.Ref + " · " + in.Form.Number + " — " + in.Form.Title.VI
	if lang != "vi" && in.Form.Title.In(lang) != in.Form.Title.VI {
		v.TitleLocal = in.Form.Title.In(lang)
	}
	v.Recipients = strings.Join(h.formRecipients(r, src.Incidents, in), "\n")
	if posted {
		v.Place, v.Recipients = in.Place, strings.Join(in.Recipients, "\n")
	}
	v.Send = h.formSendPanel(r, in, posted)
	v.Flash = flash
	for i, f := range form.Prefill(in) {
		row := formFieldRow{Field: f, Num: i + 1, DOMID: strings.ReplaceAll(f.Key, ".", "-"), Label: f.Label.In(lang),
			HintText: f.Hint.In(lang), Textarea: f.Multiline || strings.Contains(f.Value, "\n")}
		if lang != "vi" && f.Label.VI != row.Label {
			row.LabelVI = f.Label.VI
		}
		if f.Source == "" {
			row.SourceText, row.Badge = h.Translate(r, "incforms.to_fill"), "warn"
		} else {
			row.SourceText, row.Badge = h.textOr(lang, "incforms.source_"+f.Source, f.Source), "level"
		}
		if row.Textarea {
			row.Rows = min(max(strings.Count(f.Value, "\n")+2, 3), 12)
		}
		v.Fields = append(v.Fields, row)
	}
	return h.render(w, r, status, "incident_form", v)
}

// formSendPanel returns the e-mail panel of a form page (nil when p may
// not change the case or its unit has no e-mail channel).
func (h *Handler) formSendPanel(r *http.Request, in form.Input, posted bool) *formSendPanel {
	p := respond.Principal(r)
	if h.Deps.Notify == nil || p.Authorize(authz.PermIncidentWrite, in.Case.UnitID) != nil {
		return nil
	}
	chans, err := h.Deps.Notify.ReportChannels(r.Context(), in.Case.UnitID)
	if err != nil || len(chans) == 0 {
		return nil
	}
	v := &formSendPanel{Subject: in.Case.Ref + " — " + in.Form.Number + " " + in.Form.Title.VI,
		Body: "Kính gửi Quý cơ quan,\n\n" + cmp.Or(in.Unit.Name, "Đơn vị") + " gửi kèm " + in.Form.Number + " (" + in.Form.Title.VI +
			") về sự cố " + in.Case.Ref + ": " + in.Case.Title + ".\n\nTrân trọng.",
		Evidence: p.Authorize(authz.PermIncidentEvidence, in.Case.UnitID) == nil, WithDOCX: true}
	for _, c := range chans {
		v.Channels = append(v.Channels, channelOption{ID: c.ID, Name: c.Name})
	}
	if posted {
		f := r.PostForm
		v.ChannelID, _ = strconv.ParseInt(f.Get("channel_id"), 10, 64)
		v.To, v.Subject, v.Body, v.WithDOCX = f.Get("to"), f.Get("subject"), f.Get("body"), f.Get("with_docx") != ""
	}
	return v
}

// postedValues reads the typed field values (f.<key>) of a posted form.
func postedValues(r *http.Request, f incident.Form) map[string]string {
	out := map[string]string{}
	for _, key := range f.Fields {
		if v := r.PostForm.Get("f." + key); strings.TrimSpace(v) != "" {
			out[key] = v
		}
	}
	return out
}

// SendIncidentForm e-mails official form {form} of case {id}, filled as
// posted, as PDF (and DOCX when asked) through the chosen e-mail channel
// of the case's unit, records the sending as a submission of the case
// (stopping the clock that asks for the form) and keeps a copy of each
// file in the case's evidence when the user may (incident.write; the
// copies need incident.evidence).
func (h *Handler) SendIncidentForm(w http.ResponseWriter, r *http.Request) error {
	src, err := h.incidentForms()
	if err != nil {
		return err
	}
	if h.Deps.Notify == nil {
		return errs.ErrUnavailable
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormPost)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	p := respond.Principal(r)
	in, err := src.ForCase(r.Context(), p, parseID(r.PathValue("id")), r.PathValue("form"))
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermIncidentWrite, in.Case.UnitID); err != nil {
		return err
	}
	in.Values = postedValues(r, in.Form)
	h.formCommon(r, &in)
	f := r.PostForm
	formats := []string{"pdf"}
	if f.Get("with_docx") != "" {
		formats = append(formats, "docx")
	}
	rep := notify.Report{To: api.FormRecipients([]string{strings.ReplaceAll(f.Get("to"), ",", "\n")}), Subject: strings.TrimSpace(f.Get("subject")),
		Body: f.Get("body")}
	for _, format := range formats {
		a, err := api.FormAttachment(in, format, api.CaseFormPrefix(in.Case))
		if err != nil {
			return err
		}
		rep.Attachments = append(rep.Attachments, a)
	}
	channelID, _ := strconv.ParseInt(f.Get("channel_id"), 10, 64)
	sent, err := src.Send(r.Context(), p, h.Deps.Notify, in, channelID, rep)
	if err != nil && sent.MessageID == "" {
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			return h.showIncidentForm(w, r, status, flash)
		}
		return err
	}
	if err != nil {
		// Sent, but not recorded: say so rather than fail silently.
		h.Deps.Logger.Error("form sent but the submission was not recorded", "case", in.Case.ID, "message_id", sent.MessageID, "err", err)
		return h.redirect(w, r, "/incidents/"+strconv.FormatInt(in.Case.ID, 10), "error", "incforms.sent_unrecorded")
	}
	if sent.CopyErr != nil {
		h.Deps.Logger.Error("form sent; no evidence copy", "case", in.Case.ID, "err", sent.CopyErr)
	}
	return h.redirect(w, r, "/incidents/"+strconv.FormatInt(in.Case.ID, 10), "ok", "incforms.sent")
}

// formRecipients suggests the addressees of a case form: the recipients
// of the case's legal clocks that ask for this form, in Vietnamese.
func (h *Handler) formRecipients(r *http.Request, svc *incident.Service, in form.Input) []string {
	clocks, _, err := svc.Clocks(r.Context(), in.Case, in.Submissions)
	if err != nil {
		return nil
	}
	var out []string
	for _, k := range clocks {
		if f, ok := form.ForClock(in.Rules, k.Clock); !ok || f.ID != in.Form.ID {
			continue
		}
		for _, rc := range k.Rule.Recipients {
			if name := upperFirst(h.textOr("vi", "increcipient."+rc, rc)); !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	c, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(c)) + s[n:]
}

// RenderIncidentForm generates official form {form} of case {id} from the
// posted form — the typed values (f.<key>), place, recipients (one per
// line) and the reporter — as DOCX or PDF (format), an attachment named
// after the case's reference and the form's number.
func (h *Handler) RenderIncidentForm(w http.ResponseWriter, r *http.Request) error {
	src, err := h.incidentForms()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormPost)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	p := respond.Principal(r)
	in, err := src.ForCase(r.Context(), p, parseID(r.PathValue("id")), r.PathValue("form"))
	if err != nil {
		return err
	}
	format := r.PostForm.Get("format")
	if format != "docx" && format != "pdf" {
		return errs.Invalid("format", "err.format")
	}
	in.Values = postedValues(r, in.Form)
	h.formCommon(r, &in)
	return api.WriteForm(w, in, format, api.CaseFormPrefix(in.Case))
}

// formCommon sets what every posted form gives: the place, the
// recipients, the reporter (the user, with what was typed) and the date.
func (h *Handler) formCommon(r *http.Request, in *form.Input) {
	f := r.PostForm
	in.Place = strings.TrimSpace(f.Get("place"))
	in.Recipients = api.FormRecipients([]string{f.Get("recipients")})
	rep := api.FormReporter(r.Context(), h.Users, respond.Principal(r))
	pick := func(typed, def string) string {
		if typed = strings.TrimSpace(typed); typed != "" {
			return typed
		}
		return def
	}
	in.Reporter = form.Person{Name: pick(f.Get("reporter_name"), rep.Name), Title: strings.TrimSpace(f.Get("reporter_title")),
		Phone: strings.TrimSpace(f.Get("reporter_phone")), Email: pick(f.Get("reporter_email"), rep.Email)}
	in.Now = time.Now().In(incident.Vietnam)
}

// unitFormsPanel is the list page's panel of the forms filled for a unit:
// the periodic report (Form 05) over a period, and the network-member
// profile and application (Forms 01 and 02).
type unitFormsPanel struct {
	Units    []unit.Node
	From, To string
	Periodic formLink
	Others   []formLink
}

// unitForms builds the panel for the units where the user reads the
// cases; nil when there is none or the forms are not available.
func (h *Handler) unitForms(r *http.Request, svc *incident.Service) (*unitFormsPanel, error) {
	if h.Deps.IncidentForms == nil {
		return nil, nil
	}
	p := respond.Principal(r)
	lang := respond.Lang(r)
	units, err := h.Units.List(r.Context(), p)
	if err != nil {
		return nil, err
	}
	v := &unitFormsPanel{}
	for _, u := range units {
		if p.Authorize(authz.PermIncidentRead, u.ID) == nil {
			v.Units = append(v.Units, u)
		}
	}
	if len(v.Units) == 0 {
		return nil, nil
	}
	for _, id := range form.UnitForms {
		f, ok := svc.Rules().Form(id)
		switch {
		case !ok:
		case id == "tt20.form05":
			v.Periodic = newFormLink(f, lang)
		default:
			v.Others = append(v.Others, newFormLink(f, lang))
		}
	}
	if v.Periodic.ID == "" {
		return nil, nil
	}
	from, to := halfYear(time.Now().In(incident.Vietnam))
	v.From, v.To = from.Format(formDate), to.Format(formDate)
	return v, nil
}

// halfYear is the half year of t: 1 January – 30 June or 1 July – 31
// December, both days included.
func halfYear(t time.Time) (from, to time.Time) {
	month := time.January
	if t.Month() > time.June {
		month = time.July
	}
	from = time.Date(t.Year(), month, 1, 0, 0, 0, 0, t.Location())
	return from, from.AddDate(0, 6, -1)
}

// RenderUnitForm generates unit form {form} (Form 05 for the period from
// – to, both days included; Forms 01 and 02) for the posted unit_id as
// DOCX or PDF (format).
func (h *Handler) RenderUnitForm(w http.ResponseWriter, r *http.Request) error {
	src, err := h.incidentForms()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormPost)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("form", "err.invalid")
	}
	fail := func(err error) error {
		if flash, status, ok := h.incidentFormErr(r, err); ok {
			return h.incidentsPage(w, r, status, flash, nil)
		}
		return err
	}
	formID := r.PathValue("form")
	if !slices.Contains(form.UnitForms, formID) {
		return errs.NotFound("form", formID)
	}
	format := r.PostForm.Get("format")
	if format != "docx" && format != "pdf" {
		return fail(errs.Invalid("format", "err.format"))
	}
	var from, to time.Time
	if formID == "tt20.form05" {
		if from, to, err = formPeriod(r.PostForm.Get("from"), r.PostForm.Get("to")); err != nil {
			return fail(err)
		}
	}
	end := to
	if !to.IsZero() {
		end = to.AddDate(0, 0, 1) // the cases detected on the last day count
	}
	in, err := src.ForUnit(r.Context(), respond.Principal(r), parseID(r.PostForm.Get("unit_id")), formID, from, end)
	if err != nil {
		return fail(err)
	}
	in.To = to // printed as the last day of the period
	h.formCommon(r, &in)
	prefix := cmp.Or(strings.TrimSpace(in.Unit.Code), "don-vi-"+strconv.FormatInt(in.Unit.ID, 10))
	if !from.IsZero() {
		prefix += "-" + from.Format(formDate) + "-" + to.Format(formDate)
	}
	return api.WriteForm(w, in, format, prefix)
}

// formPeriod reads a period of whole days (Vietnam time), both required,
// from not after to.
func formPeriod(fromS, toS string) (from, to time.Time, err error) {
	fromS, toS = strings.TrimSpace(fromS), strings.TrimSpace(toS)
	if fromS == "" {
		return from, to, errs.Invalid("from", "err.required")
	}
	if toS == "" {
		return from, to, errs.Invalid("to", "err.required")
	}
	if from, err = time.ParseInLocation(formDate, fromS, incident.Vietnam); err != nil {
		return from, to, errs.Invalid("from", "err.date")
	}
	if to, err = time.ParseInLocation(formDate, toS, incident.Vietnam); err != nil {
		return from, to, errs.Invalid("to", "err.date")
	}
	if to.Before(from) {
		return from, to, errs.Invalid("to", "incforms.err_period")
	}
	return from, to, nil
}
