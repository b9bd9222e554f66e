// Package broker is the leader's evaluation broker: the queue between the
// evaluations committed to Raft and the scheduler workers that process them.
//
// Flow of one evaluation:
//
//	Enqueue ──► (WaitUntil in the future) ──► waiting ──(due)──┐
//	   │                                                       ▼
//	   └──► another eval of the job in flight? ──yes──► pending[job]
//	                     │ no                                 │ (on Ack of the one in flight)
//	                     ▼                                    ▼
//	                ready[type] (priority heap) ◄─────────────┘
//	                     │ Dequeue(types)
//	                     ▼
//	                 unacked (token) ──Ack──► done, next pending of the job becomes ready
//	                     └──Nack──► waiting again after a delay, or failed after
//	                                DeliveryLimit deliveries
//
// Words: "ready" evals can be handed out now; "pending" evals wait behind
// another eval of the same job (a job is evaluated by one worker at a time,
// so plans of one job never race); "waiting" evals wait for a time
// (Evaluation.WaitUntil, or a Nack delay); "unacked" evals are out with a
// worker, which holds a token that must accompany Ack and Nack. An eval
// held past NackTimeout is nacked for the worker, whose token then goes
// stale.
//
// The broker is only enabled on the leader; disabling it drops everything,
// because a new leader rebuilds it from the state store.
package broker
