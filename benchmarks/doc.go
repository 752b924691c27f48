// Package benchmarks measures a Liaison node end to end: TAXII add and get
// through HTTP, store-level add and find, bundle import of real and generated
// bundles, and the raw ceiling of the same embedded database (plain inserts
// and reads of the same bytes: no HTTP, no parsing) so the ratio shows how
// close Liaison comes to it.
//
// Nothing here runs without -bench. Fixtures of 1k, 100k and 1M stored
// objects are built on first use and cached under $TMPDIR/liaison-bench
// (delete it to rebuild). Figures and the commands that produced them are in
// docs/BENCHMARKS.md.
package benchmarks
