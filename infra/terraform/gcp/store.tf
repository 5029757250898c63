# The shared history store: PostgreSQL on a private IP only, with automated backups and
# point-in-time recovery.
resource "google_sql_database_instance" "store" {
  name                = "${var.name}-store"
  region              = var.region
  database_version    = "POSTGRES_15"
  deletion_protection = var.db_deletion_protection

  depends_on = [google_service_networking_connection.private_services]

  settings {
    tier              = var.db_tier
    availability_type = "REGIONAL"
    disk_autoresize   = true

    ip_configuration {
      ipv4_enabled                                  = false
      private_network                               = google_compute_network.vpc.id
      enable_private_path_for_google_cloud_services = true
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "02:00"
      backup_retention_settings {
        retained_backups = 14
      }
    }

    database_flags {
      name  = "max_connections"
      value = "200"
    }
  }
}

resource "google_sql_database" "sic" {
  name     = var.name
  instance = google_sql_database_instance.store.name
}

# Workloads log in as their Google service account (IAM database authentication), so no
# password is stored anywhere.
resource "google_sql_user" "runtime" {
  name     = trimsuffix(google_service_account.runtime.email, ".gserviceaccount.com")
  instance = google_sql_database_instance.store.name
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}
