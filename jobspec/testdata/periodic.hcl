job "report" {
  type = "batch"

  periodic {
    cron             = "*/15 * * * *"
    crons            = ["0 1 * * *", "0 2 * * *"]
    prohibit_overlap = true
    time_zone        = "Europe/Berlin"
  }

  parameterized {
    payload       = "required"
    meta_required = ["customer"]
    meta_optional = ["priority"]
  }

  group "g" {
    task "t" {
      driver = "mock"
    }
  }
}
