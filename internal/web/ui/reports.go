package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type reportsPage struct {
	Base
	Units     []unit.Node
	Year      int
	From, To  string
	Jobs      []reportJob
	CanCreate bool
}

type reportJob struct {
	job.Job
	Req   compliance.ReportRequest
	Files []string
}

// Reports shows the reports to the authority: a form to generate one and the reports generated before.
func (h *Handler) Reports(w http.ResponseWriter, r *http.Request) error {
	return h.reportsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) reportsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermJobRead, 0); err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	now := time.Now().In(h.Location)
	v := reportsPage{Base: h.base(w, r, "reports.title", "reports"), Year: now.Year(),
		From: time.Date(now.Year(), 1, 1, 0, 0, 0, 0, h.Location).Format(time.DateOnly), To: now.Format(time.DateOnly),
		CanCreate: p.Can(authz.PermReportGenerate)}
	visible := tree.Expand(p.Grants)
	if p.All {
		visible = nil
	}
	v.Units = tree.Walk(visible)
	jobs, err := h.Jobs.List(ctx, JobFilter(p, job.Filter{Limit: 200}))
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Kind != compliance.JobAnnualReport && j.Kind != compliance.JobImplementationReport {
			continue
		}
		rj := reportJob{Job: j, Files: reportFiles(j)}
		_ = json.Unmarshal([]byte(j.Params), &rj.Req)
		v.Jobs = append(v.Jobs, rj)
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "reports", v)
}

// StartReport submits a report job and shows its progress.
func (h *Handler) StartReport(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	year, _ := strconv.Atoi(r.PostFormValue("year"))
	req := compliance.ReportRequest{Kind: r.PostFormValue("kind"), UnitID: parseID(r.PostFormValue("unit_id")), Year: year,
		From: r.PostFormValue("from"), To: r.PostFormValue("to"), Number: r.PostFormValue("number"),
		Recipient: r.PostFormValue("recipient"), Place: r.PostFormValue("place"),
		SignerRole: r.PostFormValue("signer_role"), SignerName: r.PostFormValue("signer_name")}
	j, err := h.Compliance.StartReport(r.Context(), respond.Principal(r), req)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.reportsPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/jobs/"+strconv.FormatInt(j.ID, 10), "", "")
}

// DownloadReport sends a generated report file.
func (h *Handler) DownloadReport(w http.ResponseWriter, r *http.Request) error {
	j, err := h.loadJob(r, false)
	if err != nil {
		return err
	}
	path, name, err := h.Compliance.ReportFile(r.Context(), respond.Principal(r), j, r.PathValue("format"))
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	ctype := map[string]string{
		"pdf":  "application/pdf",
		"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	}[r.PathValue("format")]
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(name, `"`, "")+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(data)
	return err
}

// reportFiles lists the formats a finished report job produced.
func reportFiles(j job.Job) []string {
	if j.Status != job.Succeeded {
		return nil
	}
	var res compliance.ReportResult
	if json.Unmarshal([]byte(j.Result), &res) != nil {
		return nil
	}
	var out []string
	for _, f := range compliance.ReportFormats {
		if res.Files[f] != "" {
			out = append(out, f)
		}
	}
	return out
}
