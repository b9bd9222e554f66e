package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// Typed indexers for the allocs table, the table every plan writes tens of
// thousands of rows into. memdb's StringFieldIndex finds the field by
// reflection and builds each key in three allocations; these read the
// field directly and build the key in one, with room for the primary key
// memdb appends to non-unique index keys. The keys are byte for byte those
// of StringFieldIndex and CompoundIndex (each string followed by a NUL, an
// empty string missing), whose FromArgs and PrefixFromArgs they reuse, so
// reads are unchanged.

// idKeyLen is the length of a primary key: a UUID and its NUL.
const idKeyLen = 37

// allocStringIndex indexes one string field of an Allocation.
type allocStringIndex struct {
	memdb.StringFieldIndex // FromArgs, PrefixFromArgs
	get                    func(*structs.Allocation) string
	unique                 bool
}

var _ memdb.SingleIndexer = (*allocStringIndex)(nil)

func allocField(field string, unique bool, get func(*structs.Allocation) string) *allocStringIndex {
	return &allocStringIndex{StringFieldIndex: memdb.StringFieldIndex{Field: field}, get: get, unique: unique}
}

// FromObject implements memdb.SingleIndexer.
func (ix *allocStringIndex) FromObject(obj interface{}) (bool, []byte, error) {
	a, ok := obj.(*structs.Allocation)
	if !ok {
		return false, nil, fmt.Errorf("index %s: got %T, want *structs.Allocation", ix.Field, obj)
	}
	v := ix.get(a)
	if v == "" {
		return false, nil, nil
	}
	return true, keyOf(ix.unique, v), nil
}

// allocNSIndex indexes Namespace and one more string field of an
// Allocation, as nsAnd does.
type allocNSIndex struct {
	memdb.CompoundIndex // FromArgs, PrefixFromArgs
	get                 func(*structs.Allocation) string
}

var _ memdb.SingleIndexer = (*allocNSIndex)(nil)

func allocNSAnd(field string, get func(*structs.Allocation) string) *allocNSIndex {
	return &allocNSIndex{CompoundIndex: memdb.CompoundIndex{Indexes: []memdb.Indexer{stringField("Namespace"), stringField(field)}}, get: get}
}

// FromObject implements memdb.SingleIndexer.
func (ix *allocNSIndex) FromObject(obj interface{}) (bool, []byte, error) {
	a, ok := obj.(*structs.Allocation)
	if !ok {
		return false, nil, fmt.Errorf("compound index: got %T, want *structs.Allocation", obj)
	}
	v := ix.get(a)
	if a.Namespace == "" || v == "" {
		return false, nil, nil
	}
	return true, keyOf(false, a.Namespace, v), nil
}

// keyOf is the parts, each followed by a NUL, in one allocation with room
// for the primary key unless the index is unique.
func keyOf(unique bool, parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	spare := idKeyLen
	if unique {
		spare = 0
	}
	b := make([]byte, 0, n+spare)
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return b
}
