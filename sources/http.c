/* HTTP(S) GET as a pull-based reader over libcurl's multi interface (see http.h).
 *
 * The write callback appends to a bounded buffer and pauses the transfer when the consumer
 * is behind, so memory stays at HTTP_BUF_MAX whatever the body size. Status is checked at
 * the first body byte: error bodies are kept (a snippet) for the message, never delivered. */
#include "sources/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HTTP_BUF_MAX (4u << 20)   /* body bytes buffered ahead of the consumer before pausing */
#define ERRBODY_MAX 2048          /* bytes of an error answer kept for the message */

typedef struct http_reader {
  sic_reader base;      /* read/close (first member: the reader is cast from it) */
  const http_req *req;  /* what to fetch (borrowed) */
  http_settings defaults; /* settings when req->settings is NULL */
  CURLM *multi;         /* drives the one easy handle */
  CURL *easy;           /* the current transfer, NULL between attempts */
  struct curl_slist *hdrs; /* headers of the current transfer (owned) */
  uint8_t *buf;         /* body bytes not yet read (owned) */
  size_t pos, len, cap; /* read position, fill, allocation */
  int paused;           /* the write callback paused the transfer */
  int eof;              /* the body ended and was complete */
  long status;          /* HTTP status of the current transfer, 0 before headers */
  char errbody[ERRBODY_MAX]; /* start of an error answer */
  size_t errlen;        /* bytes in errbody */
  char curl_err[CURL_ERROR_SIZE]; /* libcurl's error text of the current transfer */
  int64_t delivered;    /* body bytes handed to the consumer (and buffered) so far */
  int64_t skip;         /* bytes to drop at the start of this transfer (200 to a Range) */
  int64_t from;         /* first byte this transfer asked for */
  int range_checked;    /* the 2xx status of this transfer was looked at */
  int attempt;          /* transfers started */
  int64_t last_byte_ms; /* monotonic time of the last byte received (or of the transfer's start) */
  int answered;         /* the current transfer received a header line */
  uint8_t *direct;      /* the consumer's buffer while a read waits with nothing buffered: body
                           bytes go straight there (one copy less), the rest to buf */
  size_t direct_cap;    /* its room */
  size_t direct_len;    /* bytes put there */
} http_reader;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long env_long(const char *name, long def, long lo, long hi) {
  const char *v = getenv(name);
  if (!v || !*v) return def;
  char *end;
  long x = strtol(v, &end, 10);
  return *end || x < lo || x > hi ? def : x;
}

void http_settings_load(http_settings *s) {
  memset(s, 0, sizeof *s);
  s->retries = (int)env_long("SIC_HTTP_RETRIES", 4, 0, 100);
  s->backoff_ms = env_long("SIC_HTTP_BACKOFF_MS", 250, 0, 600000);
  s->connect_timeout_ms = env_long("SIC_HTTP_CONNECT_TIMEOUT", 10, 1, 3600) * 1000;
  s->response_timeout_s = env_long("SIC_HTTP_RESPONSE_TIMEOUT", 600, 1, 86400);
  s->stall_timeout_s = env_long("SIC_HTTP_STALL_TIMEOUT", 60, 1, 86400);
  const char *ca = getenv("SIC_CA_BUNDLE");
  s->ca_bundle = ca && *ca ? strdup(ca) : NULL;
}

void http_settings_free(http_settings *s) {
  free(s->ca_bundle);
  memset(s, 0, sizeof *s);
}

static void free_secret(char *p) {
  if (!p) return;
  memset(p, 0, strlen(p));
  free(p);
}

void http_auth_free(http_auth *a) {
  if (!a) return;
  free_secret(a->bearer);
  free(a->user);
  if (a->password && a->password_len > 0) memset(a->password, 0, (size_t)a->password_len); /* binary key */
  free_secret(a->password);
  free(a->sigv4);
  free_secret(a->session_token);
  memset(a, 0, sizeof *a);
}

char *http_escape(const char *s, int keep_slash) {
  size_t n = strlen(s);
  char *out = malloc(3 * n + 1);
  if (!out) return NULL;
  size_t k = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/')) {
      out[k++] = (char)*p;
    } else {
      static const char hex[] = "0123456789ABCDEF";
      out[k++] = '%';
      out[k++] = hex[*p >> 4];
      out[k++] = hex[*p & 15];
    }
  }
  out[k] = 0;
  return out;
}

