package state

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/hashicorp/go-msgpack/v2/codec"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// A persisted store is a stream of records, each a recordKind followed by
// the object, msgpack-encoded with rpc.MsgpackHandle. Kinds are written to
// Raft snapshots on disk: never renumber them.
type recordKind uint8

const (
	recordIndex recordKind = iota + 1
	recordNode
	recordJob
	recordJobVersion
	recordEval
	recordDeployment
	recordAlloc
	recordAllocJob
	recordSchedulerConfig
)

// allocRecord is a persisted allocation, always without its Job. Linked
// means the allocation shares the kept job_version value for JobVersion;
// otherwise a non-zero JobRef names an allocJobRecord written before it (a
// version no longer kept, or replaced since), shared by every allocation
// that shared it in memory.
type allocRecord struct {
	Alloc      *structs.Allocation
	JobVersion uint64
	Linked     bool
	JobRef     uint64
}

// allocJobRecord is a Job that allocations point at but the job_version
// table no longer holds.
type allocJobRecord struct {
	Ref uint64
	Job *structs.Job
}

// persistOrder lists what Persist writes, in order: job versions come before
// the allocations that link to them.
var persistOrder = []struct {
	kind  recordKind
	table string
}{
	{recordIndex, TableIndex},
	{recordNode, TableNodes},
	{recordJob, TableJobs},
	{recordJobVersion, TableJobVersion},
	{recordEval, TableEvals},
	{recordDeployment, TableDeployments},
	{recordAlloc, TableAllocs},
	{recordSchedulerConfig, TableSchedulerConfig},
}

// Persist writes every object in the store to w, from one consistent read.
func (r *reader) Persist(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	p := &persister{enc: codec.NewEncoder(bw, rpc.MsgpackHandle), txn: r.db.Txn(false), refs: map[*structs.Job]uint64{}}
	for _, o := range persistOrder {
		it, err := p.txn.Get(o.table, "id")
		if err != nil {
			return fmt.Errorf("persist %s: %w", o.table, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if o.kind == recordAlloc {
				err = p.writeAlloc(raw.(*structs.Allocation))
			} else {
				err = p.write(o.kind, raw)
			}
			if err != nil {
				return fmt.Errorf("persist %s: %w", o.table, err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("persist state: %w", err)
	}
	return nil
}

// persister writes records and remembers which unkept jobs it wrote.
type persister struct {
	enc  *codec.Encoder
	txn  *memdb.Txn
	refs map[*structs.Job]uint64
}

func (p *persister) write(kind recordKind, obj interface{}) error {
	if err := p.enc.Encode(kind); err != nil {
		return err
	}
	return p.enc.Encode(obj)
}

// writeAlloc writes a without its Job, linking it to the kept version it
// shares or to a job record written once for all its sharers.
func (p *persister) writeAlloc(a *structs.Allocation) error {
	rec := &allocRecord{}
	if a.Job != nil {
		rec.JobVersion = a.Job.Version
		v, err := first[structs.Job](p.txn, nil, TableJobVersion, "id", a.Namespace, a.JobID, a.Job.Version)
		if err != nil {
			return err
		}
		rec.Linked = v == a.Job
		if !rec.Linked {
			if rec.JobRef, err = p.jobRef(a.Job); err != nil {
				return err
			}
		}
	}
	stripped := *a
	stripped.Job = nil
	rec.Alloc = &stripped
	return p.write(recordAlloc, rec)
}

// jobRef returns job's reference, writing its record the first time.
func (p *persister) jobRef(job *structs.Job) (uint64, error) {
	if ref, ok := p.refs[job]; ok {
		return ref, nil
	}
	ref := uint64(len(p.refs) + 1)
	p.refs[job] = ref
	return ref, p.write(recordAllocJob, &allocJobRecord{Ref: ref, Job: job})
}

// Restore replaces the store's contents with a stream written by Persist, in
// one transaction: readers see either the old state or the new one, and
// blocking queries wake.
func (s *StateStore) Restore(r io.Reader) error {
	dec := codec.NewDecoder(bufio.NewReaderSize(r, 64<<10), rpc.MsgpackHandle)
	tx := s.write(0)
	defer tx.Abort()
	for _, p := range persistOrder {
		if _, err := tx.DeleteAll(p.table, "id"); err != nil {
			return fmt.Errorf("restore: clear %s: %w", p.table, err)
		}
	}
	rs := &restorer{txn: tx, jobs: map[uint64]*structs.Job{}}
	for {
		var kind recordKind
		if err := dec.Decode(&kind); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("restore: read record kind: %w", err)
		}
		if err := rs.restoreRecord(dec, kind); err != nil {
			return err
		}
	}
	tx.Commit()
	return nil
}

// restorer inserts decoded records into the restore transaction.
type restorer struct {
	txn  *writeTxn               // for shareStrings; Restore does not run its finish
	jobs map[uint64]*structs.Job // allocJobRecords by Ref
}

func (rs *restorer) restoreRecord(dec *codec.Decoder, kind recordKind) error {
	var obj interface{}
	var table string
	switch kind {
	case recordIndex:
		obj, table = new(IndexEntry), TableIndex
	case recordNode:
		obj, table = new(structs.Node), TableNodes
	case recordJob:
		obj, table = new(structs.Job), TableJobs
	case recordJobVersion:
		obj, table = new(structs.Job), TableJobVersion
	case recordEval:
		obj, table = new(structs.Evaluation), TableEvals
	case recordDeployment:
		obj, table = new(structs.Deployment), TableDeployments
	case recordSchedulerConfig:
		obj, table = new(structs.SchedulerConfiguration), TableSchedulerConfig
	case recordAlloc:
		return rs.restoreAlloc(dec)
	case recordAllocJob:
		var rec allocJobRecord
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("restore allocation job: %w", err)
		}
		rs.jobs[rec.Ref] = rec.Job
		return nil
	default:
		return fmt.Errorf("restore: unknown record kind %d: the snapshot is from a newer drover or corrupt", kind)
	}
	if err := dec.Decode(obj); err != nil {
		return fmt.Errorf("restore %s: %w", table, err)
	}
	if err := rs.txn.insert(table, obj); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

func (rs *restorer) restoreAlloc(dec *codec.Decoder) error {
	var rec allocRecord
	if err := dec.Decode(&rec); err != nil {
		return fmt.Errorf("restore allocation: %w", err)
	}
	if rec.Alloc == nil {
		return errors.New("restore allocation: empty record")
	}
	a := rec.Alloc
	switch {
	case rec.Linked:
		j, err := first[structs.Job](rs.txn.Txn, nil, TableJobVersion, "id", a.Namespace, a.JobID, rec.JobVersion)
		if err != nil {
			return err
		}
		if j == nil {
			return fmt.Errorf("restore allocation %q: job %q version %d is missing from the snapshot", a.ID, a.JobID, rec.JobVersion)
		}
		a.Job = j
	case rec.JobRef != 0:
		if a.Job = rs.jobs[rec.JobRef]; a.Job == nil {
			return fmt.Errorf("restore allocation %q: job record %d is missing from the snapshot", a.ID, rec.JobRef)
		}
	}
	if err := rs.txn.shareStrings(a); err != nil {
		return err
	}
	if err := rs.txn.Insert(TableAllocs, a); err != nil { // not insert: no lookups follow, so no need to track
		return fmt.Errorf("restore allocation %q: %w", a.ID, err)
	}
	return nil
}
