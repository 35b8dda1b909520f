package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
)

// epssInsertRows is how many scores one INSERT of ReplaceEPSS writes: a
// statement per row would spend most of the time running statements (2.2 s
// for 300,000 rows against 0.9 s). 1,500 variables are far below SQLite's
// limit of 32766.
const epssInsertRows = 500

// sortedEPSS returns a copy of list sorted by CVE, or an errs.ErrInvalid
// error when a CVE is empty, over maxKeyText bytes, given twice or not
// storable text, or a score or percentile is not finite. Inserting by key
// fills the B-tree in order: in random order, 300,000 rows take five
// times as long.
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

// insertEPSS returns the statement inserting n scores. Its parameters are
// anonymous (?), unlike the package's $1, $2…: the driver looks the name of
// every parameter up in a list of them all, which makes binding a
// statement of named ones quadratic in their number.
func insertEPSS(n int) string {
	return `INSERT INTO vuln_epss (cve, score, percentile) VALUES (?, ?, ?)` + strings.Repeat(`, (?, ?, ?)`, n-1)
}

// ReplaceEPSS replaces the stored EPSS scores with list and records model,
// scoreDate (UTC microseconds) and the count, in one write transaction
// that inserts the scores by CVE, epssInsertRows a statement. A CVE given
// twice, empty or over 255 bytes, a score or percentile that is not finite
// and text that cannot be stored are errs.ErrInvalid; nothing is written
// then.
func (db *DB) ReplaceEPSS(ctx context.Context, model string, scoreDate time.Time, list []advisory.EPSS) error {
	if !storableText(model) {
		return fmt.Errorf("replace epss: %w", errs.Invalid("model", "err.invalid"))
	}
	rows, err := sortedEPSS(list)
	if err != nil {
		return fmt.Errorf("replace epss: %w", err)
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_epss`); err != nil {
			return translate(err)
		}
		full, err := tx.PrepareContext(ctx, insertEPSS(epssInsertRows))
		if err != nil {
			return translate(err)
		}
		defer full.Close()
		args := make([]any, 0, 3*epssInsertRows)
		for chunk := range slices.Chunk(rows, epssInsertRows) {
			args = args[:0]
			for _, e := range chunk {
				args = append(args, e.CVE, e.Score, e.Percentile)
			}
			if len(chunk) == epssInsertRows {
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertEPSS(len(chunk)), args...)
			}
			if err != nil {
				return translate(err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO vuln_epss_meta (id, model, score_date, count) VALUES (1, $1, $2, $3)
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
// whatever their number: the CVEs go as one JSON array, which json_each
// turns into rows joined on the key. CVEs without a score (or that could
// not be stored) are absent; no CVEs give an empty map.
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
	arg, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("epss scores: %w", err)
	}
	list, err := listRows(ctx, db.r, func(s scanner) (advisory.EPSS, error) {
		var e advisory.EPSS
		return e, s.Scan(&e.CVE, &e.Score, &e.Percentile)
	}, `SELECT e.cve, e.score, e.percentile FROM json_each($1) AS j JOIN vuln_epss AS e ON e.cve = j.value`,
		string(arg))
	if err != nil {
		return nil, fmt.Errorf("epss scores: %w", err)
	}
	out := make(map[string]advisory.EPSS, len(list))
	for _, e := range list {
		out[e.CVE] = e
	}
	return out, nil
}

// EPSSInfo returns what the last ReplaceEPSS recorded, zero before the
// first.
func (db *DB) EPSSInfo(ctx context.Context) (vuln.EPSSInfo, error) {
	var (
		info vuln.EPSSInfo
		date sql.NullInt64
	)
	err := db.r.QueryRowContext(ctx, `SELECT model, score_date, count FROM vuln_epss_meta WHERE id = 1`).
		Scan(&info.Model, &date, &info.Count)
	if errors.Is(err, sql.ErrNoRows) {
		return vuln.EPSSInfo{}, nil
	}
	if err != nil {
		return vuln.EPSSInfo{}, fmt.Errorf("epss info: %w", translate(err))
	}
	info.ScoreDate = fromMicros(date)
	return info, nil
}

// Advisory feeds.

const vulnFeedColumns = `name, cursor, last_run, last_ok, last_error, written`

func scanVulnFeed(s scanner) (vuln.FeedState, error) {
	var (
		st          vuln.FeedState
		run, lastOK sql.NullInt64
	)
	if err := s.Scan(&st.Name, &st.Cursor, &run, &lastOK, &st.LastError, &st.Written); err != nil {
		return vuln.FeedState{}, err
	}
	st.LastRun, st.LastOK = fromMicros(run), fromMicros(lastOK)
	return st, nil
}

// GetVulnFeed returns the state of feed name, false when none is stored.
func (db *DB) GetVulnFeed(ctx context.Context, name string) (vuln.FeedState, bool, error) {
	st, err := scanVulnFeed(db.r.QueryRowContext(ctx, `SELECT `+vulnFeedColumns+` FROM vuln_feeds WHERE name = $1`,
		name))
	if errors.Is(err, sql.ErrNoRows) {
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
	_, err := db.w.ExecContext(ctx, `INSERT INTO vuln_feeds (`+vulnFeedColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
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
	out, err := listRows(ctx, db.r, scanVulnFeed, `SELECT `+vulnFeedColumns+` FROM vuln_feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list vuln feeds: %w", err)
	}
	return out, nil
}
