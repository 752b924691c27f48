// Package sqlstore is the logic the two SQL backends of the store share:
// store/sqlite and store/postgres keep the same schema, table for table, and
// answer every method of store.Store with the same SQL, written here once.
//
// It owns the SQL: the queries, written with ? placeholders (rebound to $n
// for PostgreSQL), the rows they read and the transactions they run in; the
// access classes and the predicates that turn a policy decision into a
// WHERE clause; correlation, standing patterns, the audit entries of every
// change. A backend gives it a DB (its connections and how a write
// transaction begins: SQLite's single writer, PostgreSQL's clock row) and a
// Dialect (the few places where the two SQLs differ); opening, schema
// migrations and connection handling stay in the backend.
//
// It never decides policy itself: who may read, write, push or see what is
// asked of package policy, and this package only turns the answer into
// queries.
package sqlstore
