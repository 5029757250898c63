/* kafka:// event-line mode: Spark event lines assembled per application (see kafka.h).
 *
 * Each application being assembled has an unlinked spool file and the span of offsets its
 * lines occupy in their partition. The offset that may be committed in a partition is the
 * first line of the oldest application not yet handed over complete, moved back to the first
 * line of any handed-over application whose span contains it: a replay from there never
 * starts inside an application. Handed-over applications are forgotten once the committed
 * offset is past their last line. */
#include "sources/kafka_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ev_app {
  char name[320];       /* application id, "_attempt" appended when the header gives one */
  int32_t partition;    /* partition its lines come from */
  int64_t first, last;  /* offsets of its first and latest line */
  int fd;               /* spool file (unlinked), -1 once handed over complete */
  int complete;         /* handed over complete (ApplicationEnd) */
  int snapshot;         /* an incomplete snapshot was handed over since the last line */
  int64_t last_ms;      /* monotonic time of its latest line */
};

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ev_free(ev_asm *a) {
  for (size_t i = 0; i < a->n; i++)
    if (a->apps[i].fd >= 0) close(a->apps[i].fd);
  free(a->apps);
  memset(a, 0, sizeof *a);
}

static ev_app *find_open(ev_asm *a, const char *name) {
  for (size_t i = 0; i < a->n; i++)
    if (!a->apps[i].complete && !strcmp(a->apps[i].name, name)) return &a->apps[i];
  return NULL;
}

static ev_app *start_app(ev_asm *a, const char *name, const rd_kafka_message_t *msg, sic_err *err) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 8;
    ev_app *grown = realloc(a->apps, cap * sizeof *grown);
    if (!grown) return sic_err_set(err, SIC_ENOMEM, "out of memory"), NULL;
    a->apps = grown;
    a->cap = cap;
  }
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/sic-kafka-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) return sic_err_set(err, SIC_EIO, "cannot create a spool file in %s: %s", dir && *dir ? dir : "/tmp",
                                 strerror(errno)), NULL;
  unlink(path);
  ev_app *app = &a->apps[a->n++];
  memset(app, 0, sizeof *app);
  snprintf(app->name, sizeof app->name, "%s", name);
  app->partition = msg->partition;
  app->first = app->last = msg->offset;
  app->fd = fd;
  return app;
}

static int append(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int hand_over(ev_app *app, const sic_kafka_handler *h, int complete, sic_err *err) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", app->fd);
  return h->on_app(h->ctx, app->name, path, complete, err);
}

/* Application name from the key and the optional "attempt" header; 0 or -1 (no key). */
static int app_name(const rd_kafka_message_t *msg, char *out, size_t cap) {
  if (!msg->key || !msg->key_len || msg->key_len >= 256) return -1;
  int n = snprintf(out, cap, "%.*s", (int)msg->key_len, (const char *)msg->key);
  rd_kafka_headers_t *hdrs = NULL;
  const void *v = NULL;
  size_t vl = 0;
  if (!rd_kafka_message_headers(msg, &hdrs) && !rd_kafka_header_get_last(hdrs, "attempt", &v, &vl) && v && vl &&
      vl < 32)
    snprintf(out + n, cap - (size_t)n, "_%.*s", (int)vl, (const char *)v);
  for (char *p = out; *p; p++)
    if (*p == '/' || (unsigned char)*p < 0x20) *p = '_';
  return 0;
}

int ev_line(ev_asm *a, const rd_kafka_message_t *msg, const sic_kafka_handler *h, const char **why, sic_err *err) {
  char name[300];
  *why = NULL;
  if (app_name(msg, name, sizeof name)) {
    *why = "no application id in the message key";
    return 0;
  }
  if (!msg->len || ((const char *)msg->payload)[0] != '{') {
    *why = "the value is not an event line (a JSON object)";
    return 0;
  }
  ev_app *app = find_open(a, name);
  if (!app && !(app = start_app(a, name, msg, err))) return err ? err->code : SIC_EIO;
  app->last = msg->offset;
  app->last_ms = mono_ms();
  app->snapshot = 0;
  if (append(app->fd, msg->payload, msg->len) || append(app->fd, "\n", 1))
    return sic_err_set(err, SIC_EIO, "spooling %s: %s", name, strerror(errno));
  if (!memmem(msg->payload, msg->len, "\"SparkListenerApplicationEnd\"", 29)) return 0;
  int rc = hand_over(app, h, 1, err);
  if (rc) return rc;
  close(app->fd);
  app->fd = -1;
  app->complete = 1;
  return 1;
}

int ev_idle(ev_asm *a, const sic_kafka_handler *h, int app_idle_s, sic_err *err) {
  int64_t now = mono_ms();
  for (size_t i = 0; i < a->n; i++) {
    ev_app *app = &a->apps[i];
    if (app->complete || app->snapshot || now - app->last_ms < (int64_t)app_idle_s * 1000) continue;
    int rc = hand_over(app, h, 0, err);
    if (rc) return rc;
    app->snapshot = 1;
  }
  return 0;
}

int64_t ev_safe_offset(ev_asm *a, int32_t partition, int64_t next) {
  int64_t c = next;
  for (size_t i = 0; i < a->n; i++)
    if (a->apps[i].partition == partition && !a->apps[i].complete && a->apps[i].first < c) c = a->apps[i].first;
  for (int moved = 1; moved;) {
    moved = 0;
    for (size_t i = 0; i < a->n; i++) {
      const ev_app *app = &a->apps[i];
      if (app->partition == partition && app->complete && app->first < c && app->last >= c) {
        c = app->first;
        moved = 1;
      }
    }
  }
  return c;
}

void ev_prune(ev_asm *a, int32_t partition, int64_t committed) {
  size_t k = 0;
  for (size_t i = 0; i < a->n; i++) {
    ev_app *app = &a->apps[i];
    if (app->partition == partition && app->complete && app->last < committed) continue;
    a->apps[k++] = *app;
  }
  a->n = k;
}
