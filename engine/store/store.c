/* Opening a history store by URL, the default location, transactions with reconnect-and-retry,
 * and content checksums. Owner: store engineer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/crashpoint.h"
#include "store/internal.h"

/* Times a transaction aborted by a deadlock or a serialization failure runs again. */
enum { STORE_CONFLICT_RETRIES = 8 };

/* mkdir -p for the directory part of path's parent chain. */
static int make_dirs(char *dir, sic_err *err) {
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    int bad = mkdir(dir, 0700) && errno != EEXIST;
    *p = '/';
    if (bad) return sic_err_set(err, SIC_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
  }
  if (mkdir(dir, 0700) && errno != EEXIST)
    return sic_err_set(err, SIC_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
  return 0;
}

int sic_store_default_url(char *buf, size_t n, sic_err *err) {
  char dir[4096];
  const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  if (xdg && *xdg == '/')
    snprintf(dir, sizeof dir, "%s/sic", xdg);
  else if (home && *home)
    snprintf(dir, sizeof dir, "%s/.local/share/sic", home);
  else
    return sic_err_set(err, SIC_EINVAL, "no store given and neither XDG_DATA_HOME nor HOME is set: "
                                        "pass --store URL or set SIC_STORE");
  int rc = make_dirs(dir, err);
  if (rc) return rc;
  if ((size_t)snprintf(buf, n, "sqlite://%s/sic.db", dir) >= n)
    return sic_err_set(err, SIC_EINVAL, "%s: path too long", dir);
  return 0;
}

/* Copy url with the password (user:PASSWORD@ or password=...) replaced by ***. */
static char *mask_password(const char *url) {
  size_t n = strlen(url);
  char *out = malloc(n + 8);
  if (!out) return NULL;
  const char *scheme = strstr(url, "://");
  const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
  const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
  if (colon)
    snprintf(out, n + 8, "%.*s***%s", (int)(colon + 1 - url), url, at);
  else
    snprintf(out, n + 8, "%s", url);
  char *pw = strstr(out, "password=");
  if (pw) {
    char *end = pw + 9;
    while (*end && *end != '&' && *end != ' ') end++;
    memmove(pw + 12, end, strlen(end) + 1);
    memcpy(pw + 9, "***", 3);
  }
  return out;
}

static int open_backend(const char *url, db **out, sic_err *err) {
  if (!strncmp(url, "sqlite:", 7)) {
    const char *path = url + 7;
    if (!strncmp(path, "//", 2)) path += 2;
    if (!*path) return sic_err_set(err, SIC_EINVAL, "store URL '%s' names no file (sqlite:///path/sic.db)", url);
    return db_open_sqlite(path, out, err);
  }
  if (!strncmp(url, "postgresql:", 11) || !strncmp(url, "postgres:", 9)) {
    /* A bare scheme means: everything from PG* variables and ~/.pgpass. */
    const char *conninfo = strchr(url, ':')[1] ? url : "";
    return db_open_pg(conninfo, out, err);
  }
  return sic_err_set(err, SIC_EINVAL, "store URL '%s': expected sqlite:///path/sic.db or postgresql://...", url);
}

int sic_store_open(const char *url, sic_store **out, sic_err *err) {
  char fallback[4200];
  *out = NULL;
  if (!url || !*url) url = getenv("SIC_STORE");
  if (!url || !*url) {
    int rc = sic_store_default_url(fallback, sizeof fallback, err);
    if (rc) return rc;
    url = fallback;
  }
  sic_store *s = calloc(1, sizeof *s);
  if (!s || !(s->display_url = mask_password(url))) {
    free(s);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  int rc = open_backend(url, &s->db, err);
  if (!rc) rc = store_migrate(s->db, &s->schema_version, err);
  if (rc) {
    sic_err_wrap(err, "store %s: ", s->display_url);
    sic_store_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void sic_store_close(sic_store *s) {
  if (!s) return;
  db_close(s->db);
  free(s->display_url);
  free(s);
}

const char *sic_store_backend(const sic_store *s) { return s->db->ops->name; }
const char *sic_store_display_url(const sic_store *s) { return s->display_url; }
int sic_store_schema_version(const sic_store *s) { return s->schema_version; }

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

/* Reconnect with exponential backoff (0.1 s doubling to 3.2 s, about 25 s in all): long enough
 * for a server restart or a failover, short enough that a dead server fails the command. */
static int reconnect_with_backoff(sic_store *s, sic_err *err) {
  int delay = 100, rc = SIC_EIO;
  for (int i = 0; i < 12; i++) {
    sleep_ms(delay);
    if (!(rc = s->db->ops->reconnect(s->db, err))) return 0;
    if (delay < 3200) delay *= 2;
  }
  return rc;
}

/* Pause before running a transaction again that the server aborted for a conflict: 20 ms
 * doubling to 640 ms, each drawn at random between half and all of it, so that writers which
 * collided do not collide again in step. */
static void conflict_backoff(int conflicts) {
  static __thread unsigned seed;
  if (!seed) seed = (unsigned)getpid() ^ (unsigned)time(NULL);
  int cap = 20 << (conflicts < 5 ? conflicts : 5);
  sleep_ms(cap / 2 + (int)(rand_r(&seed) % (unsigned)(cap / 2 + 1)));
}

int store_with_tx(sic_store *s, int max_retries, int (*fn)(sic_store *s, void *ctx, sic_err *err),
                  void *ctx, int *retries, sic_err *err) {
  if (max_retries <= 0) max_retries = 5;
  int conflicts = 0;
  for (int attempt = 0;; attempt++) {
    int rc = db_exec(s->db, s->db->ops->begin_sql, err);
    if (!rc) rc = fn(s, ctx, err);
    if (!rc) sic_crashpoint("store.before_commit"); /* everything written, nothing committed */
    if (!rc) rc = db_exec(s->db, "COMMIT", err);
    if (!rc) return 0;
    db_exec(s->db, "ROLLBACK", NULL);
    int race = s->db->ops->lost_race(s->db);
    /* Another process stored the same rows first (PostgreSQL READ COMMITTED): run again, the
     * transaction then sees their commit (an ingest reports the log as unchanged). */
    if (race == DB_RACE_UNIQUE && attempt < max_retries) continue;
    /* A deadlock or serialization failure aborted the whole transaction: nothing of it was
     * kept, so it runs again from scratch after a pause. */
    if (race == DB_RACE_CONFLICT) {
      if (conflicts >= STORE_CONFLICT_RETRIES)
        return sic_err_wrap(err, "still conflicting with concurrent writers after %d retries: ", conflicts);
      conflict_backoff(conflicts++);
      if (retries) (*retries)++;
      attempt--; /* the connection-loss budget is separate */
      continue;
    }
    if (!s->db->ops->connection_lost(s->db) || attempt >= max_retries) return rc;
    sic_err first = *err;
    if (reconnect_with_backoff(s, err)) {
      sic_err_wrap(err, "connection lost (%.200s); reconnecting failed: ", first.msg);
      return rc;
    }
    if (retries) (*retries)++;
  }
}

int store_severity_rank(const char *sev) {
  static const char *const names[] = {"info", "low", "medium", "high", "critical"};
  if (!sev) return 0;
  for (int i = 0; i < 5; i++)
    if (!strcasecmp(sev, names[i])) return i + 1;
  if (!strcasecmp(sev, "warning") || !strcasecmp(sev, "warn")) return 3;
  if (!strcasecmp(sev, "error")) return 4;
  return 0;
}

static int hash_file(store_sha256 *c, const char *path, int64_t *size, sic_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sic_err_set(err, SIC_EIO, "%s: cannot open for checksum: %s", path, strerror(errno));
  static __thread char buf[1 << 16];
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf)) > 0) {
    store_sha256_update(c, buf, (size_t)got);
    *size += got;
  }
  int bad = got < 0 ? errno : 0;
  close(fd);
  if (bad) return sic_err_set(err, SIC_EIO, "%s: read error: %s", path, strerror(bad));
  return 0;
}

int sic_store_checksum_files(const char *const *paths, size_t n, char out[65], int64_t *total_size,
                             sic_err *err) {
  store_sha256 c;
  store_sha256_init(&c);
  int64_t size = 0;
  for (size_t i = 0; i < n; i++) {
    /* Zip members are named "archive.zip!/member": hash the archive once. */
    char file[4096];
    const char *bang = strstr(paths[i], "!/");
    snprintf(file, sizeof file, "%.*s", bang ? (int)(bang - paths[i]) : (int)strlen(paths[i]), paths[i]);
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++)
      seen = !strncmp(paths[j], file, strlen(file)) && (!paths[j][strlen(file)] || paths[j][strlen(file)] == '!');
    if (seen) continue;
    int rc = hash_file(&c, file, &size, err);
    if (rc) return rc;
  }
  store_sha256_hex(&c, out);
  if (total_size) *total_size = size;
  return 0;
}
