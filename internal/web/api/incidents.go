package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/web/respond"
)

func (h *Handler) incidents() (*incident.Service, error) {
	if h.Incidents == nil {
		return nil, fmt.Errorf("incident cases are not available: %w", errs.ErrUnavailable)
	}
	return h.Incidents, nil
}

// caseOut is a case with its clocks, submissions and timeline.
type caseOut struct {
	incident.Case
	Serious     bool                  `json:"serious"`
	Clocks      []clockOut            `json:"clocks"`
	Submissions []incident.Submission `json:"submissions"`
	Tasks       []incident.Task       `json:"tasks"`
	Timeline    []incident.Entry      `json:"timeline"`
}

// clockOut is one legal clock of a case.
type clockOut struct {
	ID           string        `json:"id"`
	Title        incident.Text `json:"title"`
	Regime       string        `json:"regime"`
	Form         string        `json:"form,omitempty"`
	Recipients   []string      `json:"recipients,omitempty"`
	Within       string        `json:"within"`
	Start        time.Time     `json:"start,omitzero"`
	Due          time.Time     `json:"due,omitzero"`
	State        string        `json:"state"`
	Confirmation string        `json:"confirmation"`
	SubmissionID int64         `json:"submission_id,omitempty"`
}

// ListIncidents returns the cases of the units in scope, newest detection
// first (open=1|0, system, limit, offset; permission incident.read).
func (h *Handler) ListIncidents(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	f := incident.Filter{SystemID: queryInt(r, "system", 0), Limit: int(min(max(queryInt(r, "limit", 100), 1), 1000)),
		Offset: int(max(queryInt(r, "offset", 0), 0))}
	switch r.URL.Query().Get("open") {
	case "1":
		open := true
		f.Open = &open
	case "0":
		open := false
		f.Open = &open
	}
	list, total, err := svc.List(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []incident.Case{}
	}
	page := Page[incident.Case]{Items: list}
	if f.Offset+len(list) < total {
		page.NextCursor = strconv.Itoa(f.Offset + len(list))
	}
	return ok(w, page)
}

// CreateIncident opens a case (a JSON case: unit_id, title, category,
// severity, detected_at, system_ids, alert_ids and the facts; permission
// incident.write on the unit).
func (h *Handler) CreateIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in incident.Case
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := svc.Create(r.Context(), respond.Principal(r), in)
	if err != nil {
		return err
	}
	return h.caseOut(w, r, svc, c.ID, http.StatusCreated)
}

// GetIncident returns a case with its clocks, submissions and timeline
// (permission incident.read on its unit).
func (h *Handler) GetIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	return h.caseOut(w, r, svc, pathID(r), http.StatusOK)
}

func (h *Handler) caseOut(w http.ResponseWriter, r *http.Request, svc *incident.Service, id int64, status int) error {
	p := respond.Principal(r)
	c, err := svc.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	subs, err := svc.Submissions(r.Context(), p, id)
	if err != nil {
		return err
	}
	entries, err := svc.Timeline(r.Context(), p, id)
	if err != nil {
		return err
	}
	clocks, serious, err := svc.Clocks(r.Context(), c, subs)
	if err != nil {
		return err
	}
	tasks, err := svc.Tasks(r.Context(), p, id)
	if err != nil {
		return err
	}
	if tasks == nil {
		tasks = []incident.Task{}
	}
	out := caseOut{Case: c, Serious: serious, Clocks: []clockOut{}, Submissions: subs, Tasks: tasks, Timeline: entries}
	if out.Submissions == nil {
		out.Submissions = []incident.Submission{}
	}
	if out.Timeline == nil {
		out.Timeline = []incident.Entry{}
	}
	for _, k := range clocks {
		out.Clocks = append(out.Clocks, clockOut{ID: k.Rule.ID, Title: k.Rule.Title, Regime: k.Regime.ID, Form: k.Rule.Form,
			Recipients: k.Rule.Recipients, Within: k.Rule.Within.String(), Start: k.Start, Due: k.Due, State: string(k.State),
			Confirmation: k.Rule.Confirmation, SubmissionID: k.Done.ID})
	}
	return respond.WriteJSON(w, status, out)
}

// IncidentStatus moves a case to another status ({"status": …, "note":
// …}; permission incident.write on its unit).
func (h *Handler) IncidentStatus(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		Status incident.Status `json:"status"`
		Note   string          `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := svc.Transition(r.Context(), respond.Principal(r), pathID(r), in.Status, in.Note)
	if err != nil {
		return err
	}
	return ok(w, c)
}

// IncidentSubmission records a report or notice sent for a case (a JSON
// submission: clock_id, what, recipient, channel, sent_at, reference,
// acknowledgement; permission incident.write on its unit).
func (h *Handler) IncidentSubmission(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in incident.Submission
	if err := decode(r, &in); err != nil {
		return err
	}
	s, err := svc.Submit(r.Context(), respond.Principal(r), pathID(r), in)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, s)
}

// IncidentNote adds a note to a case's timeline ({"at": …, "text": …};
// permission incident.write on its unit).
func (h *Handler) IncidentNote(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		At   time.Time `json:"at"`
		Text string    `json:"text"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	e, err := svc.AddNote(r.Context(), respond.Principal(r), pathID(r), in.At, in.Text)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, e)
}

