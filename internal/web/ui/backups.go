package ui

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/web/respond"
)

func (h *Handler) backups() (*backup.Service, error) {
	if h.Deps.Backups == nil {
		return nil, fmt.Errorf("backup assurance is not available: %w", errs.ErrUnavailable)
	}
	return h.Deps.Backups, nil
}

type backupsPage struct {
	Base
	Plans []backupPlanRow
	Units []backupUnitRow
	// CanWrite: the user may create plans (backup.write somewhere).
	CanWrite bool
}

// backupPlanRow is a plan with what it proves, as the list and the plan's
// page show it.
type backupPlanRow struct {
	backup.PlanView
	System string
	// Lang picks the language of the reasons.
	Lang string
	// CanWrite: the user may edit the plan (backup.write on its unit).
	CanWrite bool
	// Open shows the checks and the readiness items unfolded.
	Open bool
}

// backupUnitRow is the readiness of a unit's systems.
type backupUnitRow struct {
	backup.UnitReadiness
	Unit    string
	Systems []backupSystemRow
}

// backupSystemRow is a system's readiness; CanWrite when the user may
// give it a plan.
type backupSystemRow struct {
	backup.SystemReadiness
	CanWrite bool
}

// systemNames names the systems p may see: "CODE — Name" by id.
func (h *Handler) systemNames(r *http.Request, p *authz.Principal) map[int64]string {
	names := map[int64]string{}
	if list, err := h.Systems.List(r.Context(), p, system.Filter{}); err == nil {
		for _, s := range list {
			names[s.ID] = s.Code + " — " + s.Name
		}
	}
	return names
}

func systemName(names map[int64]string, id int64) string {
	if n := names[id]; n != "" {
		return n
	}
	return fmt.Sprintf("#%d", id)
}

// Backups lists the backup plans of the user's units with what each
// proves — the 3-2-1-1-0 and level checks, the issues of its backups and
// the readiness score, every one with its reason — after the ransomware
// readiness of every system in scope, by unit (a unit as ready as its
// weakest system; systems without a plan shown).
func (h *Handler) Backups(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	ctx := r.Context()
	ov, err := svc.Overview(ctx, p)
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := backupsPage{Base: h.base(w, r, "backups.title", "backups"), CanWrite: p.Can(authz.PermBackupWrite)}
	for _, u := range ov.Units {
		row := backupUnitRow{UnitReadiness: u, Unit: tree.Path(u.UnitID)}
		canWrite := p.Authorize(authz.PermBackupWrite, u.UnitID) == nil
		for _, s := range u.Systems {
			row.Systems = append(row.Systems, backupSystemRow{SystemReadiness: s, CanWrite: canWrite})
		}
		v.Units = append(v.Units, row)
	}
	slices.SortStableFunc(v.Units, func(a, b backupUnitRow) int { return cmp.Compare(a.Unit, b.Unit) })
	// The plans, by unit and system as above; then any plan of the user's
	// units whose system is not in scope.
	seen := map[int64]bool{}
	for _, u := range v.Units {
		for _, s := range u.Systems {
			for _, pv := range s.Plans {
				seen[pv.Plan.ID] = true
				v.Plans = append(v.Plans, backupPlanRow{PlanView: pv, System: s.System.Code + " — " + s.System.Name, Lang: v.Lang,
					CanWrite: p.Authorize(authz.PermBackupWrite, pv.Plan.UnitID) == nil})
			}
		}
	}
	plans, err := svc.Plans(ctx, p, 0)
	if err != nil {
		return err
	}
	for _, pl := range plans {
		if seen[pl.ID] {
			continue
		}
		pv, err := svc.View(ctx, p, pl.ID)
		if err != nil {
			return err
		}
		v.Plans = append(v.Plans, backupPlanRow{PlanView: pv, System: fmt.Sprintf("#%d", pl.SystemID), Lang: v.Lang,
			CanWrite: p.Authorize(authz.PermBackupWrite, pl.UnitID) == nil})
	}
	return h.render(w, r, http.StatusOK, "backups", v)
}

// backupRunRow is a run as the history shows it.
type backupRunRow struct {
	backup.Run
	Size, StatusText, SourceText string
}

