package planapply

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

func TestQueuePriorityOrder(t *testing.T) {
	q := NewQueue()
	q.SetEnabled(true)
	for _, p := range []int{10, 90, 50} {
		if _, err := q.Enqueue(&structs.Plan{Priority: p}); err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	for q.Len() > 0 {
		f, err := q.Dequeue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f.plan.Priority)
	}
	if got[0] != 90 || got[1] != 50 || got[2] != 10 {
		t.Fatalf("got order %v, want [90 50 10]", got)
	}
}

func TestQueueDisableFailsWaiters(t *testing.T) {
	q := NewQueue()
	q.SetEnabled(true)
	f, err := q.Enqueue(&structs.Plan{})
	if err != nil {
		t.Fatal(err)
	}
	q.SetEnabled(false)
	if _, err := f.Wait(context.Background()); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("got %v, want ErrNotEnabled", err)
	}
	if _, err := q.Enqueue(&structs.Plan{}); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("enqueue on disabled queue: got %v, want ErrNotEnabled", err)
	}
}

func TestApplierCommitsAndAnswers(t *testing.T) {
	st := newFakeState(7, node("n1"))
	var got *structs.ApplyPlanResultsRequest
	apply := func(req *structs.ApplyPlanResultsRequest) (uint64, error) {
		got = req
		return 8, nil
	}
	q := NewQueue()
	q.SetEnabled(true)
	a := NewApplier(q, func() State { return st }, apply, func() time.Time { return time.Unix(100, 0) },
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)

	job := &structs.Job{ID: "web", Namespace: "default"}
	p := plan(false, alloc("a", "n1", 100, 100))
	p.Job = job
	p.NodeAllocation["n1"][0].Job = job
	f, err := q.Enqueue(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.AllocIndex != 8 || res.RefreshIndex != 0 {
		t.Fatalf("got AllocIndex %d RefreshIndex %d, want 8 and 0", res.AllocIndex, res.RefreshIndex)
	}
	if len(got.AllocsUpdated) != 1 || got.AllocsUpdated[0].Job != nil || got.Job != job {
		t.Fatalf("got request %+v, want one placement without its own Job and the plan's Job", got)
	}
	if got.AllocsUpdated[0].CreateTime != time.Unix(100, 0).UnixNano() {
		t.Fatalf("got CreateTime %d, want the injected clock's", got.AllocsUpdated[0].CreateTime)
	}
	if p.NodeAllocation["n1"][0].Job != job {
		t.Fatal("the plan's own allocation was modified")
	}
}