// IncidentPlaybook applies a playbook to a case, adding its steps as tasks
// ({"playbook": "ransomware"}; permission incident.write on its unit).
func (h *Handler) IncidentPlaybook(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		Playbook string `json:"playbook"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	tasks, err := svc.ApplyPlaybook(r.Context(), respond.Principal(r), pathID(r), in.Playbook)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, Page[incident.Task]{Items: tasks})
}

// IncidentTask marks a task of a case done, skipped or open ({"status":
// …, "note": …}; permission incident.write on its unit).
func (h *Handler) IncidentTask(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		Status incident.TaskStatus `json:"status"`
		Note   string              `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	task, err := strconv.ParseInt(r.PathValue("task"), 10, 64)
	if err != nil {
		return errs.Invalid("task", "err.invalid")
	}
	t, err := svc.SetTask(r.Context(), respond.Principal(r), pathID(r), task, in.Status, in.Note)
	if err != nil {
		return err
	}
	return ok(w, t)
}

// ListIncidentEvidence lists a case's evidence items with their SHA-256
// (permission incident.evidence on its unit).
func (h *Handler) ListIncidentEvidence(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	list, err := svc.ListEvidence(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, Page[incident.Evidence]{Items: list})
}

// AddIncidentEvidence stores the request body as an evidence item of a
// case, named by ?name= (also ?description=, ?source=, ?collected_by=,
// ?collected_at= RFC 3339); its SHA-256 is computed as it arrives
// (permission incident.evidence).
func (h *Handler) AddIncidentEvidence(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	fs := svc.EvidenceFiles()
	if fs == nil {
		return errs.ErrUnavailable
	}
	q := r.URL.Query()
	e := incident.Evidence{Name: q.Get("name"), Description: q.Get("description"), Source: q.Get("source"), CollectedBy: q.Get("collected_by")}
	if s := q.Get("collected_at"); s != "" {
		if e.CollectedAt, err = time.Parse(time.RFC3339, s); err != nil {
			return errs.Invalid("collected_at", "err.invalid")
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, fs.Max()+1)
	e, err = svc.AddEvidence(r.Context(), respond.Principal(r), pathID(r), e, r.Body)
	if err != nil {
		if strings.Contains(err.Error(), "request body too large") {
			err = errs.Invalid("file", "err.evidence_too_large", fs.Max()>>20)
		}
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+strconv.FormatInt(e.CaseID, 10)+"/evidence/"+strconv.FormatInt(e.ID, 10))
	return respond.WriteJSON(w, http.StatusCreated, e)
}

// evidencePath returns the case and item ids of an evidence route.
func evidencePath(r *http.Request) (caseID, id int64, err error) {
	id, err = strconv.ParseInt(r.PathValue("item"), 10, 64)
	if err != nil {
		return 0, 0, errs.Invalid("item", "err.invalid")
	}
	return pathID(r), id, nil
}

// GetIncidentEvidence returns an evidence item with its chain of custody,
// this viewing included (permission incident.evidence).
func (h *Handler) GetIncidentEvidence(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	caseID, id, err := evidencePath(r)
	if err != nil {
		return err
	}
	v, err := svc.GetEvidence(r.Context(), respond.Principal(r), caseID, id)
	if err != nil {
		return err
	}
	return ok(w, v)
}

// DownloadIncidentEvidence sends an evidence item's content after checking
// it against its SHA-256 and its chain of custody (409 when either does
// not hold; permission incident.evidence).
func (h *Handler) DownloadIncidentEvidence(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	caseID, id, err := evidencePath(r)
	if err != nil {
		return err
	}
	e, f, err := svc.OpenEvidence(r.Context(), respond.Principal(r), caseID, id)
	if err != nil {
		return err
	}
	defer f.Close()
	h.ServeFile(w, e.Name, e.ContentType, e.SHA256, e.Size, f)
	return nil
}

// VerifyIncidentEvidence checks every evidence item of a case against its
// SHA-256 and its chain of custody (permission incident.evidence).
func (h *Handler) VerifyIncidentEvidence(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	res, err := svc.VerifyEvidence(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, Page[incident.Verification]{Items: res})
}

// TakeIncident makes the caller the one in charge of a case, or releases
// it ({"release": true}; permission incident.write on its unit).
func (h *Handler) TakeIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.incidents()
	if err != nil {
		return err
	}
	var in struct {
		Release bool `json:"release"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	if _, err := svc.Take(r.Context(), respond.Principal(r), pathID(r), in.Release); err != nil {
		return err
	}
	return h.caseOut(w, r, svc, pathID(r), http.StatusOK)
}