// backupRestoreRow is a restore test with its actual RTO and RPO written
// out.
type backupRestoreRow struct {
	backup.RestoreTest
	Took, DataAge string
}

// backupContentRow is a content check with its reasons in the user's
// language.
type backupContentRow struct {
	backup.ContentCheck
	Reasons []string
}

// repoForm is what the repository form keeps after a refused post: never
// the password or the backend's environment (both may be credentials).
type repoForm struct {
	Copy, Location, Subset string
}

type backupPlanPage struct {
	Base
	Row      backupPlanRow
	Unit     string
	Assets   []asset.Asset
	Every    string
	RPO      string
	RTO      string
	Restore  string
	Runs     []backupRunRow
	Checks   []backup.IntegrityCheck
	Restores []backupRestoreRow
	Contents []backupContentRow
	Repos    []backup.Repository
	Repo     repoForm
	CanWrite bool
}

// BackupPlan shows a plan with what it proves and its history: runs,
// integrity checks, restore tests (the actual RTO and RPO), content checks
// and the watched repositories, with the forms to add a repository and to
// delete the plan for users who may change it.
func (h *Handler) BackupPlan(w http.ResponseWriter, r *http.Request) error {
	return h.backupPlanPage(w, r, http.StatusOK, nil, repoForm{Subset: "5%"})
}

func (h *Handler) backupPlanPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash, form repoForm) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	ctx := r.Context()
	view, err := svc.View(ctx, p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	hist, err := svc.History(ctx, p, view.Plan.ID, 50)
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	lang := respond.Lang(r)
	canWrite := p.Authorize(authz.PermBackupWrite, view.Plan.UnitID) == nil
	v := backupPlanPage{Base: h.base(w, r, "backups.plan_title", "backups"), Unit: tree.Path(view.Plan.UnitID),
		Row:   backupPlanRow{PlanView: view, System: systemName(h.systemNames(r, p), view.Plan.SystemID), Lang: lang, CanWrite: canWrite, Open: true},
		Every: h.hoursText(r, view.Plan.Every), RPO: h.hoursText(r, view.Plan.RPO), RTO: h.hoursText(r, view.Plan.RTO),
		Restore: h.Translate(r, "backups.n_days", formatNumber(view.Plan.RestoreEvery.Hours()/24)),
		Checks:  hist.Checks, Repos: hist.Repositories, Repo: form, CanWrite: canWrite}
	v.Title = view.Plan.Name + " — " + h.Translate(r, "backups.title")
	if len(view.Plan.AssetIDs) > 0 {
		list, err := h.Assets.List(ctx, p, asset.Filter{SystemID: view.Plan.SystemID})
		if err != nil && !errors.Is(err, errs.ErrForbidden) {
			return err
		}
		for _, a := range list {
			if slices.Contains(view.Plan.AssetIDs, a.ID) {
				v.Assets = append(v.Assets, a)
			}
		}
	}
	for _, run := range hist.Runs {
		row := backupRunRow{Run: run, Size: "—", StatusText: h.label(lang, "backups.status_", string(run.Status)),
			SourceText: h.label(lang, "backups.source_", run.Source)}
		if run.Bytes > 0 {
			row.Size = humanBytes(run.Bytes)
		}
		v.Runs = append(v.Runs, row)
	}
	for _, t := range hist.RestoreTests {
		v.Restores = append(v.Restores, backupRestoreRow{RestoreTest: t, Took: h.durationText(r, t.Duration), DataAge: h.durationText(r, t.DataAge())})
	}
	for _, c := range hist.ContentChecks {
		row := backupContentRow{ContentCheck: c, Reasons: c.VI}
		if lang == "en" {
			row.Reasons = c.EN
		}
		v.Contents = append(v.Contents, row)
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "backup_plan", v)
}

// label translates prefix+value, or gives value when the catalogue has
// no such key (a source another tool names).
func (h *Handler) label(lang, prefix, value string) string {
	if h.Catalog.Has(lang, prefix+value) {
		return h.Catalog.T(lang, prefix+value)
	}
	return value
}

// hoursText writes d in hours ("24 giờ").
func (h *Handler) hoursText(r *http.Request, d time.Duration) string {
	return h.Translate(r, "backups.n_hours", formatNumber(d.Hours()))
}

