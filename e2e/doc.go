// Package e2e runs the real drover binary: agents as processes on loopback
// ports with their own data dirs, driven through the CLI and the HTTP API the
// way a user would. Multi-host fault tests (servers and clients in containers
// on private networks, so a test can kill, pause or cut off one agent) are in e2e/cluster.
package e2e
