# Asks for about 10 TB of memory, which no node has: the scheduler cannot
# place it, and `drover job status big-memory` explains why.
job "big-memory" {
  datacenters = ["dc1"]
  type        = "service"

  group "big" {
    task "big" {
      driver = "mock"

      config {
        run_for = "1h"
      }

      resources {
        cpu    = 100
        memory = 10000000
      }
    }
  }
}
