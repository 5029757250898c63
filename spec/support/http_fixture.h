/* Test support: a small programmable HTTP server on loopback (libmicrohttpd) for the sources/
 * tests. Each route answers one path with a status and a body, and can misbehave the ways
 * real servers do: answer 503 first, stream without Content-Length (chunked), close the
 * connection mid-body, ignore or honour Range, stall. It records the last request's headers.
 *
 * Ownership: routes (and their bodies) are borrowed and must outlive the server; fx_stop
 * frees the server. */
#ifndef SIC_SPEC_HTTP_FIXTURE_H
#define SIC_SPEC_HTTP_FIXTURE_H

#include <stddef.h>

typedef struct fx_route {
  const char *path;       /* exact request path (after percent-decoding) */
  const char *query_has;  /* NULL, or only requests whose (decoded) query contains this */
  int status;             /* status when it does not misbehave */
  const char *body;       /* answer body (borrowed) */
  size_t body_len;        /* its bytes */
  int chunked;            /* 1: no Content-Length, chunked transfer encoding */
  size_t drop_after;      /* > 0: close the connection after this many body bytes... */
  int drops;              /* ...on this many requests (-1: every one) */
  int fail_first;         /* answer 503 to this many requests first */
  int honor_range;        /* 1: "Range: bytes=a-[b]" answered with 206 */
  int stall_ms;           /* > 0: send half the body, then nothing for this long, then fail */
  int delay_ms;           /* > 0: wait this long before answering at all */
  int hits;               /* requests seen (maintained by the server) */
} fx_route;

typedef struct fx_server fx_server;

/* Start on 127.0.0.1 with a free port; NULL on failure. */
fx_server *fx_start(fx_route *routes, size_t n);
int fx_port(const fx_server *s);
/* Value of header `name` in the last request (case-insensitive), "" when absent. */
const char *fx_last_header(fx_server *s, const char *name);
/* Query string of the last request as received, "" when none. */
const char *fx_last_query(fx_server *s);
void fx_stop(fx_server *s);

#endif
