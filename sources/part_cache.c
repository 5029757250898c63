/* Following a growing rolling log (eventlog_v2_*) on an object store: fetch only new parts.
 *
 * Object stores cannot append, so Spark's rolling writer is what makes an in-progress
 * application visible there: each closed part is a new object. The analysis of the application
 * needs every event, but downloading the earlier parts again at each poll costs the whole log
 * every time it grows. With the cache on (sic ingest --follow turns it on), a rolling part read
 * whole through an object store is kept on local disk under a key made of the root URI, the
 * part's name, its ETag (else its modification time) and its size; the next load of the same
 * application reads the parts whose (name, ETag) are known from that file and fetches only the
 * others. What is re-read, and why: the earlier parts are re-read from local disk and re-parsed
 * (the model is rebuilt from every event, so findings equal those of the whole log); nothing
 * known is fetched again. A changed part (new ETag or size) is a different key: fetched.
 *
 * Bounds: only parts of rolling logs are kept; sic_sources_part_cache_sweep (after each poll)
 * shrinks the parts of applications that are complete to a 4 KiB head (the codec sniff of a
 * later scan reads it instead of the store, so a complete application costs no GET either);
 * files untouched for SIC_PART_CACHE_DAYS (7) days go; a part is not cached when it would leave
 * less than 1 GiB free on the cache's filesystem. Files are written under a temporary name and
 * renamed when the part was read whole at its listed size, so a reader never sees a partial
 * part; a cached file whose size is not the key's is dropped and the part fetched.
 *
 * Directory: SIC_PART_CACHE, else $XDG_CACHE_HOME/sic/parts, else ~/.cache/sic/parts;
 * SIC_PART_CACHE=off keeps the cache off. */
#include "sources/source_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define HEAD_KEEP 4096                 /* bytes of a complete application's part kept for sniffing */
#define FREE_RESERVE (1LL << 30)       /* leave this much free on the cache's filesystem */

static char *cache_dir;                /* NULL: the cache is off (owned) */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static sic_part_stats stats;           /* counters since the process started (under cache_lock) */
static unsigned long tmp_counter;      /* unique temporary names within the process */

static void count(int64_t *n, int64_t *bytes, int64_t add) {
  pthread_mutex_lock(&cache_lock);
  (*n)++;
  *bytes += add;
  pthread_mutex_unlock(&cache_lock);
}

void sic_sources_part_stats(sic_part_stats *out) {
  pthread_mutex_lock(&cache_lock);
  *out = stats;
  pthread_mutex_unlock(&cache_lock);
}

/* mkdir -p; 0 or -1. */
static int make_dirs(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0700) && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0700) && errno != EEXIST ? -1 : 0;
}

int sic_sources_part_cache_enable(sic_err *err) {
  const char *env = getenv("SIC_PART_CACHE");
  if (env && !strcmp(env, "off")) return 0;
  char dir[4096];
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (env && *env) snprintf(dir, sizeof dir, "%s", env);
  else if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/sic/parts", xdg);
  else if (home && *home) snprintf(dir, sizeof dir, "%s/.cache/sic/parts", home);
  else return sic_err_set(err, SIC_EINVAL, "no directory for the part cache: set SIC_PART_CACHE (or HOME)");
  if (make_dirs(dir))
    return sic_err_set(err, SIC_EIO, "part cache %s: cannot create: %s (set SIC_PART_CACHE, or SIC_PART_CACHE=off)", dir,
                       strerror(errno));
  char *copy = strdup(dir);
  if (!copy) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  pthread_mutex_lock(&cache_lock);
  free(cache_dir);
  cache_dir = copy;
  pthread_mutex_unlock(&cache_lock);
  return 0;
}

/* Is name ("…/eventlog_v2_<app>/events_<n>_<app>[.codec]") a part of a rolling log? */
static int rolling_part(const char *name) {
  const char *base = strrchr(name, '/');
  if (!base || strncmp(base + 1, "events_", 7)) return 0;
  const char *dir = base;
  while (dir > name && dir[-1] != '/') dir--;
  return !strncmp(dir, "eventlog_v2_", 12);
}

