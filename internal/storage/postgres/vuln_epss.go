package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
)

// sortedEPSS returns a copy of list sorted by CVE, or an errs.ErrInvalid
// error when a CVE is empty, over maxKeyText bytes, given twice or not
// storable text, or a score or percentile is not finite. Rows copied by
// key fill the primary key's index in order.
func sortedEPSS(list []advisory.EPSS) ([]advisory.EPSS, error) {
	out := slices.Clone(list)
	slices.SortFunc(out, func(a, b advisory.EPSS) int { return strings.Compare(a.CVE, b.CVE) })
	for i, e := range out {
		switch {
		case e.CVE == "" || len(e.CVE) > maxKeyText || !storableText(e.CVE):
			return nil, errs.Invalid("cve", "err.invalid")
		case i > 0 && out[i-1].CVE == e.CVE:
			return nil, fmt.Errorf("%s given twice: %w", e.CVE, errs.Invalid("cve", "err.invalid"))
		case !finite(e.Score) || !finite(e.Percentile):
			return nil, fmt.Errorf("%s: %w", e.CVE, errs.Invalid("epss", "err.invalid"))
		}
	}
	return out, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// ReplaceEPSS replaces the stored EPSS scores with list and records model,
// scoreDate (UTC microseconds) and the count, in one transaction that
// copies the scores in by CVE (COPY). The transaction locks vuln_epss
// against other replaces, which would otherwise insert over each other's
// rows, but not against readers: they see the old scores until it
// commits. A CVE given twice, empty or over 255 bytes, a score or
// percentile that is not finite and text that cannot be stored are
// errs.ErrInvalid; nothing is written then.
func (db *DB) ReplaceEPSS(ctx context.Context, model string, scoreDate time.Time, list []advisory.EPSS) error {
	if !storableText(model) {
		return fmt.Errorf("replace epss: %w", errs.Invalid("model", "err.invalid"))
	}
	rows, err := sortedEPSS(list)
	if err != nil {
		return fmt.Errorf("replace epss: %w", err)
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE vuln_epss IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return translate(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM vuln_epss`); err != nil {
			return translate(err)
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"vuln_epss"}, []string{"cve", "score", "percentile"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				return []any{rows[i].CVE, rows[i].Score, rows[i].Percentile}, nil
			}))
		if err != nil {
			return translate(err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO vuln_epss_meta (id, model, score_date, count) VALUES (1, $1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET model = excluded.model, score_date = excluded.score_date,
			count = excluded.count`, model, timeArg(scoreDate), len(rows))
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("replace epss: %w", err)
	}
	return nil
}

// EPSSScores returns the stored scores of cves by CVE, in one query
// whatever their number (they go as one array). CVEs without a score (or
// that could not be stored) are absent; no CVEs give an empty map.
func (db *DB) EPSSScores(ctx context.Context, cves []string) (map[string]advisory.EPSS, error) {
	keys := make([]string, 0, len(cves))
	for _, c := range cves {
		if storableText(c) {
			keys = append(keys, c)
		}
	}
	if len(keys) == 0 {
		return map[string]advisory.EPSS{}, nil
	}
	scores, err := list(ctx, db.pool, func(row pgx.Row) (advisory.EPSS, error) {
		var e advisory.EPSS
		return e, row.Scan(&e.CVE, &e.Score, &e.Percentile)
	}, `SELECT cve, score, percentile FROM vuln_epss WHERE cve = ANY($1::text[])`, keys)
	if err != nil {
		return nil, fmt.Errorf("epss scores: %w", err)
	}
	out := make(map[string]advisory.EPSS, len(scores))
	for _, e := range scores {
		out[e.CVE] = e
	}
	return out, nil
}

// EPSSInfo returns what the last ReplaceEPSS recorded, zero before the
// first.
func (db *DB) EPSSInfo(ctx context.Context) (vuln.EPSSInfo, error) {
	var (
		info vuln.EPSSInfo
		date *time.Time
	)
	err := db.pool.QueryRow(ctx, `SELECT model, score_date, count FROM vuln_epss_meta WHERE id = 1`).
		Scan(&info.Model, &date, &info.Count)
	if errors.Is(err, pgx.ErrNoRows) {
		return vuln.EPSSInfo{}, nil
	}
	if err != nil {
		return vuln.EPSSInfo{}, fmt.Errorf("epss info: %w", translate(err))
	}
	info.ScoreDate = fromDB(date)
	return info, nil
}

// Advisory feeds.

const vulnFeedColumns = `name, cursor, last_run, last_ok, last_error, written`

func scanVulnFeed(row pgx.Row) (vuln.FeedState, error) {
	var (
		st          vuln.FeedState
		run, lastOK *time.Time
	)
	if err := row.Scan(&st.Name, &st.Cursor, &run, &lastOK, &st.LastError, &st.Written); err != nil {
		return vuln.FeedState{}, err
	}
	st.LastRun, st.LastOK = fromDB(run), fromDB(lastOK)
	return st, nil
}

// GetVulnFeed returns the state of feed name, false when none is stored.
func (db *DB) GetVulnFeed(ctx context.Context, name string) (vuln.FeedState, bool, error) {
	if !storableText(name) { // could not have been stored
		return vuln.FeedState{}, false, nil
	}
	st, err := scanVulnFeed(db.pool.QueryRow(ctx, `SELECT `+vulnFeedColumns+` FROM vuln_feeds WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return vuln.FeedState{}, false, nil
	}
	if err != nil {
		return vuln.FeedState{}, false, fmt.Errorf("get vuln feed: %w", translate(err))
	}
	return st, true, nil
}

// PutVulnFeed inserts st or replaces the stored state of its Name, times
// UTC microseconds (a zero time NULL). An empty Name or one over 255 bytes
// and text that cannot be stored are errs.ErrInvalid.
func (db *DB) PutVulnFeed(ctx context.Context, st vuln.FeedState) error {
	if st.Name == "" || len(st.Name) > maxKeyText {
		return fmt.Errorf("put vuln feed: %w", errs.Invalid("name", "err.invalid"))
	}
	for _, s := range []string{st.Name, st.Cursor, st.LastError} {
		if !storableText(s) {
			return fmt.Errorf("put vuln feed: %w", errs.Invalid("text", "err.invalid"))
		}
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO vuln_feeds (`+vulnFeedColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, last_run = excluded.last_run,
		last_ok = excluded.last_ok, last_error = excluded.last_error, written = excluded.written`,
		st.Name, st.Cursor, timeArg(st.LastRun), timeArg(st.LastOK), st.LastError, int64(st.Written))
	if err != nil {
		return fmt.Errorf("put vuln feed %q: %w", st.Name, translate(err))
	}
	return nil
}

// ListVulnFeeds returns the state of every feed by name (bytewise).
func (db *DB) ListVulnFeeds(ctx context.Context) ([]vuln.FeedState, error) {
	out, err := list(ctx, db.pool, scanVulnFeed, `SELECT `+vulnFeedColumns+` FROM vuln_feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list vuln feeds: %w", err)
	}
	return out, nil
}
