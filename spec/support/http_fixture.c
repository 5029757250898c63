/* Programmable HTTP fixture for the sources/ tests (see http_fixture.h). */
#include "http_fixture.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct fx_server {
  struct MHD_Daemon *d;   /* the daemon */
  fx_route *routes;       /* borrowed */
  size_t n;               /* routes */
  pthread_mutex_t lock;   /* guards what follows */
  char headers[64][2][512]; /* last request's headers: name, value */
  int nheaders;           /* entries used */
  char query[2048];       /* last request's query string */
};

/* One answer being streamed. */
typedef struct fx_body {
  const char *p;          /* bytes to send */
  size_t len;             /* their count */
  size_t drop_after;      /* 0, or where to cut the connection */
  int stall_ms;           /* stall after half the body */
} fx_body;

static ssize_t body_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  fx_body *b = cls;
  if (pos >= b->len) return MHD_CONTENT_READER_END_OF_STREAM;
  if (b->drop_after && pos >= b->drop_after) return MHD_CONTENT_READER_END_WITH_ERROR;
  if (b->stall_ms && pos >= b->len / 2) {
    struct timespec ts = {b->stall_ms / 1000, (b->stall_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  size_t end = b->len;
  if (b->drop_after && end > b->drop_after) end = b->drop_after;
  if (b->stall_ms && end > b->len / 2) end = b->len / 2;
  size_t n = end - (size_t)pos;
  if (n > max) n = max;
  if (n > 4096) n = 4096; /* small pieces, so cuts land mid-body */
  memcpy(buf, b->p + pos, n);
  return (ssize_t)n;
}

static enum MHD_Result keep_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  fx_server *s = cls;
  if (s->nheaders < 64) {
    snprintf(s->headers[s->nheaders][0], 512, "%s", key);
    snprintf(s->headers[s->nheaders][1], 512, "%s", value ? value : "");
    s->nheaders++;
  }
  return MHD_YES;
}

static enum MHD_Result keep_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  fx_server *s = cls;
  size_t n = strlen(s->query);
  snprintf(s->query + n, sizeof s->query - n, "%s%s=%s", n ? "&" : "", key, value ? value : "");
  return MHD_YES;
}

static enum MHD_Result answer(struct MHD_Connection *c, int status, const char *text) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_len, void **state) {
  fx_server *s = cls;
  if (!*state) { /* first call: headers only */
    *state = s;
    return MHD_YES;
  }
  pthread_mutex_lock(&s->lock);
  s->nheaders = 0;
  s->query[0] = 0;
  MHD_get_connection_values(c, MHD_HEADER_KIND, keep_header, s);
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, keep_arg, s);
  fx_route *rt = NULL;
  for (size_t i = 0; i < s->n && !rt; i++)
    if (!strcmp(s->routes[i].path, url) && (!s->routes[i].query_has || strstr(s->query, s->routes[i].query_has)))
      rt = &s->routes[i];
  int hit = rt ? rt->hits++ : 0;
  pthread_mutex_unlock(&s->lock);
  if (!rt) return answer(c, 404, "<Error><Code>NoSuchKey</Code><Message>no route</Message></Error>");
  if (rt->delay_ms > 0) { /* a server building a big answer before its first byte */
    struct timespec ts = {rt->delay_ms / 1000, (rt->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (hit < rt->fail_first) return answer(c, 503, "slow down");
  if (rt->status < 200 || rt->status >= 300) return answer(c, rt->status, rt->body ? rt->body : "");
  fx_body *b = calloc(1, sizeof *b);
  b->p = rt->body;
  b->len = rt->body_len;
  if (rt->drops < 0 || hit - rt->fail_first < rt->drops) b->drop_after = rt->drop_after;
  b->stall_ms = rt->stall_ms;
  unsigned status = 200;
  const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
  long long from = 0, to = -1;
  if (rt->honor_range && range && sscanf(range, "bytes=%lld-%lld", &from, &to) >= 1 && from < (long long)b->len) {
    if (to < 0 || to >= (long long)b->len) to = (long long)b->len - 1;
    b->p += from;
    b->len = (size_t)(to - from + 1);
    if (b->drop_after) b->drop_after = b->drop_after > (size_t)from ? b->drop_after - (size_t)from : 1;
    status = 206;
  }
  struct MHD_Response *r = MHD_create_response_from_callback(rt->chunked ? MHD_SIZE_UNKNOWN : b->len, 4096,
                                                             body_reader, b, free);
  enum MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

fx_server *fx_start(fx_route *routes, size_t n) {
  fx_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->routes = routes;
  s->n = n;
  pthread_mutex_init(&s->lock, NULL);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(0x7f000001);
  addr.sin_port = 0;
  s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                          on_request, s, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
  if (!s->d) {
    free(s);
    return NULL;
  }
  return s;
}

int fx_port(const fx_server *s) {
  const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  return i ? i->port : 0;
}

const char *fx_last_header(fx_server *s, const char *name) {
  for (int i = 0; i < s->nheaders; i++)
    if (!strcasecmp(s->headers[i][0], name)) return s->headers[i][1];
  return "";
}

const char *fx_last_query(fx_server *s) { return s->query; }

void fx_stop(fx_server *s) {
  if (!s) return;
  MHD_stop_daemon(s->d);
  pthread_mutex_destroy(&s->lock);
  free(s);
}
