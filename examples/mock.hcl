# A job for the mock driver: each task "runs" for five seconds and exits 0.
# No process is started, so it is safe anywhere (tests, scale benchmarks).
job "mock" {
  datacenters = ["dc1"]
  type        = "batch"

  group "mock" {
    count = 1

    task "mock" {
      driver = "mock"

      config {
        run_for   = "5s"
        exit_code = 0
      }

      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
