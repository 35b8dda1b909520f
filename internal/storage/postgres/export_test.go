package postgres

import "context"

// Exec runs one raw statement. It exists for the conformance suite's tamper
// tests and is compiled into test binaries only.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := db.pool.Exec(ctx, query, args...)
	return translate(err)
}