// durationText writes d to the second in the user's language, in its two
// largest units ("2 giờ 5 phút").
func (h *Handler) durationText(r *http.Request, d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		d = 0
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	mins, secs := int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case days > 0:
		return h.Translate(r, "backups.dur_dh", days, hours)
	case hours > 0:
		return h.Translate(r, "backups.dur_hm", hours, mins)
	}
	return h.Translate(r, "backups.dur_ms", mins, secs)
}

// formatNumber writes f without trailing zeros ("24", "1.5").
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// copyRow is one row of the copies of the plan form, as typed. Key
// numbers its fields (copy_name_<Key>…); Choices are the media offered.
type copyRow struct {
	Key                         string
	Name, Media, Location, Job  string
	Distance                    string
	Offsite, Offline, Immutable bool
	Choices                     []backup.Media
}

// blank reports whether nothing was entered in the row (its medium, a
// select, always has a value).
func (c copyRow) blank() bool {
	return strings.TrimSpace(c.Name+c.Location+c.Job+c.Distance) == "" && !c.Offsite && !c.Offline && !c.Immutable
}

// planForm is the plan form's content, as typed.
type planForm struct {
	ID, SystemID                             int64
	Name, Scope                              string
	AssetIDs                                 map[int64]bool
	Every, RPO, RTO, Retention, RestoreEvery string
	Central                                  bool
	Copies                                   []copyRow
}

// blankCopies is how many empty copy rows the form offers (more with
// "add copy" when scripts run).
const blankCopies = 2

// assetGroup is a system's assets, for the plan form's asset select.
type assetGroup struct {
	System string
	Assets []asset.Asset
}

type backupFormPage struct {
	Base
	IsNew   bool
	Form    planForm
	System  string
	Systems []system.System
	Assets  []assetGroup
	// Next is the index the next added copy row takes; BlankRow the row
	// "add copy" clones (its Key a placeholder the script replaces).
	Next     int
	BlankRow copyRow
}

func formOfPlan(pl backup.Plan) planForm {
	f := planForm{ID: pl.ID, SystemID: pl.SystemID, Name: pl.Name, Scope: pl.Scope, AssetIDs: map[int64]bool{},
		Every: formatNumber(pl.Every.Hours()), RPO: formatNumber(pl.RPO.Hours()), RTO: formatNumber(pl.RTO.Hours()),
		Retention: strconv.Itoa(pl.RetentionDays), RestoreEvery: formatNumber(pl.RestoreEvery.Hours() / 24), Central: pl.Central}
	for _, id := range pl.AssetIDs {
		f.AssetIDs[id] = true
	}
	for _, c := range pl.Copies {
		row := copyRow{Name: c.Name, Media: string(c.Media), Location: c.Location, Job: c.Job,
			Offsite: c.Offsite, Offline: c.Offline, Immutable: c.Immutable}
		if c.DistanceKM > 0 {
			row.Distance = strconv.Itoa(c.DistanceKM)
		}
		f.Copies = append(f.Copies, row)
	}
	return f
}

// backupFormView renders the plan form: the systems the user may give a
// plan, their assets by system, the copies entered and blank rows.
func (h *Handler) backupFormView(w http.ResponseWriter, r *http.Request, status int, v backupFormPage, flash *Flash) error {
	p := respond.Principal(r)
	ctx := r.Context()
	title := "backups.edit_plan"
	if v.IsNew {
		title = "backups.new_plan"
	}
	v.Base = h.base(w, r, title, "backups")
	systems, err := h.Systems.List(ctx, p, system.Filter{})
	if err != nil && !errors.Is(err, errs.ErrForbidden) {
		return err
	}
	names := map[int64]string{}
	for _, s := range systems {
		names[s.ID] = s.Code + " — " + s.Name
		if v.IsNew && p.Authorize(authz.PermBackupWrite, s.UnitID) == nil && s.Status != system.Retired {
			v.Systems = append(v.Systems, s)
		}
	}
	v.System = systemName(names, v.Form.SystemID)
	// The assets of the plan's system, or of every system offered.
	f := asset.Filter{}
	if !v.IsNew {
		f.SystemID = v.Form.SystemID
	}
	assets, err := h.Assets.List(ctx, p, f)
	if err != nil && !errors.Is(err, errs.ErrForbidden) {
		return err
	}
	groups := map[int64]int{}
	offered := v.Systems
	if !v.IsNew {
		offered = []system.System{{ID: v.Form.SystemID}}
	}
	for _, s := range offered {
		groups[s.ID] = len(v.Assets)
		v.Assets = append(v.Assets, assetGroup{System: names[s.ID]})
	}
	for _, a := range assets {
		for _, sid := range a.SystemIDs {
			if i, ok := groups[sid]; ok {
				v.Assets[i].Assets = append(v.Assets[i].Assets, a)
			}
		}
	}
	v.Assets = slices.DeleteFunc(v.Assets, func(g assetGroup) bool { return len(g.Assets) == 0 })
	if v.Form.AssetIDs == nil {
		v.Form.AssetIDs = map[int64]bool{}
	}
	for range blankCopies {
		v.Form.Copies = append(v.Form.Copies, copyRow{Media: string(backup.Disk)})
	}
	for i := range v.Form.Copies {
		v.Form.Copies[i].Key, v.Form.Copies[i].Choices = strconv.Itoa(i), backup.MediaList
	}
	v.Next = len(v.Form.Copies)
	v.BlankRow = copyRow{Key: "__i__", Media: string(backup.Disk), Choices: backup.MediaList}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "backup_form", v)
}