static const http_settings *settings_of(const http_reader *r) {
  return r->req->settings ? r->req->settings : &r->defaults;
}

/* ---- libcurl callbacks ---- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  http_reader *r = ud;
  size_t n = size * nmemb;
  r->last_byte_ms = now_ms();
  if (!r->status) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
  if (r->status < 200 || r->status >= 300) { /* keep the start of an error answer */
    size_t room = sizeof r->errbody - 1 - r->errlen;
    size_t take = n < room ? n : room;
    memcpy(r->errbody + r->errlen, p, take);
    r->errlen += take;
    return n;
  }
  if (!r->range_checked) { /* a server that ignores Range answers 200 with the whole body */
    r->range_checked = 1;
    if (r->status == 200 && r->from > 0) r->skip = r->from;
  }
  if (r->len - r->pos >= HTTP_BUF_MAX) { /* consumer is behind: wait (curl re-delivers) */
    r->paused = 1;
    return CURL_WRITEFUNC_PAUSE;
  }
  size_t keep = n;
  if (r->skip > 0) {
    size_t drop = (int64_t)n < r->skip ? n : (size_t)r->skip;
    r->skip -= (int64_t)drop;
    p += drop;
    keep -= drop;
  }
  if (r->direct && r->pos == r->len && r->direct_len < r->direct_cap) { /* in order: nothing buffered */
    size_t take = keep < r->direct_cap - r->direct_len ? keep : r->direct_cap - r->direct_len;
    memcpy(r->direct + r->direct_len, p, take);
    r->direct_len += take;
    r->delivered += (int64_t)take;
    p += take;
    keep -= take;
    if (!keep) return n;
  }
  if (r->len + keep > r->cap && r->pos) { /* out of room at the end: move the unread bytes down */
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
  }
  if (r->len + keep > r->cap) {
    size_t cap = r->cap ? r->cap : 65536;
    while (cap < r->len + keep) cap *= 2;
    uint8_t *grown = realloc(r->buf, cap);
    if (!grown) return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    r->buf = grown;
    r->cap = cap;
  }
  memcpy(r->buf + r->len, p, keep);
  r->len += keep;
  r->delivered += (int64_t)keep;
  return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  http_reader *r = ud;
  r->answered = 1;
  r->last_byte_ms = now_ms();
  return size * nmemb;
}

/* ---- transfers ---- */

static void transfer_end(http_reader *r) {
  if (r->easy) {
    curl_multi_remove_handle(r->multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
  }
  curl_slist_free_all(r->hdrs);
  r->hdrs = NULL;
}

static int add_header(http_reader *r, const char *line) {
  struct curl_slist *l = curl_slist_append(r->hdrs, line);
  if (!l) return -1;
  r->hdrs = l;
  return 0;
}

static void set_auth(http_reader *r, CURL *e) {
  const http_auth *a = r->req->auth;
  if (!a || a->sign) return; /* a signer's Authorization is one of the headers */
  if (a->sigv4) {
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, a->sigv4);
    curl_easy_setopt(e, CURLOPT_USERNAME, a->user ? a->user : "");
    curl_easy_setopt(e, CURLOPT_PASSWORD, a->password ? a->password : "");
  } else if (a->bearer) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, a->bearer);
  } else if (a->negotiate) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_NEGOTIATE);
    curl_easy_setopt(e, CURLOPT_USERPWD, ":");
  } else if (a->user) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, a->user);
    curl_easy_setopt(e, CURLOPT_PASSWORD, a->password ? a->password : "");
  } else if (a->netrc) {
    curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
  }
}

/* The signer's lines for this attempt: over the Range line (range, "" when none) and the
 * request's headers. */
static int add_signature(http_reader *r, const char *range, sic_err *err) {
  const http_req *q = r->req;
  size_t n = 0;
  for (const char *const *h = q->headers; h && *h; h++) n++;
  const char **all = calloc(n + 2, sizeof *all);
  if (!all) return sic_err_set(err, SIC_ENOMEM, "GET %s: out of memory", q->display);
  size_t k = 0;
  if (*range) all[k++] = range;
  for (const char *const *h = q->headers; h && *h; h++) all[k++] = *h;
  char *date = NULL, *auth = NULL;
  int rc = q->auth->sign(q->auth, q->url, all, &date, &auth);
  free(all);
  if (!rc) rc = add_header(r, date) || add_header(r, auth) ? -1 : 0;
  free(date);
  free_secret(auth);
  return rc ? sic_err_set(err, SIC_ENOMEM, "GET %s: cannot sign the request (out of memory)", q->display) : 0;
}

