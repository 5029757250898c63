# Where Spark clusters write their event logs (spark.eventLog.dir=gs://BUCKET/spark-events)
# and where `sic serve`/`sic watch` read them.
resource "google_storage_bucket" "event_logs" {
  name                        = "${var.project_id}-${var.name}-eventlogs"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = false
  }

  lifecycle_rule {
    condition {
      age = var.event_log_retention_days
    }
    action {
      type = "Delete"
    }
  }
}
