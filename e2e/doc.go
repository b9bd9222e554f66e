// Package e2e runs the real drover binary: agents as processes on loopback
// ports with their own data dirs, driven through the CLI and the HTTP API the
// way a user would. Multi-host fault tests (containers on private networks)
// join them in a later issue.
package e2e
