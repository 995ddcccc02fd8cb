// Package sqlstore keeps the permanent CLIR settings subscribers set from
// the phone (callerid.Store) in the PBX's SQLite database, so that they
// survive a restart. A package of its own so that the configuration does
// not link SQLite.
package sqlstore

import (
	"context"
	"database/sql"

	"pbxlab/pbx/internal/services/flagstore"
)

// Store is callerid.Store in the PBX's SQLite database (flagstore).
type Store = flagstore.Store

// New migrates the settings' table (clir, column clir_on) and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	return flagstore.New(ctx, db, flagstore.Spec{Schema: "clir", Table: "clir", Column: "clir_on", What: "clir"})
}
