// Package sqlstore keeps the do-not-disturb settings subscribers set from
// the phone (dnd.Store) in the PBX's SQLite database, so that they
// survive a restart. A package of its own so that the configuration does
// not link SQLite.
package sqlstore

import (
	"context"
	"database/sql"

	"pbxlab/pbx/internal/services/flagstore"
)

// Store is dnd.Store in the PBX's SQLite database (flagstore).
type Store = flagstore.Store

// New migrates the settings' table (dnd, column dnd_on) and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	return flagstore.New(ctx, db, flagstore.Spec{Schema: "dnd", Table: "dnd", Column: "dnd_on", What: "dnd"})
}