/* Start (or resume) the transfer at offset + delivered. */
static int transfer_start(http_reader *r, sic_err *err) {
  const http_req *q = r->req;
  const http_settings *st = settings_of(r);
  CURL *e = r->easy = curl_easy_init();
  if (!e) return sic_err_set(err, SIC_ENOMEM, "GET %s: cannot create a libcurl handle", q->display);
  r->status = 0;
  r->errlen = 0;
  r->curl_err[0] = 0;
  r->skip = 0;
  r->range_checked = 0;
  r->answered = 0;
  r->attempt++;
  r->last_byte_ms = now_ms();
  int64_t from = r->from = q->offset + r->delivered;
  int64_t left = q->length >= 0 ? q->length - r->delivered : -1;
  char range[96] = "";
  if (from > 0 || left >= 0) { /* a header, not CURLOPT_RANGE, so SigV4 signs it like AWS does */
    if (left >= 0) snprintf(range, sizeof range, "Range: bytes=%lld-%lld", (long long)from, (long long)(from + left - 1));
    else snprintf(range, sizeof range, "Range: bytes=%lld-", (long long)from);
    if (add_header(r, range)) goto nomem;
  }
  for (const char *const *h = q->headers; h && *h; h++)
    if (add_header(r, *h)) goto nomem;
  if (q->auth && q->auth->sign) {
    int rc = add_signature(r, range, err);
    if (rc) {
      transfer_end(r);
      return rc;
    }
  }
  if (q->auth && q->auth->session_token) {
    size_t n = strlen(q->auth->session_token) + 32;
    char *line = malloc(n);
    if (!line) goto nomem;
    snprintf(line, n, "x-amz-security-token: %s", q->auth->session_token);
    int bad = add_header(r, line);
    free_secret(line);
    if (bad) goto nomem;
  }
  curl_easy_setopt(e, CURLOPT_URL, q->url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_err);
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024); /* fewer, larger body callbacks */
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, st->connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "sic-sources/1");
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (st->ca_bundle) curl_easy_setopt(e, CURLOPT_CAINFO, st->ca_bundle);
  set_auth(r, e);
  if (curl_multi_add_handle(r->multi, e) != CURLM_OK) goto nomem;
  return 0;
nomem:
  transfer_end(r);
  return sic_err_set(err, SIC_ENOMEM, "GET %s: out of memory", q->display);
}

static int retryable_status(long status) { return status == 429 || status == 408 || (status >= 500 && status <= 599); }

static int retryable_transport(CURLcode c) {
  switch (c) {
  case CURLE_COULDNT_CONNECT: case CURLE_PARTIAL_FILE: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR:
  case CURLE_OPERATION_TIMEDOUT: case CURLE_GOT_NOTHING: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
  case CURLE_COULDNT_RESOLVE_HOST: case CURLE_SSL_CONNECT_ERROR:
    return 1;
  default:
    return 0;
  }
}

/* What the user should check, by status. */
static const char *status_hint(long status) {
  if (status == 401) return "check the credentials (SIC_HTTP_TOKEN, SIC_HTTP_USER/SIC_HTTP_PASSWORD, ~/.netrc, "
                            "a Kerberos ticket, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)";
  if (status == 403) return "the credentials are missing, wrong or lack permission for this resource (or the clock is skewed)";
  if (status == 404) return "check the URL: host, prefix, bucket, key or application id";
  if (status == 416) return "the object is shorter than the requested range (changed while being read?)";
  if (status == 429 || status >= 500) return "the server is overloaded or failing; retry later";
  return "check the URL and the server";
}

static const char *transport_hint(CURLcode c) {
  switch (c) {
  case CURLE_COULDNT_RESOLVE_HOST: return "check the host name and DNS";
  case CURLE_COULDNT_CONNECT: return "check the host, the port and that the server runs";
  case CURLE_OPERATION_TIMEDOUT:
    return "the server stopped sending or never answered (SIC_HTTP_STALL_TIMEOUT, SIC_HTTP_RESPONSE_TIMEOUT, "
           "SIC_HTTP_CONNECT_TIMEOUT)";
  case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
    return "TLS certificate not trusted: set SIC_CA_BUNDLE to the CA's PEM file";
  case CURLE_PARTIAL_FILE: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING:
    return "the connection was closed mid-answer (proxy or server timeouts?)";
  default: return "check the URL, the network and the server";
  }
}

