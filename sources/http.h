/* Internal to sources/: HTTP(S) through libcurl, shared by every remote scheme.
 *
 * One request shape (GET, optional Range, extra headers, authentication) read through a
 * pull-based sic_reader, so a body of any size flows into the readers with a bounded buffer.
 * Faults: 429, 5xx, connection resets and stalls are retried with exponential backoff and
 * jitter, a bounded number of times; a body cut short is resumed with Range where the server
 * honours it (resumable = 1) and is otherwise SIC_ETRUNCATED. Messages name req->display,
 * never the URL as sent, a header or a credential; curl's verbose output is never enabled.
 *
 * Settings from the environment (read by http_settings_load):
 *   SIC_HTTP_RETRIES (4), SIC_HTTP_BACKOFF_MS (250, doubled per retry, full jitter, capped 8 s),
 *   SIC_HTTP_CONNECT_TIMEOUT (10 s), SIC_HTTP_RESPONSE_TIMEOUT (600 s from the request to the
 *   answer's first header: a server may build a big answer first), SIC_HTTP_STALL_TIMEOUT (60 s
 *   without a byte once the answer started),
 *   SIC_CA_BUNDLE (a PEM file of trusted CAs; TLS is always verified).
 *
 * Ownership: http_auth strings are owned by the struct (http_auth_free wipes secrets);
 * an http_req borrows everything; readers are owned by the caller. */
#ifndef SIC_SOURCES_HTTP_H
#define SIC_SOURCES_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "eventlog/eventlog.h"

/* How to authenticate; at most one of bearer, basic (user), negotiate, sigv4, sign. */
typedef struct http_auth http_auth;
/* A scheme that signs each attempt itself (Azure Shared Key): given the URL and every header
 * line of the attempt (Range included), make the lines to add (malloc'd; 0 or -1). */
typedef int (*http_signer)(const http_auth *a, const char *url, const char *const *headers, char **date_line,
                           char **auth_line);
struct http_auth {
  char *bearer;         /* "Authorization: Bearer <bearer>" (owned, secret) */
  char *user;           /* Basic (or SigV4 access key) user (owned) */
  char *password;       /* Basic password (or SigV4 secret key) (owned, secret) */
  int negotiate;        /* 1: SPNEGO through libcurl's GSS-API (a Kerberos ticket) */
  int netrc;            /* 1: let ~/.netrc supply Basic credentials for the host */
  char *sigv4;          /* CURLOPT_AWS_SIGV4 provider string, e.g. "aws:amz:us-east-1:s3" */
  char *session_token;  /* x-amz-security-token (owned, secret) */
  http_signer sign;     /* NULL, or signs each attempt with user (account) and password (key) */
  int password_len;     /* bytes of password when it is binary (a decoded key), else 0 */
};

typedef struct http_settings {
  int retries;          /* retries after the first attempt */
  long backoff_ms;      /* first backoff; doubles per retry */
  long connect_timeout_ms; /* TCP + TLS connect */
  long response_timeout_s; /* abort a request whose answer has not started after this long */
  long stall_timeout_s; /* abort an answer that receives nothing for this long */
  char *ca_bundle;      /* CURLOPT_CAINFO, NULL for the system store (owned) */
} http_settings;

typedef struct http_req {
  const char *url;      /* URL as sent (no userinfo: credentials go through auth) */
  const char *display;  /* URL for messages (sic_uri_display of what the user wrote) */
  const http_auth *auth;/* NULL: anonymous */
  const http_settings *settings; /* NULL: defaults */
  const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
  int64_t offset;       /* first byte wanted */
  int64_t length;       /* bytes wanted, -1 to the end */
  int resumable;        /* 1: the server honours Range, resume an interrupted body */
} http_req;

void http_settings_load(http_settings *s);
void http_settings_free(http_settings *s);
void http_auth_free(http_auth *a);

/* Start a GET; the reader fails with the status and a hint when the answer is not 2xx.
 * req and everything it points to must outlive the reader. */
int http_open(const http_req *req, sic_reader **out, sic_err *err);
/* Whole body into memory, at most max bytes (bigger is SIC_EFORMAT); *body NUL-terminated,
 * freed by the caller. */
int http_get_all(const http_req *req, size_t max, char **body, size_t *len, sic_err *err);
/* Status code of the last answer a reader got (0 before any). */
long http_reader_status(const sic_reader *r);

/* Percent-encode per RFC 3986 (unreserved kept); keep_slash keeps '/'. New string or NULL. */
char *http_escape(const char *s, int keep_slash);

#endif