// NewBackupPlan shows an empty plan form (?system= picks the system).
func (h *Handler) NewBackupPlan(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.backups(); err != nil {
		return err
	}
	if err := respond.Principal(r).Authorize(authz.PermBackupWrite, 0); err != nil {
		return err
	}
	f := planForm{SystemID: max(parseID(r.URL.Query().Get("system")), 0), Every: "24", RPO: "24", RTO: "4",
		Retention: "30", RestoreEvery: "90", AssetIDs: map[int64]bool{}}
	return h.backupFormView(w, r, http.StatusOK, backupFormPage{IsNew: true, Form: f}, nil)
}

// EditBackupPlan shows a plan's form.
func (h *Handler) EditBackupPlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	v, err := svc.View(r.Context(), p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermBackupWrite, v.Plan.UnitID); err != nil {
		return err
	}
	return h.backupFormView(w, r, http.StatusOK, backupFormPage{Form: formOfPlan(v.Plan)}, nil)
}

var copyField = regexp.MustCompile(`^copy_name_([0-9]{1,3})$`)

// readPlanForm reads the plan form: the form as typed (to show again) and
// the plan it describes, or why it does not describe one.
func readPlanForm(r *http.Request) (planForm, backup.Plan, error) {
	f := planForm{SystemID: max(parseID(r.PostFormValue("system_id")), 0), Name: r.PostFormValue("name"), Scope: r.PostFormValue("scope"),
		AssetIDs: map[int64]bool{}, Every: strings.TrimSpace(r.PostFormValue("every_hours")), RPO: strings.TrimSpace(r.PostFormValue("rpo_hours")),
		RTO: strings.TrimSpace(r.PostFormValue("rto_hours")), Retention: strings.TrimSpace(r.PostFormValue("retention_days")),
		RestoreEvery: strings.TrimSpace(r.PostFormValue("restore_every_days")), Central: r.PostFormValue("central") == "1"}
	pl := backup.Plan{SystemID: f.SystemID, Name: f.Name, Scope: f.Scope, Central: f.Central}
	for _, id := range formIDs(r, "asset_ids") {
		if !f.AssetIDs[id] {
			f.AssetIDs[id] = true
			pl.AssetIDs = append(pl.AssetIDs, id)
		}
	}
	var rows []int
	for key := range r.PostForm {
		if m := copyField.FindStringSubmatch(key); m != nil {
			i, _ := strconv.Atoi(m[1])
			rows = append(rows, i)
		}
	}
	slices.Sort(rows)
	for _, i := range slices.Compact(rows) {
		n := strconv.Itoa(i)
		c := copyRow{Name: r.PostFormValue("copy_name_" + n), Media: r.PostFormValue("copy_media_" + n),
			Location: r.PostFormValue("copy_location_" + n), Job: r.PostFormValue("copy_job_" + n),
			Distance: strings.TrimSpace(r.PostFormValue("copy_distance_" + n)), Offsite: r.PostFormValue("copy_offsite_"+n) == "1",
			Offline: r.PostFormValue("copy_offline_"+n) == "1", Immutable: r.PostFormValue("copy_immutable_"+n) == "1"}
		if !c.blank() {
			f.Copies = append(f.Copies, c)
		}
	}
	// number reads a positive number of at most limit ("1,5" as 1.5).
	number := func(s string, limit float64) (float64, bool) {
		x, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		return x, err == nil && x > 0 && x <= limit && !math.IsNaN(x)
	}
	const maxHours, maxDays = 10 * 366 * 24, 100 * 366
	for _, d := range []struct {
		field, value string
		to           *time.Duration
	}{{"every", f.Every, &pl.Every}, {"rpo", f.RPO, &pl.RPO}, {"rto", f.RTO, &pl.RTO}} {
		x, ok := number(d.value, maxHours)
		if !ok {
			return f, pl, errs.Invalid(d.field, "backups.err_hours")
		}
		*d.to = time.Duration(x * float64(time.Hour)).Round(time.Second)
	}
	days, ok := number(f.RestoreEvery, maxDays)
	if !ok {
		return f, pl, errs.Invalid("restore_every", "backups.err_days")
	}
	pl.RestoreEvery = time.Duration(days * 24 * float64(time.Hour)).Round(time.Second)
	var err error
	if pl.RetentionDays, err = strconv.Atoi(f.Retention); err != nil || pl.RetentionDays <= 0 || pl.RetentionDays > maxDays {
		return f, pl, errs.Invalid("retention_days", "backups.err_days")
	}
	for _, c := range f.Copies {
		cp := backup.Copy{Name: c.Name, Media: backup.Media(c.Media), Location: c.Location, Job: c.Job,
			Offsite: c.Offsite, Offline: c.Offline, Immutable: c.Immutable}
		if c.Distance != "" {
			if cp.DistanceKM, err = strconv.Atoi(c.Distance); err != nil || cp.DistanceKM < 0 {
				return f, pl, errs.Invalid("copies", "backups.err_distance", c.Name)
			}
		}
		pl.Copies = append(pl.Copies, cp)
	}
	return f, pl, nil
}

