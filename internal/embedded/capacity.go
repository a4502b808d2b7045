package embedded

// The largest embedded store measured, by make bench (SPEC §11; see
// docs/benchmarks.md): what system.health reports as the tested capacity,
// and docs/operations.md explains. Past it the store keeps working, but
// nothing was measured there; a MongoDB is the way on.
const (
	// TestedOrganizations is how many organizations the store held.
	TestedOrganizations = 50_000
	// TestedDocuments is the most documents one organization held (the
	// rename, export and import of 100,000 documents).
	TestedDocuments = 100_000
	// TestedSizeBytes is the size of the store's files then (1,547 MB,
	// with 90,000 accounts and 1,000,000 audit entries beside them).
	TestedSizeBytes = 1_547_000_000
)
