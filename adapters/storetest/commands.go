package storetest

import (
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func commandCases() []testCase {
	return []testCase{
		{
			name: "PutGetRoundTrip",
			rule: "Tx.PutCommand records a command that ReadTx.Command returns field for field",
			run: func(e *env) {
				e.seed("c-1")
				r := command("c-1", "idem-1", 2)
				e.update(func(tx coaching.Tx) error { return tx.PutCommand(e.ctx, r) })
				got, err := e.getCommand("c-1", "idem-1")
				require.NoError(e, err)
				assert.Equal(e, NormalizeCommand(r), NormalizeCommand(got))
			},
		},
		{
			name: "DuplicateKey",
			rule: "Tx.PutCommand returns a *DuplicateError (matching ErrDuplicate) when the (case, key) pair is taken, and keeps the first record",
			run: func(e *env) {
				e.seed("c-1")
				first := command("c-1", "idem-1", 2)
				e.update(func(tx coaching.Tx) error { return tx.PutCommand(e.ctx, first) })

				second := command("c-1", "idem-1", 3)
				second.Fingerprint = "another command"
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.PutCommand(e.ctx, second) })
				requireDuplicate(e, err, "PutCommand with a taken (case, key)")

				got, err := e.getCommand("c-1", "idem-1")
				require.NoError(e, err)
				assert.Equal(e, NormalizeCommand(first), NormalizeCommand(got), "the first command record must be kept")
			},
		},
		{
			name: "SameKeyOtherCase",
			rule: "Tx.PutCommand: keys are per case; the same key on another case is a different command",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				r1, r2 := command("c-1", "idem-1", 2), command("c-2", "idem-1", 5)
				e.update(func(tx coaching.Tx) error { return tx.PutCommand(e.ctx, r1) })
				e.update(func(tx coaching.Tx) error { return tx.PutCommand(e.ctx, r2) })

				got, err := e.getCommand("c-1", "idem-1")
				require.NoError(e, err)
				assert.Equal(e, NormalizeCommand(r1), NormalizeCommand(got))
				got, err = e.getCommand("c-2", "idem-1")
				require.NoError(e, err)
				assert.Equal(e, NormalizeCommand(r2), NormalizeCommand(got))
			},
		},
		{
			name: "Unknown",
			rule: "ReadTx.Command returns a *NotFoundError (matching ErrNotFound) for an unknown (case, key)",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				e.update(func(tx coaching.Tx) error { return tx.PutCommand(e.ctx, command("c-1", "idem-1", 2)) })

				_, err := e.getCommand("c-1", "idem-2")
				requireNotFound(e, err, "command", "", "an unknown key")
				_, err = e.getCommand("c-2", "idem-1")
				requireNotFound(e, err, "command", "", "a key known only on another case")
				_, err = e.getCommand("c-none", "idem-1")
				requireNotFound(e, err, "command", "", "an unknown case")
			},
		},
	}
}
