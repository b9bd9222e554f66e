// Package cluster runs drover clusters as Docker containers on private
// networks and breaks them: the fault tests of issue 5 (election, leader
// loss, partitions, rolling restarts, autopilot, snapshots) and the harness
// they stand on.
//
// drover itself never needs Docker: the harness drives the docker CLI
// through os/exec. Each agent runs in a container of the image
// drover-e2e:test, built FROM scratch with nothing but the static drover
// binary (e2e/docker/Dockerfile), so no registry and no base image are
// needed.
//
// # Harness
//
//	c := cluster.New(t)                  // two networks, cleanup registered
//	servers := c.StartServers(3)         // bootstrap_expect = 3, retry_join all
//	leader, _ := c.WaitLeader(timeout, servers...)
//	cl := c.AddClient("c1", servers, ""); c.Start(cl)
//	leader.Kill() / Stop() / Start() / Restart() / Pause() / Unpause()
//	leader.Disconnect() / Connect()      // off and back on the cluster net
//	leader.Get(path, &out), RegisterJob, JobIDs, Allocs, ServerStats, CLI, Logs
//
// # Networks
//
// Every Cluster makes two networks of its own, both --internal (nothing
// leaves the host), with random /24 subnets and the label drover-e2e=1:
//
//	cluster net  10.213.N.0/24  the agents' only path to each other: Serf,
//	                            Raft and gRPC advertise these addresses
//	control net  10.214.N.0/24  host <-> container only (enable_icc=false):
//	                            the tests reach each agent's HTTP API and
//	                            CLI here, even while it is cut off
//
// Disconnect takes a node off the cluster net only, so a partitioned
// leader can still be asked questions from the host.
//
// # Running
//
// The tests run only when DROVER_E2E_CLUSTER=1 (make test-e2e sets it), so
// that `make test` does not start containers; without a Docker engine they
// skip with the reason, unless DROVER_E2E_REQUIRE_DOCKER=1 makes that a
// failure. DROVER_E2E_BINARY names the static binary to put in the image
// (make static writes bin/drover-static); without it the harness builds one.
// DROVER_E2E_LOGDIR, if set, receives every agent's full log.
//
// Containers and networks are removed by t.Cleanup; ones left behind by a
// run that died (its process is gone) are removed when the next run starts.
package cluster
