// Package benchmarks measures a Liaison node end to end: TAXII add and get
// through HTTP, store-level add and find, bundle import of real and generated
// bundles, add throughput with several servers on one database, and the raw
// ceiling of the same embedded database (plain inserts and reads of the same
// bytes: no HTTP, no parsing) so the ratio shows how close Liaison comes to it.
//
// Nothing here runs without -bench. The foundation's benchmarks run on each
// store backend, named as a level of the sub-benchmark
// (BenchmarkTAXIIAdd/sqlite/stored=1000, BenchmarkTAXIIAdd/postgres/…):
// SQLite always, PostgreSQL when LIAISON_BENCH_POSTGRES (or
// LIAISON_TEST_POSTGRES) holds a URL, skipped otherwise. LIAISON_BENCH_SIZES
// (comma-separated) chooses the numbers of stored objects.
//
// Fixtures of 1k, 100k and 1M stored objects are built on first use and
// cached: for SQLite as data directories under $TMPDIR/liaison-bench (delete
// one to rebuild it), for PostgreSQL as schemas bench_stored_N_v1 of the
// database named by the URL, marked complete by a setting written last (a
// schema without it is dropped and built again; DROP SCHEMA one to rebuild
// it). Benchmarks that write work on a copy, made and dropped by the
// benchmark. Figures and the commands that produced them are in
// docs/BENCHMARKS.md.
package benchmarks