/* The cache file of an entry (suffix ".part" or ".head"); 0 when it has none (cache off, not a
 * rolling part, size unknown). */
static int cache_path(const sic_source *s, const sic_source_entry *e, const char *suffix, char *out, size_t cap) {
  if (!cache_dir || e->size <= 0 || !rolling_part(e->name)) return 0;
  char version[64];
  if (!e->etag) snprintf(version, sizeof version, "mtime:%lld", (long long)e->mtime_ms);
  XXH3_state_t *st = XXH3_createState();
  if (!st) return 0;
  XXH3_128bits_reset(st);
  XXH3_128bits_update(st, s->root, strlen(s->root) + 1);
  XXH3_128bits_update(st, e->name, strlen(e->name) + 1);
  const char *v = e->etag ? e->etag : version;
  XXH3_128bits_update(st, v, strlen(v) + 1);
  XXH3_128bits_update(st, &e->size, sizeof e->size);
  XXH128_hash_t h = XXH3_128bits_digest(st);
  XXH3_freeState(st);
  return snprintf(out, cap, "%s/%016llx%016llx%s", cache_dir, (unsigned long long)h.high64,
                  (unsigned long long)h.low64, suffix) < (int)cap;
}

/* Open a cached file holding at least want bytes (exactly want when exact); -1 when none. */
static int open_cached(const char *path, int64_t want, int exact) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) || (exact ? st.st_size != want : st.st_size < want)) {
    close(fd);
    if (exact) unlink(path); /* not what its key says: fetched again */
    return -1;
  }
  futimens(fd, NULL); /* in use: the age sweep keeps it */
  return fd;
}

/* ---- reading a part whole: from the cache, or from the store while writing the cache ---- */

typedef struct tee_reader {
  sic_reader base;      /* read/close */
  sic_reader *inner;    /* the store's reader (owned) */
  int fd;               /* temporary file being written, -1 once given up or done */
  char tmp[4300];       /* its name */
  char final[4200];     /* the name it gets when complete */
  int64_t written;      /* bytes written to it */
  int64_t want;         /* the part's listed size */
} tee_reader;

static void tee_give_up(tee_reader *r) {
  if (r->fd < 0) return;
  close(r->fd);
  unlink(r->tmp);
  r->fd = -1;
}

static int tee_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  tee_reader *r = (tee_reader *)base;
  int rc = r->inner->read(r->inner, buf, cap, got, err);
  if (rc) {
    tee_give_up(r);
    return rc;
  }
  if (r->fd < 0) return 0;
  if (*got) {
    size_t off = 0;
    while (off < *got) {
      ssize_t w = write(r->fd, buf + off, *got - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) { /* disk full or the like: the read goes on, uncached */
        tee_give_up(r);
        return 0;
      }
      off += (size_t)w;
    }
    r->written += (int64_t)*got;
    return 0;
  }
  /* the end: the file is kept only when it is the whole part */
  int whole = r->written == r->want, closed = close(r->fd) == 0;
  r->fd = -1;
  if (!whole || !closed || rename(r->tmp, r->final)) unlink(r->tmp);
  return 0;
}

static void tee_close(sic_reader *base) {
  tee_reader *r = (tee_reader *)base;
  tee_give_up(r);
  r->inner->close(r->inner);
  free(r);
}

/* There is room for size more bytes on the cache's filesystem. */
static int room_for(int64_t size) {
  struct statvfs v;
  if (statvfs(cache_dir, &v)) return 0;
  return (int64_t)v.f_bavail * (int64_t)v.f_frsize - size > FREE_RESERVE;
}

