package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

// Sealer seals and opens credentials (secret.Keyring does), each bound to
// a context naming the record and field it belongs to.
type Sealer interface {
	Seal(plaintext []byte, context string) (string, error)
	Open(sealed, context string) ([]byte, error)
}

// Service keeps backup plans, runs, integrity checks, restore tests and the
// repositories Khiên watches, with authorisation (backup.read, backup.write
// on the system's unit) and auditing, and says what they prove. It is safe
// for concurrent use.
type Service struct {
	store   Store
	systems system.Getter
	sealer  Sealer
	audit   *audit.Log
	exp     *Expectations
	now     func() time.Time
	facts   func(ctx context.Context, sys system.System) (ReadinessFacts, error)
	lister  SystemLister // nil: Overview uses systems when it can list
	// batch gives Overview the facts of many systems at once (nil: facts,
	// one system at a time).
	batch func(ctx context.Context, systems []system.System) ([]ReadinessFacts, error)
}

// SetReadinessFacts sets where the facts of a system's readiness beyond
// its backups come from (nil: none hold).
func (s *Service) SetReadinessFacts(f func(ctx context.Context, sys system.System) (ReadinessFacts, error)) {
	s.facts = f
}

// NewService returns a Service with Khiên's expectations; log may be nil
// (tests).
func NewService(store Store, systems system.Getter, sealer Sealer, log *audit.Log) *Service {
	return &Service{store: store, systems: systems, sealer: sealer, audit: log, exp: DefaultExpectations(), now: time.Now}
}

// SetClock replaces the service's clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func (s *Service) record(ctx context.Context, p *authz.Principal, unitID int64, action, target, detail string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: unitID,
		Action: action, Target: target, Detail: detail})
}

// level returns a system's level (approved, else proposed; 0 when none).
func level(sys system.System) int {
	if sys.ApprovedLevel > 0 {
		return sys.ApprovedLevel
	}
	return sys.ProposedLevel
}

// SavePlan creates plan (ID 0) or replaces the stored one of the same id
// (backup.write on the system's unit). The plan belongs to its system's
// unit; a stored plan keeps its system.
func (s *Service) SavePlan(ctx context.Context, p *authz.Principal, plan Plan) (Plan, error) {
	if plan.ID != 0 {
		cur, err := s.store.GetBackupPlan(ctx, plan.ID)
		if err != nil {
			return Plan{}, err
		}
		if err := p.Authorize(authz.PermBackupWrite, cur.UnitID); err != nil {
			return Plan{}, err
		}
		plan.SystemID, plan.UnitID, plan.CreatedAt = cur.SystemID, cur.UnitID, cur.CreatedAt
	} else {
		sys, err := s.systems.GetSystem(ctx, plan.SystemID)
		if err != nil {
			return Plan{}, err
		}
		if err := p.Authorize(authz.PermBackupWrite, sys.UnitID); err != nil {
			return Plan{}, err
		}
		plan.UnitID = sys.UnitID
	}
	if err := plan.Validate(); err != nil {
		return Plan{}, err
	}
	action := "backup.plan_update"
	if plan.ID == 0 {
		action = "backup.plan_create"
		if err := s.store.CreateBackupPlan(ctx, &plan); err != nil {
			return Plan{}, err
		}
	} else if err := s.store.UpdateBackupPlan(ctx, &plan); err != nil {
		return Plan{}, err
	}
	return plan, s.record(ctx, p, plan.UnitID, action, "backup_plan:"+strconv.FormatInt(plan.ID, 10),
		fmt.Sprintf("%s: %d copies, every %s, RPO %s", plan.Name, len(plan.Copies), plan.Every, plan.RPO))
}

// plan returns plan id when p holds perm on its unit.
func (s *Service) plan(ctx context.Context, p *authz.Principal, id int64, perm authz.Permission) (Plan, error) {
	plan, err := s.store.GetBackupPlan(ctx, id)
	if err != nil {
		return Plan{}, err
	}
	if err := p.Authorize(perm, plan.UnitID); err != nil {
		return Plan{}, err
	}
	return plan, nil
}

// Plans lists the plans p may see (backup.read), of one system when
// systemID is not 0.
func (s *Service) Plans(ctx context.Context, p *authz.Principal, systemID int64) ([]Plan, error) {
	if err := p.Authorize(authz.PermBackupRead, 0); err != nil {
		return nil, err
	}
	units := p.ScopeList()
	if p.All {
		// Khiên itself (jobs, the command line): every unit that has a
		// system, as the lister tells.
		list, _, err := s.listSystems(ctx, nil)
		if err != nil {
			return nil, err
		}
		for _, sys := range list {
			if !slices.Contains(units, sys.UnitID) {
				units = append(units, sys.UnitID)
			}
		}
	}
	if len(units) == 0 {
		return nil, nil
	}
	return s.store.ListBackupPlans(ctx, units, systemID)
}

