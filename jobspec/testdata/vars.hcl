variable "image" {
  type    = string
  default = "alpine"
}

variable "count" {
  type    = number
  default = 1
}

variable "dcs" {
  type    = list(string)
  default = ["dc1"]
}

variable "tags" {
  default = "none"
}

locals {
  full  = "${local.base}:${var.tag_suffix_default}"
  base  = upper(var.image)
}

variable "tag_suffix_default" {
  default = "latest"
}

job "vars" {
  datacenters = var.dcs

  meta {
    image = local.full
    tags  = var.tags
  }

  group "g" {
    count = var.count

    task "t" {
      driver = "mock"
    }
  }
}
