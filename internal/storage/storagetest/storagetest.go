// Package storagetest is the behavioural specification of Khiên's storage:
// one conformance suite that every backend (sqlite, postgres) runs from its
// own tests. A backend passes when Run passes.
//
// The suite states what the domain Store interfaces leave implicit, so that
// the backends agree on it:
//
//   - Times come back in UTC at microsecond precision; a zero time.Time
//     comes back zero. Create methods write the stored form back to their
//     argument, and a zero CreatedAt (and UpdatedAt) is set to now.
//   - Unknown ids and hashes give errs.ErrNotFound; a duplicate username,
//     unit code, system code, session hash or token hash gives
//     errs.ErrConflict; a reference to a unit, user, system, dossier or
//     alert that does not exist, or a missing required value (a session
//     without expiry), gives errs.ErrInvalid.
//   - Lists are ordered (units, users, tokens by id; audit entries, jobs and
//     dossiers newest first; systems by code; focal points by unit, then
//     name; assets by name; dossier events and attachments oldest first;
//     text bytewise) and may be nil or empty when nothing matches. Unit id
//     lists (User.UnitIDs, APIToken.UnitIDs) and Asset.SystemIDs come back
//     sorted without duplicates.
//   - A Filter Limit <= 0 means no limit; Units nil means every unit and a
//     non-nil empty Units none.
//   - A system's profile, parties and layers come back exactly as written
//     (nil and empty slices kept apart), and the stored JSON has a fixed
//     format (see testSystems/stored_format).
//   - A dossier's state changes only through TransitionDossier, which is
//     atomic: of concurrent transitions from one state exactly one succeeds
//     and writes one event, the others get errs.ErrConflict. UpdateDossier
//     writes only while the stored state is still the one it was given.
//   - Notifications are idempotent on a non-empty dedupe key (of concurrent
//     creates exactly one reports created) and listed newest first; read
//     state is per user and ReadAt is set only for the listing user.
//   - Alerts are listed newest (highest id) first; RecordAlert is atomic:
//     of concurrent records of one group exactly one creates the alert and
//     the others add to it, and a zero FirstSeen or LastSeen is
//     errs.ErrInvalid. Alert comments and exceptions are listed oldest (by
//     id) first, rule settings by unit, then rule id. An alert's tags, key
//     and sample fields and an exception's conditions come back in order.
//   - Indicators are listed newest (highest id) first; UpsertIndicators is
//     all or nothing, gives new indicators ids in the order of its list,
//     lets later items of its list see earlier ones (a key given twice is
//     inserted, then updated), writes the stored form back only on
//     success, and refuses with errs.ErrInvalid an unknown unit, type or
//     TLP, an empty value or pattern, an empty conjunction, a comparison
//     without a known type and a value, values over intel.MaxValue bytes
//     and a source or external id over 255. An indicator_values row exists
//     for every distinct comparison of each pattern. Filter.ActiveAt
//     agrees with Indicator.Active; an indicator without TLP (rank 0)
//     passes every MaxTLP. Sightings are listed by last seen, then id,
//     newest first; RecordSighting is atomic (concurrent records of one
//     sighting all add up) and refuses zero times, a negative count, a
//     value over intel.MaxValue and a host or field over 255 bytes.
//   - Hunts are listed newest (highest id) first; Filter.SystemID selects
//     the hunts covering that system. CreateHunt turns an empty Status into
//     planned; SystemIDs come back sorted without duplicates and empty
//     RuleIDs and SystemIDs nil. An unknown unit or system, a Progress that
//     is not finite and a Status over 255 bytes are errs.ErrInvalid, in
//     CreateHunt and UpdateHunt alike, and nothing is written. UpdateHunt is
//     atomic (concurrent read-modify-writes all land), writes every field
//     but ID, UnitID and CreatedAt, and writes nothing when update fails.
//     ReplaceResults is all or nothing and atomic (of concurrent
//     replacements one is left whole): results are stored under the hunt's
//     id whatever their HuntID, a Seq given twice is errs.ErrConflict and an
//     unknown hunt errs.ErrInvalid, even with no results; the event comes
//     back byte for byte. ListResults orders by Seq; a negative offset is 0.
//     LastClosed considers closed hunts with a ClosedAt only and breaks ties
//     by the highest id.
//   - Feeds are listed by id; a name is unique per unit (bytewise) and at
//     most 255 bytes, LastError at most intel.MaxFeedError. The password
//     comes back as written. UpdateFeed is atomic, writes the settings and
//     the Cursor but never ID, UnitID, CreatedAt or the run results, and
//     writes nothing when update fails. RecordFeedRun is one atomic write:
//     it always sets LastRunAt (a zero At is errs.ErrInvalid), LastOK,
//     LastError, LastAdded and LastUpdated, and the Cursor only when the
//     run is OK (a zero Cursor then resets it).
//   - Saved queries are listed by name (bytewise), then id: a filter's
//     UserID selects its own and the shared ones (0: the shared ones
//     only). A name is unique per unit and owner and at most 255 bytes; an
//     unknown unit or owner (or owner 0) is errs.ErrInvalid. The query
//     comes back byte for byte; UpdateSavedQuery never changes UnitID,
//     OwnerID or CreatedAt.
//   - Warnings are listed newest received first, then by highest id;
//     Filter.SystemID selects those targeting the system, Filter.CVE those
//     naming the CVE exactly, Offset skips. CVEs and Indicators come back in
//     the order given, empty lists nil. An unknown unit or system, a zero
//     ReceivedAt, a CVE given twice or over 255 bytes, over
//     warning.MaxIndicators indicators or one over
//     warning.MaxIndicatorBytes, and text with a NUL or invalid UTF-8 are
//     errs.ErrInvalid, in CreateWarning and UpdateWarning alike (and an
//     unknown system in AddTargets), and nothing is written (the suite
//     counts warning_targets and warning_cves rows). UpdateWarning writes
//     every field but ID, UnitID and CreatedAt and never the targets.
//     Targets are listed by system id; AddTargets leaves existing ones
//     alone, RemoveTarget removes only a pending one (else
//     errs.ErrConflict). TransitionTarget refuses steps
//     warning.CheckTransition refuses and is atomic: of concurrent
//     transitions from one status exactly one succeeds, the others get
//     errs.ErrConflict. ListOpenTargets leaves out final targets and closed
//     warnings.
//   - Incident cases are listed newest detected first, then by highest id,
//     with the total f selects without Limit and Offset. Unlike other
//     filters, nil Filter.Units selects no case (as does an empty one) and
//     a Limit <= 0 means 100; Open selects the cases whose Status is (false)
//     or is not (true) closed, SystemID those affecting the system.
//     CreateCase sets Ref to "SC-<year of DetectedAt in UTC>-<id, at least 4
//     digits>" once: UpdateCase keeps it, as it keeps ID, UnitID, CreatedBy
//     and CreatedAt, writes every other field with UpdatedAt now, writes
//     nothing when update fails and is atomic (concurrent read-modify-writes
//     all land). SystemIDs and AlertIDs come back sorted without duplicates,
//     empty lists nil. An unknown unit or system, a zero DetectedAt and text
//     with a NUL or invalid UTF-8 are errs.ErrInvalid, in CreateCase and
//     UpdateCase alike, and nothing is written. Submissions are listed by
//     SentAt, entries by At, then by id; adding one to an unknown case is
//     errs.ErrNotFound, a zero SentAt or At errs.ErrInvalid.
//   - Incident tasks are listed by Seq, then id, only the case's own (an
//     unknown case: none). AddTasks stores the tasks under its caseID
//     whatever their CaseID, all or nothing, gives them ids in the order of
//     its list and writes the stored form back only on success (times UTC
//     microseconds, zero CreatedAt and UpdatedAt now, an empty After nil).
//     An unknown case is errs.ErrNotFound; a PlaybookID and StepID given
//     twice for one case, in one call or across calls, errs.ErrConflict;
//     text with a NUL or invalid UTF-8 (or a PlaybookID or StepID over 255
//     bytes) errs.ErrInvalid; and nothing of the call is written.
//     UpdateTask writes only Status, Note, DoneAt and DoneBy, with
//     UpdatedAt now, is atomic (concurrent read-modify-writes all land),
//     writes nothing when update fails or its result cannot be stored
//     (errs.ErrInvalid), and an unknown id is errs.ErrNotFound.
//   - Incident evidence is listed by id, only the case's own (an unknown
//     case: none); AddIncidentEvidence stores an item and the head of its
//     chain of custody atomically (times UTC microseconds, a zero
//     CreatedAt now, a zero CollectedAt and a zero first At the
//     CreatedAt); an unknown case is errs.ErrNotFound and nothing is
//     written. A chain of custody is listed by id and comes back exactly
//     as sealed, so that incident.VerifyCustody holds on it until a row is
//     changed in the database; AppendCustody takes CaseID from the item
//     and is serialised per item (concurrent appends never fork the
//     chain); an unknown item is errs.ErrNotFound. Items and chains go
//     with their case.
//   - Incident observables are listed by id, only the case's own (an
//     unknown case: none). AddObservable writes the stored form back
//     (times UTC microseconds, a zero CreatedAt now); an unknown case is
//     errs.ErrNotFound, a Kind and Value the case already has (bytewise)
//     errs.ErrConflict (of concurrent adds exactly one succeeds), text
//     with a NUL or invalid UTF-8 errs.ErrInvalid, and nothing is
//     written. DeleteObservable deletes only with the observable's own
//     case id (else errs.ErrNotFound). Observables go with their case.
//   - Response plans are one per system: SaveResponsePlan passes update
//     the stored plan, or a zero plan with only SystemID set, and inserts
//     or updates what update leaves, never its ID, SystemID or (once
//     inserted) CreatedAt, with UpdatedAt now; it writes nothing when
//     update fails and is atomic (concurrent read-modify-writes all land,
//     the first ones racing to insert). An unknown system or unit and text
//     with a NUL or invalid UTF-8 are errs.ErrInvalid. ListResponsePlans
//     orders by system id. Drills are listed latest Date first, then by
//     highest id; DrillFilter.SystemID selects those covering the system.
//     AddDrill writes the stored form back (SystemIDs sorted without
//     duplicates, empty nil); an unknown unit or system, a zero Date and
//     text with a NUL or invalid UTF-8 are errs.ErrInvalid and nothing is
//     written (the suite counts response_plans, drills and drill_systems
//     rows).
//   - Vulnerability data: AddInventoryImport writes the stored form back
//     (times UTC microseconds, a zero ImportedAt now, a zero UnitID the
//     asset's); an unknown asset is errs.ErrNotFound. GetInventoryImport and
//     LastInventoryImport (latest ImportedAt, then highest id) give the
//     packages back, ListInventoryImports (newest first) does not.
//     PutAdvisories is all or nothing and replaces a stored advisory only
//     with a later Modified; EachAdvisory stops at fn's first error and
//     returns it. ReplaceKEV is all or nothing (a CVE twice:
//     errs.ErrConflict); ListKEV orders by CVE. JSON-held values (packages,
//     advisories, KEV entries, aliases, evidence) come back as written.
//     SaveVulnFindings is atomic and serialised per asset (concurrent
//     read-modify-writes all land), inserts findings with ID 0 and updates
//     the others, writes ids and times back into apply's result, leaves
//     findings apply leaves out alone, and writes nothing when apply fails,
//     a Key is given twice or already stored (errs.ErrConflict), text has a
//     NUL or invalid UTF-8 (errs.ErrInvalid) or the asset is unknown
//     (errs.ErrNotFound). Findings are listed most severe first, then by
//     due date (none last), then id, with the total; nil Units select none.
//     UpdateVulnFinding never changes ID, UnitID, AssetID or CreatedAt.
//     Imports and findings go with their asset.
package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/warning"
)

