// Package sqlstore keeps the filtering settings bosses set from the phone
// (secretary.Store) in the PBX's SQLite database, so that they survive a
// restart. A package of its own so that the configuration does not link
// SQLite.
package sqlstore

import (
	"context"
	"database/sql"

	"pbxlab/pbx/internal/services/flagstore"
)

// Store is secretary.Store in the PBX's SQLite database (flagstore).
type Store = flagstore.Store

// New migrates the settings' table (secretary_filter, column filter_on)
// and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	return flagstore.New(ctx, db, flagstore.Spec{Schema: "secretary", Table: "secretary_filter", Column: "filter_on", What: "secretary filtering"})
}