int part_cache_open(sic_source *s, const sic_source_entry *e, sic_reader **out, sic_err *err) {
  *out = NULL;
  char path[4200];
  pthread_mutex_lock(&cache_lock);
  int cacheable = cache_path(s, e, ".part", path, sizeof path);
  pthread_mutex_unlock(&cache_lock);
  if (cacheable) {
    int fd = open_cached(path, e->size, 1);
    if (fd >= 0) {
      count(&stats.cached_parts, &stats.cached_bytes, e->size);
      return file_reader_from_fd(fd, path, out, err);
    }
  }
  sic_reader *inner;
  int rc = s->ops->read(s, e->name, 0, -1, &inner, err);
  if (rc) return rc;
  count(&stats.fetched_parts, &stats.fetched_bytes, e->size > 0 ? e->size : 0);
  if (!cacheable || !room_for(e->size)) {
    *out = inner;
    return 0;
  }
  tee_reader *r = calloc(1, sizeof *r);
  if (!r) {
    inner->close(inner);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  r->base.read = tee_read;
  r->base.close = tee_close;
  r->inner = inner;
  r->want = e->size;
  snprintf(r->final, sizeof r->final, "%s", path);
  pthread_mutex_lock(&cache_lock);
  unsigned long k = ++tmp_counter;
  pthread_mutex_unlock(&cache_lock);
  snprintf(r->tmp, sizeof r->tmp, "%s.tmp.%ld.%lu", path, (long)getpid(), k);
  r->fd = open(r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  *out = &r->base;
  return 0;
}

size_t part_cache_head(const sic_source *s, const sic_source_entry *e, uint8_t *buf, size_t cap) {
  static const char *const suffixes[] = {".part", ".head"};
  for (int i = 0; i < 2; i++) {
    char path[4200];
    pthread_mutex_lock(&cache_lock);
    int ok = cache_path(s, e, suffixes[i], path, sizeof path);
    pthread_mutex_unlock(&cache_lock);
    if (!ok) return 0;
    int64_t want = (int64_t)cap < e->size ? (int64_t)cap : e->size;
    int fd = open_cached(path, i == 0 ? e->size : want, i == 0);
    if (fd < 0) continue;
    size_t got = 0;
    while (got < (size_t)want) {
      ssize_t n = read(fd, buf + got, (size_t)want - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += (size_t)n;
    }
    close(fd);
    if (got == (size_t)want) return got;
  }
  return 0;
}

/* ---- sweeping ---- */

/* The part of a complete application: keep its head only (a new file, renamed over). */
static void shrink_to_head(const sic_source *s, const sic_source_entry *e) {
  char part[4096], head[4096], tmp[4096 + 64];
  if (!cache_path(s, e, ".part", part, sizeof part) || !cache_path(s, e, ".head", head, sizeof head)) return;
  int in = open(part, O_RDONLY | O_CLOEXEC);
  if (in < 0) return;
  uint8_t buf[HEAD_KEEP];
  ssize_t n = read(in, buf, sizeof buf);
  close(in);
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%lu", head, (long)getpid(), ++tmp_counter);
  int out = n > 0 ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
  if (out >= 0) {
    int ok = write(out, buf, (size_t)n) == n;
    if (close(out) || !ok || rename(tmp, head)) unlink(tmp);
  }
  unlink(part);
}

/* Files older than the age limit (and stale temporaries) go. */
static void sweep_old(void) {
  const char *v = getenv("SIC_PART_CACHE_DAYS");
  long days = v && *v ? strtol(v, NULL, 10) : 7;
  if (days <= 0) days = 7;
  DIR *d = opendir(cache_dir);
  if (!d) return;
  time_t now = time(NULL);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char path[4400];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", cache_dir, de->d_name);
    if (stat(path, &st) || !S_ISREG(st.st_mode)) continue;
    long age_limit = strstr(de->d_name, ".tmp.") ? 86400 : days * 86400;
    if (now - st.st_mtime > age_limit) unlink(path);
  }
  closedir(d);
}

void sic_sources_part_cache_sweep(const sic_logsets *sets) {
  pthread_mutex_lock(&cache_lock);
  if (!cache_dir) {
    pthread_mutex_unlock(&cache_lock);
    return;
  }
  for (size_t i = 0; sets && i < sets->n; i++) {
    const sic_logset *set = &sets->items[i];
    if (set->in_progress) continue; /* still growing: its parts are what the cache is for */
    for (size_t k = 0; k < set->nparts; k++) {
      sic_source_entry e;
      const sic_source *s = source_of_part(&set->parts[k], &e);
      if (s) shrink_to_head(s, &e);
    }
  }
  sweep_old();
  pthread_mutex_unlock(&cache_lock);
}