// backupFieldLabels name the plan's and repository's fields in refusals.
var backupFieldLabels = map[string]string{
	"system_id": "backups.system", "name": "backups.name", "scope": "backups.scope", "assets": "backups.assets",
	"every": "backups.every", "rpo": "backups.rpo", "rto": "backups.rto", "retention_days": "backups.retention",
	"restore_every": "backups.restore_every", "copies": "backups.copies", "copy": "backups.repo_copy",
	"location": "backups.repo_location", "password": "backups.repo_password", "env": "backups.repo_env",
	"check_subset": "backups.repo_subset",
}

// backupFormErr is formErr with the field at fault named.
func (h *Handler) backupFormErr(r *http.Request, err error) (*Flash, int, bool) {
	flash, status, ok := formErr(h, r, err)
	if !ok {
		return nil, 0, false
	}
	if pe, isPublic := errs.AsPublic(err); isPublic {
		if key, named := backupFieldLabels[pe.Field]; named {
			flash.Text = h.Translate(r, key) + ": " + flash.Text
		}
	}
	return flash, status, true
}

// checkAssets refuses assets that are not the system's.
func (h *Handler) checkAssets(r *http.Request, pl backup.Plan) error {
	if len(pl.AssetIDs) == 0 {
		return nil
	}
	list, err := h.Assets.List(r.Context(), respond.Principal(r), asset.Filter{SystemID: pl.SystemID})
	if err != nil {
		return err
	}
	for _, id := range pl.AssetIDs {
		if !slices.ContainsFunc(list, func(a asset.Asset) bool { return a.ID == id }) {
			return errs.Invalid("assets", "backups.err_assets")
		}
	}
	return nil
}

// CreateBackupPlan creates a plan from the form.
func (h *Handler) CreateBackupPlan(w http.ResponseWriter, r *http.Request) error {
	return h.saveBackupPlan(w, r, true)
}

// UpdateBackupPlan saves a plan's form.
func (h *Handler) UpdateBackupPlan(w http.ResponseWriter, r *http.Request) error {
	return h.saveBackupPlan(w, r, false)
}

