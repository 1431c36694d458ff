package storetest

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// NormalizeDocument returns d in the form the suite compares: its time
// normalised and its JSON canonical.
func NormalizeDocument(d coaching.Document) coaching.Document {
	d.At = NormalizeTime(d.At)
	d.Data = CanonicalJSON(d.Data)
	return d
}

// errMarked aborts a transaction on purpose.
var errMarked = errors.New("storetest: abort on purpose")

func document(id coaching.CaseID, kind string, version int64) coaching.Document {
	return coaching.Document{CaseID: id, Kind: kind, Version: version, Status: "draft", At: at(hour * 2),
		By: "a-tutor", Seq: version + 1,
		Data: json.RawMessage(fmt.Sprintf(`{"oppija-oid":"1.2.246.562.24.00000000001","version":%d,"nimi":"Äänekoski"}`, version))}
}

func documentCases() []testCase {
	return []testCase{
		{
			name: "PutGetRoundTrip",
			rule: "Tx.PutDocument stores a version that ReadTx.Document returns field for field, by number and as the latest (version 0)",
			run: func(e *env) {
				e.seed("c-1")
				d := document("c-1", "hoks", 1)
				e.update(func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, d) })
				e.view(func(tx coaching.ReadTx) error {
					got, err := tx.Document(e.ctx, "c-1", "hoks", 1)
					require.NoError(e, err)
					assert.Equal(e, NormalizeDocument(d), NormalizeDocument(got))
					latest, err := tx.Document(e.ctx, "c-1", "hoks", 0)
					require.NoError(e, err)
					assert.Equal(e, NormalizeDocument(d), NormalizeDocument(latest))
					return nil
				})
			},
		},
		{
			name: "VersionsAreConsecutive",
			rule: "Tx.PutDocument: a version must be exactly one more than the latest (1 for the first); a gap or a repeat is a *ConflictError and versions are never replaced",
			run: func(e *env) {
				e.seed("c-1")
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-1", "hoks", 2)) })
				requireConflict(e, err, "PutDocument of version 2 with no version 1")
				e.update(func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-1", "hoks", 1)) })
				e.update(func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-1", "hoks", 2)) })
				again := document("c-1", "hoks", 2)
				again.Status = "approved"
				err = e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, again) })
				requireConflict(e, err, "PutDocument repeating version 2")
				err = e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-1", "hoks", 4)) })
				requireConflict(e, err, "PutDocument of version 4 after 2")
				e.view(func(tx coaching.ReadTx) error {
					got, err := tx.Document(e.ctx, "c-1", "hoks", 2)
					require.NoError(e, err)
					assert.Equal(e, "draft", got.Status, "version 2 was not replaced")
					return nil
				})
			},
		},
		{
			name: "ListAscending",
			rule: "ReadTx.Documents returns every version of a (case, kind) in ascending order, other kinds and cases apart, and an empty list when there is none",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				for v := int64(1); v <= 3; v++ {
					e.update(func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-1", "hoks", v)) })
				}
				e.update(func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-1", "tuva", 1)) })
				e.update(func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-2", "hoks", 1)) })
				e.view(func(tx coaching.ReadTx) error {
					ds, err := tx.Documents(e.ctx, "c-1", "hoks")
					require.NoError(e, err)
					require.Len(e, ds, 3)
					for i, d := range ds {
						assert.Equal(e, NormalizeDocument(document("c-1", "hoks", int64(i+1))), NormalizeDocument(d))
					}
					none, err := tx.Documents(e.ctx, "c-2", "tuva")
					require.NoError(e, err)
					assert.Empty(e, none)
					latest, err := tx.Document(e.ctx, "c-1", "hoks", 0)
					require.NoError(e, err)
					assert.Equal(e, int64(3), latest.Version)
					return nil
				})
			},
		},
		{
			name: "Unknown",
			rule: "ReadTx.Document returns a *NotFoundError (kind \"document\") for a missing version, kind or case",
			run: func(e *env) {
				e.seed("c-1")
				e.update(func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-1", "hoks", 1)) })
				e.view(func(tx coaching.ReadTx) error {
					_, err := tx.Document(e.ctx, "c-1", "hoks", 2)
					requireNotFound(e, err, "document", "", "a version not stored")
					_, err = tx.Document(e.ctx, "c-1", "tuva", 0)
					requireNotFound(e, err, "document", "", "a kind not stored")
					_, err = tx.Document(e.ctx, "nope", "hoks", 0)
					requireNotFound(e, err, "document", "", "an unknown case")
					return nil
				})
			},
		},
		{
			name: "RolledBack",
			rule: "Store.Update: a document version written by a failed transaction is not stored, and the version number is free again",
			run: func(e *env) {
				e.seed("c-1")
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := tx.PutDocument(e.ctx, document("c-1", "hoks", 1)); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				e.update(func(tx coaching.Tx) error { return tx.PutDocument(e.ctx, document("c-1", "hoks", 1)) })
			},
		},
	}
}