// DeletePlan removes a plan with its history (backup.write).
func (s *Service) DeletePlan(ctx context.Context, p *authz.Principal, id int64) error {
	plan, err := s.plan(ctx, p, id, authz.PermBackupWrite)
	if err != nil {
		return err
	}
	if err := s.store.DeleteBackupPlan(ctx, id); err != nil {
		return err
	}
	return s.record(ctx, p, plan.UnitID, "backup.plan_delete", "backup_plan:"+strconv.FormatInt(id, 10), plan.Name)
}

// ReportRun records a run a backup tool reported (backup.write on the
// plan's unit): the copy, when named, must be one of the plan's.
func (s *Service) ReportRun(ctx context.Context, p *authz.Principal, r Run) (Run, error) {
	plan, err := s.plan(ctx, p, r.PlanID, authz.PermBackupWrite)
	if err != nil {
		return Run{}, err
	}
	if r.Copy != "" && !slices.ContainsFunc(plan.Copies, func(c Copy) bool { return strings.EqualFold(c.Name, r.Copy) }) {
		return Run{}, errs.Invalid("copy", "err.backup_copy_unknown", r.Copy)
	}
	r.ID, r.UnitID = 0, plan.UnitID
	if r.Source == "" {
		r.Source = "webhook"
	}
	if err := s.store.AddBackupRun(ctx, &r); err != nil {
		return Run{}, err
	}
	return r, s.record(ctx, p, plan.UnitID, "backup.run", "backup_plan:"+strconv.FormatInt(plan.ID, 10),
		fmt.Sprintf("%s %s %s", r.Source, r.Status, r.FinishedAt.Format(time.RFC3339)))
}

// RecordCheck records an integrity check of a plan's copy (backup.write).
func (s *Service) RecordCheck(ctx context.Context, p *authz.Principal, c IntegrityCheck) (IntegrityCheck, error) {
	plan, err := s.plan(ctx, p, c.PlanID, authz.PermBackupWrite)
	if err != nil {
		return IntegrityCheck{}, err
	}
	if c.At.IsZero() {
		c.At = s.now()
	}
	c.ID = 0
	if err := s.store.AddIntegrityCheck(ctx, &c); err != nil {
		return IntegrityCheck{}, err
	}
	return c, s.record(ctx, p, plan.UnitID, "backup.check", "backup_plan:"+strconv.FormatInt(plan.ID, 10),
		fmt.Sprintf("%s ok=%v subset=%s", c.Copy, c.OK, c.Subset))
}

// RecordRestoreTest records a restore test of a plan's copy (backup.write).
func (s *Service) RecordRestoreTest(ctx context.Context, p *authz.Principal, t RestoreTest) (RestoreTest, error) {
	plan, err := s.plan(ctx, p, t.PlanID, authz.PermBackupWrite)
	if err != nil {
		return RestoreTest{}, err
	}
	if t.StartedAt.IsZero() || t.SnapshotTime.IsZero() || t.SnapshotTime.After(t.StartedAt) || t.Duration < 0 {
		return RestoreTest{}, errs.Invalid("started_at", "err.invalid")
	}
	t.ID = 0
	if err := s.store.AddRestoreTest(ctx, &t); err != nil {
		return RestoreTest{}, err
	}
	return t, s.record(ctx, p, plan.UnitID, "backup.restore_test", "backup_plan:"+strconv.FormatInt(plan.ID, 10),
		fmt.Sprintf("%s snapshot %s verified=%v in %s", t.Copy, t.SnapshotID, t.OK(), t.Duration))
}

// GoneWindow is how long a snapshot found missing keeps being reported.
const GoneWindow = 30 * 24 * time.Hour

