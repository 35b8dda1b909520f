package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/evtx"
	"khien.vn/khien/internal/job"
)

// JobImportEVTX is the job kind that imports an uploaded .evtx file.
const JobImportEVTX = "ingest.evtx"

// MaxEVTXUpload bounds an uploaded .evtx file (Windows caps a log at 4 GiB;
// investigations export smaller ones).
const MaxEVTXUpload = 4 << 30

type evtxJobParams struct {
	File   string `json:"file"`    // path in data_dir/uploads
	Name   string `json:"name"`    // original file name
	UnitID int64  `json:"unit_id"` // 0: attribution decides
}

// retentionStart is the oldest event time the store keeps under cfg.
func retentionStart(cfg config.Config, now time.Time) time.Time {
	return now.AddDate(0, 0, -cfg.Events.RetentionDays).Add(time.Hour) // a margin for the import's own duration
}

// describeImport says what an import did, in one line for a job result or
// the terminal, including what it could not keep.
func describeImport(name string, res evtx.ImportResult, retentionDays int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d records, %d events imported", name, res.Records, res.Events)
	if !res.Oldest.IsZero() {
		fmt.Fprintf(&b, " (events from %s to %s)", res.Oldest.Format(time.RFC3339), res.Newest.Format(time.RFC3339))
	}
	if res.RecordErrors > 0 {
		fmt.Fprintf(&b, "; %d records only partly decoded (stored with a parse error)", res.RecordErrors)
	}
	if res.ChunksSkipped > 0 {
		fmt.Fprintf(&b, "; %d corrupt chunks skipped", res.ChunksSkipped)
	}
	if res.TooOld > 0 {
		days := int(time.Since(res.Oldest).Hours()/24) + 2
		fmt.Fprintf(&b, "; WARNING: %d events are older than the %d-day retention and were NOT stored — set events.retention_days to at least %d and import the file again",
			res.TooOld, retentionDays, days)
	}
	return b.String()
}