// Backend is what a storage backend must provide to run the suite: every
// domain Store, and Exec, a test helper that runs one raw SQL statement
// (placeholders $1, $2, …) so that the suite can tamper with stored audit
// rows and write stored JSON in a fixed format. The suite relies on the
// table audit_log having the columns seq, time_us, actor_id, actor,
// unit_id, action, target, detail, ip, prev_hash and hash, on the table
// systems having the columns id, profile, owner and layers, on the table
// units having a NOT NULL column name, and on the tables indicator_values
// (indicator_id, type, value), sightings, hunt_systems and hunt_results
// (hunt_id), incident_cases, incident_case_systems, incident_submissions,
// incident_entries, incident_tasks, incident_evidence, incident_custody
// and incident_observables, which it counts, and on incident_custody having the columns id, case_id,
// actor_id, actor, action, detail and hash, which it changes.
type Backend interface {
	unit.Store
	user.Store
	audit.Store
	job.Store
	system.Store
	system.DossierStore
	asset.Store
	notify.Store
	compliance.Store
	alert.Store
	intel.Store
	intel.FeedStore
	hunt.Store
	hunt.SavedQueryStore
	warning.Store
	incident.Store
	incident.TaskStore
	incident.EvidenceStore
	incident.ObservableStore
	incident.PlanStore
	vuln.Store
	backup.Store
	Exec(ctx context.Context, sql string, args ...any) error
}

