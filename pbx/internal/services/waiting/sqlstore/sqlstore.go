// Package sqlstore keeps the call-waiting settings subscribers set from
// the phone (waiting.Store) in the PBX's SQLite database, so that they
// survive a restart. A package of its own so that the configuration does
// not link SQLite.
package sqlstore

import (
	"context"
	"database/sql"

	"pbxlab/pbx/internal/services/flagstore"
)

// Store is waiting.Store in the PBX's SQLite database (flagstore).
type Store = flagstore.Store

// New migrates the settings' table (call_waiting, column waiting_on) and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	return flagstore.New(ctx, db, flagstore.Spec{Schema: "waiting", Table: "call_waiting", Column: "waiting_on", What: "call waiting"})
}
