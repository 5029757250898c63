/* The logs resource: a zip of the application's event log files, as the History Server's
 * EventLogFileReader.zipEventLogFiles writes it (a single file as its name; a rolling or
 * other log directory as "<dir>/" plus "<dir>/<file>" entries). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "shs/shs_internal.h"

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* Add every regular file of dir as "<dirname>/<file>", after the "<dirname>/" entry. */
static int logs_add_dir(zip_t *z, const char *dir) {
  char prefix[1024];
  snprintf(prefix, sizeof prefix, "%s", base_name(dir));
  if (zip_dir_add(z, prefix, ZIP_FL_ENC_UTF_8) < 0) return -1;
  DIR *d = opendir(dir);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char **nn = realloc(names, (n + 1) * sizeof *nn);
    if (!nn || !(nn[n] = strdup(de->d_name))) { names = nn ? nn : names; rc = -1; break; }
    names = nn;
    n++;
  }
  closedir(d);
  if (names) sic_qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n && rc == 0; i++) {
    char path[4096], entry[2048];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (stat(path, &sb) || !S_ISREG(sb.st_mode)) continue;
    snprintf(entry, sizeof entry, "%s/%s", prefix, names[i]);
    zip_source_t *src = zip_source_file(z, path, 0, -1);
    if (!src || zip_file_add(z, entry, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
      zip_source_free(src);
      rc = -1;
    }
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

static int logs_add_logset(zip_t *z, const sic_logset *set) {
  struct stat sb;
  if (stat(set->path, &sb) == 0 && S_ISDIR(sb.st_mode)) return logs_add_dir(z, set->path);
  zip_source_t *src = zip_source_file(z, set->path, 0, -1);
  if (!src || zip_file_add(z, base_name(set->path), src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
    zip_source_free(src);
    return -1;
  }
  return 0;
}

/* Close the archive and copy its bytes out of the in-memory source. */
static int logs_zip_finish(zip_t *z, zip_source_t *buf, char **out, size_t *len) {
  if (zip_close(z) < 0) {
    zip_discard(z);
    return -1;
  }
  if (zip_source_open(buf) < 0) return -1;
  zip_source_seek(buf, 0, SEEK_END);
  zip_int64_t n = zip_source_tell(buf);
  zip_source_seek(buf, 0, SEEK_SET);
  char *bytes = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!bytes || zip_source_read(buf, bytes, (zip_uint64_t)n) != n) {
    free(bytes);
    zip_source_close(buf);
    return -1;
  }
  zip_source_close(buf);
  *out = bytes;
  *len = (size_t)n;
  return 0;
}

int shs_render_logs(sic_shs *shs, const shs_appinfo *app, const char *attempt_id, sic_shs_response *r) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &ze);
  zip_t *z = buf ? zip_open_from_source(buf, ZIP_TRUNCATE, &ze) : NULL;
  int rc = z ? 0 : -1;
  if (z) zip_source_keep(buf);
  for (size_t k = 0; z && k < app->nattempts && rc == 0; k++) {
    const shs_attempt *at = &app->attempts[k];
    if (attempt_id && !(at->attempt_id && !strcmp(at->attempt_id, attempt_id))) continue;
    rc = logs_add_logset(z, &shs->sets.items[at->logset]);
  }
  char *bytes = NULL;
  size_t len = 0;
  if (rc == 0 && z) rc = logs_zip_finish(z, buf, &bytes, &len);
  else if (z) zip_discard(z);
  zip_source_free(buf);
  zip_error_fini(&ze);
  if (rc < 0 || !bytes) return shs_error(r, 503, "Event logs are not available for app: %s.", app->id);
  char name[1024];
  if (attempt_id) snprintf(name, sizeof name, "eventLogs-%s-%s.zip", app->id, attempt_id);
  else snprintf(name, sizeof name, "eventLogs-%s.zip", app->id);
  free(r->body);
  r->body = bytes;
  r->len = len;
  r->status = 200;
  r->content_type = "application/octet-stream";
  r->filename = strdup(name);
  return 200;
}