/* The useful part of an error answer: S3/Azure XML <Code>/<Message>, else the first line. */
static void error_snippet(const http_reader *r, char *out, size_t cap) {
  out[0] = 0;
  if (!r->errlen) return;
  char body[ERRBODY_MAX];
  memcpy(body, r->errbody, r->errlen);
  body[r->errlen] = 0;
  const char *code = strstr(body, "<Code>"), *msg = strstr(body, "<Message>");
  if (code) {
    code += 6;
    int cl = (int)strcspn(code, "<");
    int ml = msg ? (int)strcspn(msg + 9, "<") : 0;
    snprintf(out, cap, ": %.*s%s%.*s", cl > 80 ? 80 : cl, code, msg ? ": " : "", ml > 160 ? 160 : ml, msg ? msg + 9 : "");
  } else {
    int n = (int)strcspn(body, "\r\n");
    snprintf(out, cap, ": %.*s", n > 200 ? 200 : n, body);
  }
  for (char *p = out; *p; p++)
    if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) *p = '?';
}

static void backoff(const http_reader *r) {
  long base = settings_of(r)->backoff_ms;
  long cap = 8000;
  long d = base;
  for (int i = 1; i < r->attempt && d < cap; i++) d *= 2;
  if (d > cap) d = cap;
  /* half fixed, half random: spreads many clients retrying after the same failure */
  long ms = d / 2 + (d > 1 ? (long)(((unsigned)rand()) % (unsigned long)(d / 2 + 1)) : 0);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The transfer finished with result c: 0 when the body is complete, 1 to go again (retry or
 * resume scheduled), SIC_E* when done failing. */
static int transfer_finished(http_reader *r, CURLcode c, sic_err *err) {
  const http_req *q = r->req;
  if (!r->status) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
  long status = r->status;
  int more = r->attempt <= settings_of(r)->retries;
  int ok_status = status >= 200 && status < 300;
  if (c == CURLE_OK && ok_status) {
    if (q->offset + r->delivered > 0 && status == 200 && r->skip > 0)
      return sic_err_set(err, SIC_ETRUNCATED, "GET %s: the body ended before the requested range", q->display);
    transfer_end(r);
    r->eof = 1;
    return 0;
  }
  if (c == CURLE_OK) { /* an HTTP error status */
    char snip[300];
    error_snippet(r, snip, sizeof snip);
    transfer_end(r);
    if (retryable_status(status) && more) {
      backoff(r);
      return 1;
    }
    return sic_err_set(err, status == 404 ? SIC_ENOTFOUND : SIC_EIO, "GET %s: HTTP %ld%s%s (after %d attempt%s); %s",
                       q->display, status, snip, "", r->attempt, r->attempt == 1 ? "" : "s", status_hint(status));
  }
  char cerr[CURL_ERROR_SIZE];
  snprintf(cerr, sizeof cerr, "%s", r->curl_err[0] ? r->curl_err : curl_easy_strerror(c));
  transfer_end(r);
  int started = r->delivered > 0;
  if (retryable_transport(c) && more && (!started || q->resumable)) {
    backoff(r);
    return 1;
  }
  if (started)
    return sic_err_set(err, SIC_ETRUNCATED, "GET %s: body cut short after %lld bytes: %s (after %d attempt%s); %s",
                       q->display, (long long)r->delivered, cerr, r->attempt, r->attempt == 1 ? "" : "s",
                       transport_hint(c));
  return sic_err_set(err, SIC_EIO, "GET %s: %s (after %d attempt%s); %s", q->display, cerr, r->attempt,
                     r->attempt == 1 ? "" : "s", transport_hint(c));
}

/* Drive libcurl until body bytes are buffered, the body ends, or it fails. */
static int pump(http_reader *r, sic_err *err) {
  while (r->pos == r->len && !r->eof && !r->direct_len) {
    if (!r->easy) {
      int rc = transfer_start(r, err);
      if (rc) return rc;
    }
    if (r->paused) { /* the consumer was the slow one: the stall clock restarts */
      r->paused = 0;
      r->last_byte_ms = now_ms();
      curl_easy_pause(r->easy, CURLPAUSE_CONT);
    }
    int running = 0;
    if (curl_multi_perform(r->multi, &running) != CURLM_OK)
      return sic_err_set(err, SIC_EIO, "GET %s: libcurl multi interface failed", r->req->display);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(r->multi, &left))) {
      if (m->msg != CURLMSG_DONE || m->easy_handle != r->easy) continue;
      int rc = transfer_finished(r, m->data.result, err);
      if (rc < 0) return rc;
      break; /* rc 0: eof; rc 1: next loop turn starts the retry */
    }
    if (r->pos == r->len && !r->eof && !r->direct_len && r->easy && running) {
      curl_multi_poll(r->multi, NULL, 0, 200, NULL);
      /* An answer that stops arriving: libcurl's low-speed check averages over seconds of
       * history, so the stall timeout is enforced here, from the last byte received; before the
       * answer starts, the (longer) response timeout applies. */
      long limit_s = r->answered ? settings_of(r)->stall_timeout_s : settings_of(r)->response_timeout_s;
      if (now_ms() - r->last_byte_ms > limit_s * 1000) {
        snprintf(r->curl_err, sizeof r->curl_err, r->answered ? "no data for %ld s" : "no answer for %ld s", limit_s);
        int rc = transfer_finished(r, CURLE_OPERATION_TIMEDOUT, err);
        if (rc < 0) return rc;
      }
    }
  }
  return 0;
}

