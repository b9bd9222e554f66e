package state

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// Table names. The "index" table maps each table name to the Raft index of
// its latest write.
const (
	TableNodes       = "nodes"
	TableJobs        = "jobs"
	TableJobVersion  = "job_version"
	TableEvals       = "evals"
	TableAllocs      = "allocs"
	TableDeployments = "deployment"
	TableIndex       = "index"
)

// jobVersionLimit is how many versions of a job the store keeps.
const jobVersionLimit = 6

// IndexEntry is a row of the index table.
type IndexEntry struct {
	Key   string
	Value uint64
}

func stringField(field string) memdb.Indexer {
	return &memdb.StringFieldIndex{Field: field}
}

func nsAnd(field string) memdb.Indexer {
	return &memdb.CompoundIndex{Indexes: []memdb.Indexer{stringField("Namespace"), stringField(field)}}
}

func idIndex(indexer memdb.Indexer) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "id", Unique: true, Indexer: indexer}
}

func lookupIndex(name string, indexer memdb.Indexer) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, AllowMissing: true, Indexer: indexer}
}

func table(name string, indexes ...*memdb.IndexSchema) *memdb.TableSchema {
	t := &memdb.TableSchema{Name: name, Indexes: map[string]*memdb.IndexSchema{}}
	for _, ix := range indexes {
		t.Indexes[ix.Name] = ix
	}
	return t
}

// schema describes every table and index. Index names used by reads:
// "id" (with "id_prefix"), "job" (namespace, job ID), "node", "deployment".
//
// Each index entry costs an allocation about 500 bytes of radix tree, so
// allocations have no eval index: AllocsByEval goes through the eval's job.
func schema() *memdb.DBSchema {
	versionID := &memdb.CompoundIndex{Indexes: []memdb.Indexer{
		stringField("Namespace"), stringField("ID"), &memdb.UintFieldIndex{Field: "Version"},
	}}
	tables := []*memdb.TableSchema{
		table(TableNodes, idIndex(stringField("ID"))),
		table(TableJobs, idIndex(nsAnd("ID"))),
		table(TableJobVersion, idIndex(versionID), lookupIndex("job", nsAnd("ID"))),
		table(TableEvals, idIndex(stringField("ID")), lookupIndex("job", nsAnd("JobID"))),
		// Typed indexers (indexers.go): the same keys, without reflection.
		table(TableAllocs,
			idIndex(allocField("ID", true, func(a *structs.Allocation) string { return a.ID })),
			lookupIndex("job", allocNSAnd("JobID", func(a *structs.Allocation) string { return a.JobID })),
			lookupIndex("node", allocField("NodeID", false, func(a *structs.Allocation) string { return a.NodeID })),
			lookupIndex("deployment", allocField("DeploymentID", false, func(a *structs.Allocation) string { return a.DeploymentID }))),
		table(TableDeployments, idIndex(stringField("ID")), lookupIndex("job", nsAnd("JobID"))),
		table(TableIndex, idIndex(stringField("Key"))),
		schedulerConfigTable(),
	}
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, t := range tables {
		s.Tables[t.Name] = t
	}
	return s
}
