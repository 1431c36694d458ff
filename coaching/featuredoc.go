package coaching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Helpers for features that keep one case document per item (a referral,
// a request, a message thread) in a family of their own ([DocumentKind]):
// naming an item's document and reading it back decoded.

// DocumentID makes a generated id (Scope.NewID) usable as part of a
// document kind: its ASCII letters and digits, lower-cased, at most 32 of
// them. It returns "" when nothing usable is left.
func DocumentID(generated string) string {
	id := strings.ToLower(strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' {
			return c
		}
		return -1
	}, generated))
	if len(id) > 32 {
		id = id[:32]
	}
	return id
}

// ValidDocumentID reports whether id can name an item of the family
// prefix: lower-case letters, digits and underscores, the whole kind
// (prefix + id) at most 64 bytes. A feature checks an id a caller gave
// before it reads anything with it.
func ValidDocumentID(prefix, id string) bool {
	if id == "" || len(prefix)+len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ReadDocumentJSON reads the latest version of the item id of the family
// prefix on case caseID through tx and decodes its data into a T. An
// invalid id or a document that is not stored is a *NotFoundError of
// kind what (e.g. "referral") naming id; stored data that does not decode
// is an error naming the item.
func ReadDocumentJSON[T any](ctx context.Context, tx ReadTx, caseID CaseID, prefix, id, what string) (Document, T, error) {
	var v T
	if !ValidDocumentID(prefix, id) {
		return Document{}, v, &NotFoundError{Kind: what, ID: id}
	}
	doc, err := tx.Document(ctx, caseID, prefix+id, 0)
	if errors.Is(err, ErrNotFound) {
		return Document{}, v, &NotFoundError{Kind: what, ID: id}
	}
	if err != nil {
		return Document{}, v, err
	}
	if err := json.Unmarshal(doc.Data, &v); err != nil {
		return Document{}, v, fmt.Errorf("valmennus: stored %s %s does not decode: %w", what, id, err)
	}
	return doc, v, nil
}
