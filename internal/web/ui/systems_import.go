package ui

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/system/sheet"
	"khien.vn/khien/internal/web/respond"
)

// maxImport bounds an uploaded register file (the parser has its own limits too).
const maxImport = 32 << 20

type importProblem struct {
	Line          int
	Column, Value string
	Text          string
}

type importPage struct {
	Base
	Done             bool
	Problems         []importProblem
	Created, Updated []string
	Failed           string
}

// ImportForm shows the register import page.
func (h *Handler) ImportForm(w http.ResponseWriter, r *http.Request) error {
	if err := respond.Principal(r).Authorize(authz.PermSystemWrite, 0); err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "systems_import", importPage{Base: h.base(w, r, "import.title", "systems")})
}

// problemText gives a problem in the request's language: the parser's own
// message, else the catalogue's text for its key.
func (h *Handler) problemText(r *http.Request, p sheet.Problem) string {
	if t := h.text(r, p.Message); t != "" && t != p.Key {
		return t
	}
	return h.Translate(r, p.Key, p.Args...)
}

// Import reads an uploaded CSV or XLSX register; every row is checked
// before any is written, and the page lists every problem by row and column.
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermSystemWrite, 0); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImport+1<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return errs.Invalid("file", "err.import_file")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImport+1))
	if err != nil || len(data) > maxImport {
		return errs.Invalid("file", "err.import_file")
	}
	pack, err := h.Systems.Pack("")
	if err != nil {
		return err
	}
	var rep sheet.Report
	if strings.HasSuffix(strings.ToLower(hdr.Filename), ".xlsx") {
		rep, err = sheet.ParseXLSX(bytes.NewReader(data), pack)
	} else {
		rep, err = sheet.ParseCSV(bytes.NewReader(data), pack)
	}
	if err != nil {
		if pe, ok := errs.AsPublic(err); ok {
			return h.render(w, r, http.StatusBadRequest, "systems_import", importPage{Base: h.base(w, r, "import.title", "systems"),
				Done: true, Problems: []importProblem{{Text: h.Translate(r, pe.Key, pe.Args...)}}})
		}
		var fe *sheet.FileError
		if asFileError(err, &fe) {
			return h.render(w, r, http.StatusBadRequest, "systems_import", importPage{Base: h.base(w, r, "import.title", "systems"),
				Done: true, Problems: []importProblem{{Text: h.text(r, fe.Message)}}})
		}
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	codes := map[string]int64{}
	for _, n := range tree.Walk(nil) {
		codes[n.Code] = n.ID
	}
	res, err := sheet.Import(ctx, h.Systems, p, rep, func(code string) (int64, bool) { id, ok := codes[code]; return id, ok })
	if err != nil {
		return err
	}
	v := importPage{Base: h.base(w, r, "import.title", "systems"), Done: true, Created: res.Created, Updated: res.Updated}
	for _, pb := range res.Report.Problems() {
		v.Problems = append(v.Problems, importProblem{Line: pb.Line, Column: pb.Column, Value: pb.Value, Text: h.problemText(r, pb)})
	}
	if res.Failed != nil {
		v.Failed = h.problemText(r, *res.Failed)
	}
	status := http.StatusOK
	if len(v.Problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return h.render(w, r, status, "systems_import", v)
}

// RegisterFile sends the register (kind "export") or an empty template, as CSV or XLSX.
func (h *Handler) RegisterFile(kind, format string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		p := respond.Principal(r)
		if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
			return err
		}
		pack, err := h.Systems.Pack("")
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if kind == "template" {
			if format == "xlsx" {
				err = sheet.TemplateXLSX(&buf, pack)
			} else {
				err = sheet.TemplateCSV(&buf, pack)
			}
		} else {
			systems, lerr := h.Systems.List(ctx, p, system.Filter{})
			if lerr != nil {
				return lerr
			}
			tree, terr := h.Units.Tree(ctx)
			if terr != nil {
				return terr
			}
			codes := map[int64]string{}
			for _, s := range systems {
				codes[s.ID] = s.Code
			}
			unitCode := func(id int64) string { u, _ := tree.Get(id); return u.Code }
			systemCode := func(id int64) string { return codes[id] }
			if format == "xlsx" {
				err = sheet.ExportXLSX(&buf, pack, systems, unitCode, systemCode)
			} else {
				err = sheet.ExportCSV(&buf, pack, systems, unitCode, systemCode)
			}
		}
		if err != nil {
			return err
		}
		ctype := "text/csv; charset=utf-8"
		if format == "xlsx" {
			ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		name := "khien-" + kind + "-he-thong." + format
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		_, err = buf.WriteTo(w)
		return err
	}
}

func asFileError(err error, target **sheet.FileError) bool { return errors.As(err, target) }