// Run runs the conformance suite. Every call of open must return a new,
// empty, migrated database, closed by open's own t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("unit", func(t *testing.T) { testUnits(t, open) })
	t.Run("user", func(t *testing.T) { testUsers(t, open) })
	t.Run("session", func(t *testing.T) { testSessions(t, open) })
	t.Run("token", func(t *testing.T) { testTokens(t, open) })
	t.Run("audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("job", func(t *testing.T) { testJobs(t, open) })
	t.Run("system", func(t *testing.T) { testSystems(t, open) })
	t.Run("focal_point", func(t *testing.T) { testFocalPoints(t, open) })
	t.Run("dossier", func(t *testing.T) { testDossiers(t, open) })
	t.Run("asset", func(t *testing.T) { testAssets(t, open) })
	t.Run("notify", func(t *testing.T) { testNotifications(t, open) })
	t.Run("compliance", func(t *testing.T) { testCompliance(t, open) })
	t.Run("alert", func(t *testing.T) { testAlerts(t, open) })
	t.Run("intel", func(t *testing.T) { testIntel(t, open) })
	t.Run("hunt", func(t *testing.T) { testHunts(t, open) })
	t.Run("feed", func(t *testing.T) { testFeeds(t, open) })
	t.Run("saved_query", func(t *testing.T) { testSavedQueries(t, open) })
	t.Run("warning", func(t *testing.T) { testWarnings(t, open) })
	t.Run("incident", func(t *testing.T) { testIncidents(t, open) })
	t.Run("incident_task", func(t *testing.T) { testIncidentTasks(t, open) })
	t.Run("incident_evidence", func(t *testing.T) { testIncidentEvidence(t, open) })
	t.Run("incident_observable", func(t *testing.T) { testIncidentObservables(t, open) })
	t.Run("response_plan", func(t *testing.T) { testResponsePlans(t, open) })
	t.Run("vuln", func(t *testing.T) { testVuln(t, open) })
	t.Run("vuln_stats", func(t *testing.T) { testVulnStats(t, open) })
	t.Run("kev_concurrency", func(t *testing.T) { testKEVConcurrency(t, open) })
	t.Run("backup", func(t *testing.T) { testBackup(t, open) })
}