static int reader_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  http_reader *r = (http_reader *)base;
  *got = 0;
  if (r->pos == r->len && cap >= 65536) { /* a big read with nothing buffered: receive into it */
    r->direct = buf;
    r->direct_cap = cap;
    r->direct_len = 0;
  }
  int rc = pump(r, err);
  size_t direct = r->direct_len;
  r->direct = NULL;
  r->direct_cap = r->direct_len = 0;
  if (rc) return rc;
  if (direct) {
    *got = direct;
    return 0;
  }
  size_t n = r->len - r->pos;
  if (n > cap) n = cap;
  memcpy(buf, r->buf + r->pos, n);
  r->pos += n;
  if (r->pos == r->len) r->pos = r->len = 0; /* drained: the next bytes go to the start */
  *got = n;
  return 0;
}

static void reader_close(sic_reader *base) {
  http_reader *r = (http_reader *)base;
  if (!r) return;
  transfer_end(r);
  if (r->multi) curl_multi_cleanup(r->multi);
  http_settings_free(&r->defaults);
  free(r->buf);
  free(r);
}

long http_reader_status(const sic_reader *r) { return ((const http_reader *)r)->status; }

static void global_init(void) {
  static int done;
  if (!__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL)) curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_open(const http_req *req, sic_reader **out, sic_err *err) {
  *out = NULL;
  global_init();
  http_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->multi = curl_multi_init())) {
    free(r);
    return sic_err_set(err, SIC_ENOMEM, "GET %s: out of memory", req->display);
  }
  r->base.read = reader_read;
  r->base.close = reader_close;
  r->req = req;
  if (!req->settings) http_settings_load(&r->defaults);
  /* Start now so a wrong URL, status or credential fails at open, not at the first read. */
  int rc = pump(r, err);
  if (rc) {
    reader_close(&r->base);
    return rc;
  }
  *out = &r->base;
  return 0;
}

int http_get_all(const http_req *req, size_t max, char **body, size_t *len, sic_err *err) {
  *body = NULL;
  *len = 0;
  sic_reader *r;
  int rc = http_open(req, &r, err);
  if (rc) return rc;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (!buf) {
      rc = sic_err_set(err, SIC_ENOMEM, "GET %s: out of memory", req->display);
      break;
    }
    if (n == cap) {
      if (cap >= max) {
        rc = sic_err_set(err, SIC_EFORMAT, "GET %s: answer larger than %zu bytes", req->display, max);
        break;
      }
      cap *= 2;
      char *grown = realloc(buf, cap + 1);
      if (!grown) {
        free(buf);
        buf = NULL;
        continue;
      }
      buf = grown;
    }
    size_t got = 0;
    rc = r->read(r, (uint8_t *)buf + n, cap - n, &got, err);
    if (rc || !got) break;
    n += got;
  }
  r->close(r);
  if (rc) {
    free(buf);
    return rc;
  }
  buf[n] = 0;
  *body = buf;
  *len = n;
  return 0;
}