func (h *Handler) saveBackupPlan(w http.ResponseWriter, r *http.Request, isNew bool) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	form, pl, err := readPlanForm(r)
	if !isNew {
		// The stored plan decides who may change it and keeps its system.
		cur, verr := svc.View(r.Context(), p, parseID(r.PathValue("id")))
		if verr != nil {
			return verr
		}
		if aerr := p.Authorize(authz.PermBackupWrite, cur.Plan.UnitID); aerr != nil {
			return aerr
		}
		pl.ID, pl.SystemID = cur.Plan.ID, cur.Plan.SystemID
		form.ID, form.SystemID = pl.ID, pl.SystemID
		for i, c := range pl.Copies { // a copy keeps its watched repository
			if j := slices.IndexFunc(cur.Plan.Copies, func(o backup.Copy) bool { return strings.EqualFold(o.Name, strings.TrimSpace(c.Name)) }); j >= 0 {
				pl.Copies[i].RepositoryID = cur.Plan.Copies[j].RepositoryID
			}
		}
	} else if aerr := p.Authorize(authz.PermBackupWrite, 0); aerr != nil {
		return aerr
	}
	if isNew && pl.SystemID > 0 {
		// Who may plan for the system is decided before the form is judged.
		sys, serr := h.Systems.Get(r.Context(), p, pl.SystemID)
		if serr == nil {
			serr = p.Authorize(authz.PermBackupWrite, sys.UnitID)
		}
		if serr != nil {
			return serr
		}
	}
	if err == nil && pl.SystemID <= 0 {
		err = errs.Invalid("system_id", "err.required")
	}
	if err == nil {
		err = h.checkAssets(r, pl)
	}
	var saved backup.Plan
	if err == nil {
		saved, err = svc.SavePlan(r.Context(), p, pl)
	}
	if err != nil {
		if flash, status, ok := h.backupFormErr(r, err); ok {
			return h.backupFormView(w, r, status, backupFormPage{IsNew: isNew, Form: form}, flash)
		}
		return err
	}
	key := "common.saved"
	if isNew {
		key = "backups.created"
	}
	return h.redirect(w, r, "/backups/"+strconv.FormatInt(saved.ID, 10), "ok", key)
}

// DeleteBackupPlan removes a plan with its history.
func (h *Handler) DeleteBackupPlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	if err := svc.DeletePlan(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/backups", "ok", "backups.deleted")
}

// DeleteBackupRepository stops watching a repository of the plan.
func (h *Handler) DeleteBackupRepository(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	id := parseID(r.PathValue("id"))
	if err := svc.DeleteRepository(r.Context(), respond.Principal(r), id, parseID(r.PathValue("repo"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/backups/"+strconv.FormatInt(id, 10)+"#backup-repositories", "ok", "backups.repo_deleted")
}

// envKey is a backend variable's name.
var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// maxEnv bounds the backend variables of a repository.
const maxEnv = 50

// parseEnv reads KEY=VALUE lines (blank lines and # comments skipped).
func parseEnv(s string) (map[string]string, error) {
	env := map[string]string{}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, val, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if _, dup := env[k]; !ok || !envKey.MatchString(k) || dup || len(env) >= maxEnv {
			return nil, errs.Invalid("env", "backups.err_env", i+1)
		}
		env[k] = strings.TrimSpace(val)
	}
	return env, nil
}

// AddBackupRepository records a watched restic repository from the plan
// page's form. The password and environment are never shown again, not
// even when the form is refused.
func (h *Handler) AddBackupRepository(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	id := parseID(r.PathValue("id"))
	form := repoForm{Copy: r.PostFormValue("copy"), Location: r.PostFormValue("location"), Subset: r.PostFormValue("check_subset")}
	env, err := parseEnv(r.PostFormValue("env"))
	if err == nil {
		_, err = svc.AddRepository(r.Context(), respond.Principal(r), id, form.Copy, form.Location, r.PostFormValue("password"), env, form.Subset)
	}
	if err != nil {
		if flash, status, ok := h.backupFormErr(r, err); ok {
			return h.backupPlanPage(w, r, status, flash, form)
		}
		return err
	}
	return h.redirect(w, r, "/backups/"+strconv.FormatInt(id, 10)+"#backup-repositories", "ok", "backups.repo_added")
}