// t0 is a reference time with nanoseconds and a zone other than UTC, to
// check that backends store UTC microseconds.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("ICT", 7*3600))

// stored is t as every backend gives it back.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// diffOpts compare values as stored: nil and empty slices are equal, times
// by instant (time.Time.Equal).
var diffOpts = []cmp.Option{cmpopts.EquateEmpty()}

func diff(want, got any) string { return cmp.Diff(want, got, diffOpts...) }

// wantKind fails unless err wraps kind.
func wantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: got error %v, want one wrapping %q", what, err, kind)
	}
}

// ok fails the test now if err is not nil.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkUTC fails unless every non-zero time is in UTC.
func checkUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s: time %d is in %v, want UTC", what, i, tm.Location())
		}
	}
}

// waitTimeout bounds every wait on another goroutine, so that a broken
// backend fails the suite instead of hanging it.
const waitTimeout = 30 * time.Second

func mustUnit(t *testing.T, b Backend, code string, parent int64) unit.Unit {
	t.Helper()
	u := unit.Unit{Code: code, Name: "Unit " + code, ParentID: parent, CreatedAt: t0, UpdatedAt: t0}
	ok(t, "create unit "+code, b.CreateUnit(t.Context(), &u))
	return u
}

func mustUser(t *testing.T, b Backend, name string, unitID int64, grants ...int64) user.User {
	t.Helper()
	u := user.User{UnitID: unitID, Username: name, DisplayName: "User " + name, Role: "analyst",
		UnitIDs: grants, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", CreatedAt: t0, UpdatedAt: t0}
	ok(t, "create user "+name, b.CreateUser(t.Context(), &u))
	return u
}