// State gathers what Khiên knows of plan's backups at the service's clock:
// its newest runs, check and restore test, and from its repositories the
// newest two live snapshots and those found missing within GoneWindow
// (StateOf of the plan's facts, read one by one; Overview reads many
// plans' at once with Store.BackupPlanStates).
func (s *Service) State(ctx context.Context, plan Plan) (State, error) {
	var f PlanFacts
	var err error
	if f.LastRun, f.LastSuccess, err = s.store.LastBackupRuns(ctx, plan.ID); err != nil {
		return State{}, err
	}
	checks, err := s.store.ListIntegrityChecks(ctx, plan.ID, 1)
	if err != nil {
		return State{}, err
	}
	if len(checks) > 0 {
		f.LastCheck = &checks[0]
	}
	tests, err := s.store.ListRestoreTests(ctx, plan.ID, 1)
	if err != nil {
		return State{}, err
	}
	if len(tests) > 0 {
		f.LastRestore = &tests[0]
	}
	repos, err := s.store.ListBackupRepositories(ctx, []int64{plan.UnitID}, plan.ID)
	if err != nil {
		return State{}, err
	}
	for _, r := range repos {
		seen, err := s.store.ListSeenSnapshots(ctx, r.ID)
		if err != nil {
			return State{}, err
		}
		f.Snapshots = append(f.Snapshots, seen...)
	}
	content, err := s.store.ListContentChecks(ctx, plan.ID, 1)
	if err != nil {
		return State{}, err
	}
	if len(content) > 0 {
		f.LastContent = &content[0]
	}
	return StateOf(f, s.now()), nil
}

// StateOf is the State that a plan's facts show at now: the newest runs,
// check and restore test as they are; of the snapshots, those gone within
// GoneWindow before now (in the order given) and the newest two live ones
// as Latest and Previous (equal times in the order given: repository id,
// then snapshot id); and the content check's verdict. State and Overview
// both make their states with it.
func StateOf(f PlanFacts, now time.Time) State {
	st := State{LastRun: f.LastRun, LastSuccess: f.LastSuccess, LastCheck: f.LastCheck, LastRestore: f.LastRestore}
	var live []Snapshot
	for _, sn := range f.Snapshots {
		switch {
		case sn.GoneAt.IsZero():
			live = append(live, sn.Snapshot)
		case now.Sub(sn.GoneAt) <= GoneWindow:
			st.Gone = append(st.Gone, sn.Snapshot)
		}
	}
	slices.SortStableFunc(live, func(a, b Snapshot) int { return b.Time.Compare(a.Time) })
	if len(live) > 0 {
		st.Latest = &live[0]
	}
	if len(live) > 1 {
		st.Previous = &live[1]
	}
	// The heuristics' verdict on the newest snapshot examined.
	if c := f.LastContent; c != nil {
		st.Content = &ContentSignal{SnapshotID: c.SnapshotID, Suspicious: c.Suspicious, Score: c.Score, EN: c.EN, VI: c.VI}
	}
	return st
}

// PlanView is a plan with what it proves.
type PlanView struct {
	Plan   Plan    `json:"plan"`
	Level  int     `json:"level"`
	Checks []Check `json:"checks"`
	Issues []Issue `json:"issues"`
	// Readiness is the system's ransomware readiness as this plan shows it.
	Readiness Readiness `json:"readiness"`
	// State is what the checks and issues were computed from.
	State State `json:"-"`
}

// View returns plan id with its checks (3-2-1-1-0 and the level's
// expectations) and issues (backup.read).
func (s *Service) View(ctx context.Context, p *authz.Principal, id int64) (PlanView, error) {
	plan, err := s.plan(ctx, p, id, authz.PermBackupRead)
	if err != nil {
		return PlanView{}, err
	}
	return s.view(ctx, plan)
}

func (s *Service) view(ctx context.Context, plan Plan) (PlanView, error) {
	sys, err := s.systems.GetSystem(ctx, plan.SystemID)
	if err != nil {
		return PlanView{}, err
	}
	var facts ReadinessFacts
	if s.facts != nil {
		if facts, err = s.facts(ctx, sys); err != nil {
			return PlanView{}, err
		}
	}
	st, err := s.State(ctx, plan)
	if err != nil {
		return PlanView{}, err
	}
	return s.viewOf(plan, sys, facts, st, s.now()), nil
}

