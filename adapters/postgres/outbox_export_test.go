package postgres

// OutboxHealthSQL exposes OutboxHealth's statement to the test that
// EXPLAINs it.
func OutboxHealthSQL(s *Store) string { return s.q.outboxHealth }
