# Two Google service accounts: the nodes' (logging and metrics only) and the workloads'
# (bucket, database, Kafka), the latter reached from Kubernetes through Workload Identity.
resource "google_service_account" "nodes" {
  account_id   = "${var.name}-nodes"
  display_name = "sic GKE nodes"
}

resource "google_service_account" "runtime" {
  account_id   = "${var.name}-runtime"
  display_name = "sic serve and workers"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/artifactregistry.reader",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_service_account_iam_member" "workload_identity" {
  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${var.namespace}/sic]"
}

resource "google_storage_bucket_iam_member" "runtime_logs" {
  bucket = google_storage_bucket.event_logs.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_project_iam_member" "runtime" {
  for_each = toset([
    "roles/cloudsql.client",
    "roles/cloudsql.instanceUser",
    "roles/managedkafka.client",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.runtime.email}"
}