// SubmitEVTXImport saves an uploaded .evtx file in data_dir/uploads and
// submits the job that imports it through the spool, as p, into unitID
// (0: attribution decides). The file is checked to be EVTX first.
func (in *Ingest) SubmitEVTXImport(ctx context.Context, p *authz.Principal, name string, unitID int64, body io.Reader) (job.Job, error) {
	if unitID != 0 {
		if err := p.Authorize(authz.PermEventImport, unitID); err != nil {
			return job.Job{}, err
		}
	} else if err := p.AuthorizeGlobal(authz.PermEventImport); err != nil {
		return job.Job{}, err
	}
	dir := filepath.Join(in.core.Config.DataDir, "uploads")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return job.Job{}, err
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	path := filepath.Join(dir, hex.EncodeToString(rnd[:])+".evtx")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return job.Job{}, err
	}
	n, err := io.Copy(f, io.LimitReader(body, MaxEVTXUpload+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	fail := func(err error) (job.Job, error) {
		_ = os.Remove(path)
		return job.Job{}, err
	}
	if err != nil {
		return fail(fmt.Errorf("save upload: %w", err))
	}
	if n > MaxEVTXUpload {
		return fail(errs.Invalid("file", "err.evtx_size", MaxEVTXUpload>>30))
	}
	if err := checkEVTX(path); err != nil {
		return fail(fmt.Errorf("%s: %w: %w", name, err, errs.Invalid("file", "err.not_evtx")))
	}
	params, _ := json.Marshal(evtxJobParams{File: path, Name: filepath.Base(name), UnitID: unitID})
	j, err := in.core.Jobs.Submit(ctx, job.Spec{Kind: JobImportEVTX, UnitID: unitID, CreatedBy: p.UserID, Params: string(params)})
	if err != nil {
		return fail(err)
	}
	return j, nil
}

func checkEVTX(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = evtx.Open(f, st.Size())
	return err
}

// registerImportJob registers the .evtx import job: it reads the uploaded
// file into the spool (the pipeline attributes, normalises and stores),
// with progress in chunks, and removes the file when done.
func (s *Server) registerImportJob() {
	s.core.Jobs.Register(JobImportEVTX, func(ctx context.Context, p *job.Progress) error {
		var params evtxJobParams
		if err := json.Unmarshal([]byte(p.Job().Params), &params); err != nil {
			return fmt.Errorf("job parameters: %w", err)
		}
		uploads := filepath.Join(s.core.Config.DataDir, "uploads")
		if filepath.Dir(params.File) != uploads {
			return fmt.Errorf("job parameters: file outside %s", uploads)
		}
		defer os.Remove(params.File)
		p.Message("reading " + params.Name)
		res, err := importEVTXFile(ctx, params.File, params.Name, params.UnitID, s.ingest.Spool, retentionStart(s.core.Config, time.Now()),
			func(st evtx.Stats) { p.Set(int64(st.ChunksDone), int64(st.Chunks)) })
		summary := describeImport(params.Name, res, s.core.Config.Events.RetentionDays)
		p.SetResult(summary)
		if err != nil {
			return err
		}
		if res.TooOld > 0 {
			s.core.Logger.Warn("evtx import: events older than the retention not stored", "file", params.Name, "too_old", res.TooOld)
		}
		return nil
	})
}

func importEVTXFile(ctx context.Context, path, name string, unitID int64, sink ingest.Sink, oldest time.Time, progress func(evtx.Stats)) (evtx.ImportResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return evtx.ImportResult{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return evtx.ImportResult{}, err
	}
	return evtx.Import(ctx, f, st.Size(), evtx.ImportOptions{
		Sink: sink, Source: "evtx:" + name, UnitID: unitID, OldestKept: oldest, Progress: progress,
	})
}

// ImportEVTXFiles imports .evtx files straight into the event store, for
// `khien import evtx` on a stopped server (the running server holds the
// store: upload the files in the UI or API instead). unitID 0 lets
// attribution decide. It returns one line per file.
func (c *Core) ImportEVTXFiles(ctx context.Context, files []string, unitID int64, progress func(file string, st evtx.Stats)) ([]string, error) {
	store, err := OpenEvents(ctx, c.Config, c.Logger)
	if err != nil {
		if errors.Is(err, eventstore.ErrInUse) {
			return nil, fmt.Errorf("%w — a running khien holds the event store: upload the files in the web UI (Sources → Import .evtx) or stop the server", err)
		}
		return nil, err
	}
	defer store.Close()
	proc, err := c.newProcessor(ctx)
	if err != nil {
		return nil, err
	}
	stages := proc.stages()
	var refused eventstore.AppendResult
	sink := ingest.SinkFunc(func(ctx context.Context, batch []event.Event) error {
		for _, st := range stages {
			st(ctx, batch)
		}
		r, err := store.Append(ctx, batch)
		refused.Add(r)
		return err
	})
	var lines []string
	for _, file := range files {
		name := filepath.Base(file)
		res, err := importEVTXFile(ctx, file, name, unitID, sink, retentionStart(c.Config, time.Now()),
			func(st evtx.Stats) {
				if progress != nil {
					progress(name, st)
				}
			})
		lines = append(lines, describeImport(name, res, c.Config.Events.RetentionDays))
		if err != nil {
			return lines, fmt.Errorf("%s: %w", file, err)
		}
	}
	if err := store.Flush(ctx); err != nil {
		return lines, err
	}
	n, err := c.Alerts.Flush(ctx)
	c.WaitAlertNotifications()
	if err != nil {
		return lines, err
	}
	if n > 0 {
		lines = append(lines, fmt.Sprintf("%d new alert(s) raised", n))
	}
	if refused.Dropped() > 0 {
		lines = append(lines, fmt.Sprintf("WARNING: the event store refused %d events (too old %d, too new %d, invalid %d)",
			refused.Dropped(), refused.TooOld, refused.TooNew, refused.Invalid))
	}
	return lines, nil
}