// AddRepository records a restic repository as copy copyName of plan
// planID (backup.write): its password and backend environment are sealed
// before they are stored and never returned.
func (s *Service) AddRepository(ctx context.Context, p *authz.Principal, planID int64, copyName, location, password string,
	env map[string]string, subset string) (Repository, error) {
	plan, err := s.plan(ctx, p, planID, authz.PermBackupWrite)
	if err != nil {
		return Repository{}, err
	}
	location, subset = strings.TrimSpace(location), strings.TrimSpace(subset)
	switch {
	case !slices.ContainsFunc(plan.Copies, func(c Copy) bool { return c.Name == copyName }):
		return Repository{}, errs.Invalid("copy", "err.backup_copy_unknown", copyName)
	case location == "" || utf8.RuneCountInString(location) > 1000 || strings.ContainsAny(location, "\x00\n"):
		return Repository{}, errs.Invalid("location", "err.required")
	case password == "":
		return Repository{}, errs.Invalid("password", "err.required")
	case !validSubset(subset):
		return Repository{}, errs.Invalid("check_subset", "err.backup_subset")
	}
	if subset == "" {
		subset = "5%"
	}
	r := Repository{UnitID: plan.UnitID, PlanID: plan.ID, Copy: copyName, Location: location, CheckSubset: subset}
	ctxPass, ctxEnv := sealContext(plan.ID, copyName, "password"), sealContext(plan.ID, copyName, "env")
	if r.PasswordSealed, err = s.sealer.Seal([]byte(password), ctxPass); err != nil {
		return Repository{}, err
	}
	if len(env) > 0 {
		data, err := json.Marshal(env)
		if err != nil {
			return Repository{}, err
		}
		if r.EnvSealed, err = s.sealer.Seal(data, ctxEnv); err != nil {
			return Repository{}, err
		}
	}
	if err := s.store.CreateBackupRepository(ctx, &r); err != nil {
		return Repository{}, err
	}
	// The audit entry names the repository, never its credentials.
	return r, s.record(ctx, p, plan.UnitID, "backup.repository_add", "backup_plan:"+strconv.FormatInt(plan.ID, 10),
		fmt.Sprintf("%s: %s", copyName, location))
}

// sealContext binds a repository credential to its plan, copy and field.
func sealContext(planID int64, copyName, field string) string {
	return "backup.repository:" + strconv.FormatInt(planID, 10) + ":" + copyName + ":" + field
}

// Credentials opens a repository's password and environment, for the
// collector only (it runs as the system; never show them).
func (s *Service) Credentials(r Repository) (password string, env map[string]string, err error) {
	pw, err := s.sealer.Open(r.PasswordSealed, sealContext(r.PlanID, r.Copy, "password"))
	if err != nil {
		return "", nil, fmt.Errorf("open the password of repository %d: %w", r.ID, err)
	}
	if r.EnvSealed != "" {
		data, err := s.sealer.Open(r.EnvSealed, sealContext(r.PlanID, r.Copy, "env"))
		if err != nil {
			return "", nil, fmt.Errorf("open the environment of repository %d: %w", r.ID, err)
		}
		if err := json.Unmarshal(data, &env); err != nil {
			return "", nil, fmt.Errorf("read the environment of repository %d: %w", r.ID, err)
		}
	}
	return string(pw), env, nil
}

// validSubset reports whether s is empty or a restic --read-data-subset
// value: a percentage ("5%", "2.5%") or a fraction n/t ("1/20").
func validSubset(s string) bool {
	if s == "" {
		return true
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(pct, 64)
		return err == nil && f > 0 && f <= 100
	}
	n, t, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(n)
	b, err2 := strconv.Atoi(t)
	return ok && err1 == nil && err2 == nil && a >= 1 && b >= a && b <= 10000
}

// DeleteRepository stops watching repository id as a copy of plan planID
// (backup.write): its sealed credentials and the snapshots seen in it are
// removed; the plan's runs, checks, restore tests and content checks stay.
// A repository of another plan is errs.ErrNotFound.
func (s *Service) DeleteRepository(ctx context.Context, p *authz.Principal, planID, id int64) error {
	plan, err := s.plan(ctx, p, planID, authz.PermBackupWrite)
	if err != nil {
		return err
	}
	r, err := s.store.GetBackupRepository(ctx, id)
	if err != nil {
		return err
	}
	if r.PlanID != plan.ID {
		return fmt.Errorf("repository %d of plan %d: %w", id, planID, errs.ErrNotFound)
	}
	if err := s.store.DeleteBackupRepository(ctx, id); err != nil {
		return err
	}
	return s.record(ctx, p, plan.UnitID, "backup.repository_delete", "backup_plan:"+strconv.FormatInt(plan.ID, 10),
		fmt.Sprintf("%s: %s", r.Copy, r.Location))
}

// Repositories lists the repositories watched as copies of plan planID
// (backup.read), without their credentials.
func (s *Service) Repositories(ctx context.Context, p *authz.Principal, planID int64) ([]Repository, error) {
	plan, err := s.plan(ctx, p, planID, authz.PermBackupRead)
	if err != nil {
		return nil, err
	}
	return s.store.ListBackupRepositories(ctx, []int64{plan.UnitID}, plan.ID)
}
