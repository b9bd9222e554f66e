# Two instances of Python's HTTP server in exec containers, each on a
# dynamic port:
#   drover job run examples/web.hcl
#   drover job status web        # then curl a node's address and the port
# Each task is PID 1 of its own container, sees the host's /usr read-only,
# and has its own hostname.
job "web" {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 2

    network {
      port "http" {}
    }

    restart {
      attempts = 2
      interval = "5m"
      delay    = "5s"
      mode     = "fail"
    }

    task "server" {
      driver = "exec"

      config {
        command = "/usr/bin/python3"
        args    = ["-m", "http.server", "${NOMAD_PORT_http}"]
      }

      # Stopped with SIGINT, as Python expects, then SIGKILL after 5s.
      kill_signal  = "SIGINT"
      kill_timeout = "5s"

      logs {
        max_files     = 3
        max_file_size = 5
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
