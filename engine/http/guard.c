/* Connection guard of the HTTP service (issue 19: slow and hostile clients).
 *
 * libmicrohttpd's own timeout only closes connections that are idle, so a client sending a
 * header byte per second keeps a connection forever, and enough of them lock everyone out.
 * The guard keeps a record of every open connection and a sweeper thread that closes:
 *   - a connection whose request head (line and headers) has not fully arrived within
 *     --timeout of the connection opening or of its previous response;
 *   - a connection whose body, after --timeout, averages less than --min-body-rate.
 * It admits at most --max-connections connections, at most --max-conns-per-ip from one
 * client address, and keeps a small reserve beyond the limit for health checks: a reserve
 * connection is given only to an address holding (almost) no other connection, must send its head
 * within a second, may only ask for /healthz or /readyz, and is closed after the answer.
 * (An address holding up to two connections still counts as idle: a prober's previous
 * connection may not have finished closing.)
 *
 * The guard also owns the listening socket: its own thread accepts (a thread doing nothing
 * else drains the backlog at once, where libmicrohttpd's poll loop takes one connection per
 * pass over thousands of slow ones, leaving a health probe queued for seconds), refuses
 * what the limits refuse by closing it at once, and hands the rest to libmicrohttpd: general
 * connections to the thread pool, reserve connections to a one-thread daemon of their own.
 *
 * Closing is done with shutdown(2) on the socket: the connection's own thread then sees
 * the end of the stream and closes it as usual (libmicrohttpd owns the descriptor; it is
 * closed only after the CLOSED notification, which takes the same lock as the sweeper, so
 * the sweeper never touches a descriptor that was closed or reused).
 *
 * Ownership: the guard is part of sic_http; records are created and freed by the
 * connection notifications. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http_internal.h"

enum { GUARD_BUCKETS = 4096, GUARD_SWEEP_MS = 100, RESERVE_HEAD_MS = 1000, RESERVE_MAX_HELD = 2 };

/* Open connections from one client address. */
typedef struct guard_addr {
  struct guard_addr *next;     /* next in the hash bucket */
  unsigned char key[16];       /* the address, IPv4 as v4-mapped IPv6 */
  int count;                   /* open connections from it */
} guard_addr;

struct http_guard {
  pthread_mutex_t mu;          /* guards the lists, the counts and the descriptors' validity */
  http_conn *head;             /* open connections (doubly linked) */
  int general;                 /* open connections counted against max_conns */
  int reserve;                 /* open connections in the health reserve */
  guard_addr *addrs[GUARD_BUCKETS]; /* per-address counts */
  pthread_t sweeper;           /* closes slow connections */
  int sweeper_started;         /* sweeper was created */
  int stop;                    /* the sweeper should exit (under mu) */
  pthread_cond_t cv;           /* wakes the sweeper early to stop */
  pthread_t acceptor;          /* accepts on the listening socket */
  int acceptor_started;        /* acceptor was created */
  _Atomic int stop_accepting;  /* the acceptor should exit */
  unsigned char *fd_slot;      /* by descriptor: the slot the acceptor counted it in (1 general,
                                  2 reserve), 0 once uncounted; the count is taken at accept time,
                                  since libmicrohttpd starts connections later, on its threads */
  long nfd;                    /* entries in fd_slot (the descriptor limit) */
};

static void addr_key(const struct sockaddr *sa, unsigned char key[16]) {
  memset(key, 0, 16);
  if (sa && sa->sa_family == AF_INET6) {
    memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
  } else if (sa && sa->sa_family == AF_INET) {
    key[10] = key[11] = 0xff;
    memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
  }
}

static guard_addr **addr_slot(http_guard *g, const unsigned char key[16]) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < 16; i++) h = (h ^ key[i]) * 1099511628211ull;
  guard_addr **p = &g->addrs[h % GUARD_BUCKETS];
  while (*p && memcmp((*p)->key, key, 16)) p = &(*p)->next;
  return p;
}

static int addr_count(http_guard *g, const unsigned char key[16]) {
  guard_addr **p = addr_slot(g, key);
  return *p ? (*p)->count : 0;
}

static int addr_add(http_guard *g, const unsigned char key[16], int delta) {
  guard_addr **p = addr_slot(g, key);
  if (!*p) {
    if (delta <= 0 || !(*p = calloc(1, sizeof **p))) return -1;
    memcpy((*p)->key, key, 16);
  }
  (*p)->count += delta;
  if ((*p)->count <= 0) {
    guard_addr *gone = *p;
    *p = gone->next;
    free(gone);
  }
  return 0;
}

/* ---- admission ---- */

/* Which kind of slot a new connection from key would get: 1 general, 2 reserve, 0 none. */
static int admission(sic_http *srv, const unsigned char key[16]) {
  http_guard *g = srv->guard;
  int from_addr = addr_count(g, key);
  if (from_addr >= srv->opts.max_conns_per_ip) return 0;
  if (g->general < srv->opts.max_connections) return 1;
  /* the reserve is for a prober, not for a client already holding connections (a prober's
   * previous connection may still be closing: a couple are allowed) */
  if (from_addr <= RESERVE_MAX_HELD && g->reserve < srv->opts.reserve_connections) return 2;
  return 0;
}

/* Count descriptor fd (from key) in slot; under mu. */
static void count_in(http_guard *g, int fd, const unsigned char key[16], int slot) {
  if (slot == 2) g->reserve++;
  else g->general++;
  addr_add(g, key, 1);
  g->fd_slot[fd] = (unsigned char)slot;
}

/* Undo count_in once, whoever gets there first (CLOSED, or the acceptor when libmicrohttpd
 * refused the connection before starting it); under mu. */
static void count_out(http_guard *g, int fd, const unsigned char key[16]) {
  if (fd < 0 || fd >= g->nfd || !g->fd_slot[fd]) return;
  if (g->fd_slot[fd] == 2) g->reserve--;
  else g->general--;
  addr_add(g, key, -1);
  g->fd_slot[fd] = 0;
}

/* The accept thread admits and counts in one step, so bursts cannot overshoot the limits. */
static int admit(sic_http *srv, int fd, const unsigned char key[16]) {
  http_guard *g = srv->guard;
  pthread_mutex_lock(&g->mu);
  int slot = fd < g->nfd ? admission(srv, key) : 0;
  if (slot) count_in(g, fd, key, slot);
  pthread_mutex_unlock(&g->mu);
  if (!slot) atomic_fetch_add(&srv->metrics.conns_refused, 1);
  return slot;
}

void http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code) {
  sic_http *srv = cls;
  http_guard *g = srv->guard;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    http_conn *hc = calloc(1, sizeof *hc);
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ad = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const union MHD_ConnectionInfo *dm = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
    *socket_context = hc;
    if (!hc) return; /* out of memory: unguarded, but still limited by libmicrohttpd's own limits */
    hc->fd = fd ? fd->connect_fd : -1;
    addr_key(ad ? ad->client_addr : NULL, hc->key);
    hc->slot = dm && dm->daemon == srv->health_daemon ? 2 : 1; /* the accept thread chose the daemon */
    atomic_store(&hc->state, HTTP_CONN_WAIT_HEAD);
    atomic_store(&hc->since_ns, http_now_ns());
    pthread_mutex_lock(&g->mu); /* counted already, at accept */
    hc->next = g->head;
    if (g->head) g->head->prev = hc;
    g->head = hc;
    pthread_mutex_unlock(&g->mu);
    atomic_fetch_add(&srv->metrics.conns_open, 1);
    return;
  }
  http_conn *hc = *socket_context;
  if (!hc) { /* no record (out of memory at start): still give its slot back */
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ad = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    unsigned char key[16];
    addr_key(ad ? ad->client_addr : NULL, key);
    pthread_mutex_lock(&g->mu);
    if (fd) count_out(g, fd->connect_fd, key);
    pthread_mutex_unlock(&g->mu);
    return;
  }
  pthread_mutex_lock(&g->mu);
  if (hc->prev) hc->prev->next = hc->next;
  else g->head = hc->next;
  if (hc->next) hc->next->prev = hc->prev;
  count_out(g, hc->fd, hc->key);
  pthread_mutex_unlock(&g->mu);
  atomic_fetch_sub(&srv->metrics.conns_open, 1);
  free(hc);
  *socket_context = NULL;
}

http_conn *http_guard_conn(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

void http_guard_set(http_conn *hc, int state) {
  if (!hc) return;
  atomic_store(&hc->since_ns, http_now_ns());
  atomic_store(&hc->body_bytes, 0);
  atomic_store(&hc->state, state);
}

void http_guard_body(http_conn *hc, size_t n) {
  if (hc) atomic_fetch_add(&hc->body_bytes, (int64_t)n);
}

/* ---- the sweeper ---- */

/* Whether hc is too slow at now. */
static int too_slow(const sic_http *srv, const http_conn *hc, int64_t now) {
  int64_t age = now - atomic_load(&hc->since_ns);
  int64_t limit = (int64_t)srv->opts.timeout_s * 1000000000;
  switch (atomic_load(&hc->state)) {
  case HTTP_CONN_WAIT_HEAD:
    return age > (hc->slot == 2 && limit > (int64_t)RESERVE_HEAD_MS * 1000000 ? (int64_t)RESERVE_HEAD_MS * 1000000 : limit);
  case HTTP_CONN_BODY:
    return age > limit && (double)atomic_load(&hc->body_bytes) < srv->opts.min_body_rate * ((double)age / 1e9);
  default:
    return 0; /* being answered (or waiting for an analysis): not the client's fault */
  }
}

static void sweep_once(sic_http *srv) {
  http_guard *g = srv->guard;
  int64_t now = http_now_ns();
  for (http_conn *hc = g->head; hc; hc = hc->next) {
    if (hc->swept || hc->fd < 0 || !too_slow(srv, hc, now)) continue;
    shutdown(hc->fd, SHUT_RDWR); /* its thread sees the end of stream and closes it */
    hc->swept = 1;
    atomic_fetch_add(&srv->metrics.conns_closed_slow, 1);
  }
}

static void *sweeper_main(void *arg) {
  sic_http *srv = arg;
  http_guard *g = srv->guard;
  pthread_mutex_lock(&g->mu);
  while (!g->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = until.tv_nsec + (int64_t)GUARD_SWEEP_MS * 1000000;
    until.tv_sec += ns / 1000000000;
    until.tv_nsec = ns % 1000000000;
    pthread_cond_timedwait(&g->cv, &g->mu, &until);
    if (!g->stop) sweep_once(srv);
  }
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

/* Every connection holds a descriptor: raise the soft limit to the hard one and keep the
 * connection limits within it (what is left serves log files, spool files and the store). */
static long fit_descriptors(sic_http *srv) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl)) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  long usable = rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur - 256;
  if (usable < 64) usable = 64;
  if (srv->opts.reserve_connections > usable / 4) srv->opts.reserve_connections = (int)(usable / 4);
  if (srv->opts.max_connections + srv->opts.reserve_connections > usable)
    srv->opts.max_connections = (int)(usable - srv->opts.reserve_connections);
  return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20) ? 1L << 20 : (long)rl.rlim_cur; /* descriptors possible */
}

int http_guard_start(sic_http *srv, sic_err *err) {
  if (!srv->opts.max_connections) srv->opts.max_connections = 4096;
  if (!srv->opts.max_conns_per_ip) srv->opts.max_conns_per_ip = 256;
  if (!srv->opts.reserve_connections) srv->opts.reserve_connections = 32;
  if (srv->opts.reserve_connections < 0) srv->opts.reserve_connections = 0;
  if (!srv->opts.min_body_rate) srv->opts.min_body_rate = 1024;
  long nfd = fit_descriptors(srv);
  http_guard *g = calloc(1, sizeof *g);
  if (!g || !(g->fd_slot = calloc((size_t)nfd, 1))) {
    free(g);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  g->nfd = nfd;
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  srv->guard = g;
  if (pthread_create(&g->sweeper, NULL, sweeper_main, srv))
    return sic_err_set(err, SIC_EIO, "cannot start the connection sweeper thread");
  g->sweeper_started = 1;
  return 0;
}

/* ---- the listening socket (created here so port 0 works and a busy port fails early) ---- */

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sl, int *loopback, sic_err *err) {
  char host[256];
  const char *colon = strrchr(listen, ':');
  if (!colon || colon == listen || strlen(listen) >= sizeof host)
    return sic_err_set(err, SIC_EINVAL, "--listen '%s': expected HOST:PORT, e.g. 127.0.0.1:18080", listen);
  size_t hl = (size_t)(colon - listen);
  memcpy(host, listen, hl);
  host[hl] = 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || colon[1] == 0 || port < 0 || port > 65535)
    return sic_err_set(err, SIC_EINVAL, "--listen '%s': port must be 0..65535", listen);
  memset(ss, 0, sizeof *ss);
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    host[hl - 1] = 0;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
      return sic_err_set(err, SIC_EINVAL, "--listen '%s': bad IPv6 address", listen);
    *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
    *sl = sizeof *a6;
    return 0;
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  a4->sin_family = AF_INET;
  a4->sin_port = htons((uint16_t)port);
  if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
    return sic_err_set(err, SIC_EINVAL, "--listen '%s': bad IPv4 address (use a numeric address)", listen);
  *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
  *sl = sizeof *a4;
  return 0;
}

int http_listen_open(sic_http *srv, sic_err *err) {
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  int loopback = 0;
  if (parse_listen(srv->listen, &ss, &sl, &loopback, err) < 0) return -1;
  if (!loopback && !srv->token)
    return sic_err_set(err, SIC_EINVAL,
                       "refusing to listen on non-loopback address %s without a token: set SIC_API_TOKEN", srv->listen);
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return sic_err_set(err, SIC_EIO, "socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 1024) < 0) {
    int e = errno;
    close(fd);
    return sic_err_set(err, SIC_EIO, "cannot listen on %s: %s", srv->listen, strerror(e));
  }
  struct sockaddr_storage got;
  socklen_t gl = sizeof got;
  getsockname(fd, (struct sockaddr *)&got, &gl);
  srv->port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                              : ((struct sockaddr_in *)&got)->sin_port);
  srv->listen_fd = fd;
  return 0;
}

/* ---- the acceptor ---- */

static void accept_ready(sic_http *srv) {
  for (int n = 0; n < 4096; n++) { /* bounded, so a stop request is seen between bursts */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(srv->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return; /* EAGAIN, or out of descriptors: the next poll retries */
    }
    unsigned char key[16];
    addr_key((struct sockaddr *)&ss, key);
    int slot = admit(srv, fd, key);
    if (!slot) {
      close(fd); /* refused now, not left waiting in the backlog */
      continue;
    }
    /* reserve connections get a thread of their own: a probe's answer never waits behind a
     * pass over thousands of slow connections */
    if (MHD_add_connection(slot == 2 ? srv->health_daemon : srv->daemon, fd, (struct sockaddr *)&ss, sl) != MHD_YES) {
      pthread_mutex_lock(&srv->guard->mu); /* refused by libmicrohttpd (and closed): uncount it */
      count_out(srv->guard, fd, key);
      pthread_mutex_unlock(&srv->guard->mu);
    }
  }
}

static void *acceptor_main(void *arg) {
  sic_http *srv = arg;
  while (!atomic_load(&srv->guard->stop_accepting)) {
    struct pollfd p = {srv->listen_fd, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) accept_ready(srv);
  }
  return NULL;
}

int http_guard_listen(sic_http *srv, sic_err *err) {
  if (pthread_create(&srv->guard->acceptor, NULL, acceptor_main, srv))
    return sic_err_set(err, SIC_EIO, "cannot start the accept thread");
  srv->guard->acceptor_started = 1;
  return 0;
}

void http_guard_stop_accepting(sic_http *srv) {
  http_guard *g = srv->guard;
  if (!g || !g->acceptor_started) return;
  atomic_store(&g->stop_accepting, 1);
  pthread_join(g->acceptor, NULL);
  g->acceptor_started = 0;
}

/* After MHD_stop_daemon: every connection record is gone by then. */
void http_guard_stop(sic_http *srv) {
  http_guard *g = srv->guard;
  if (!g) return;
  http_guard_stop_accepting(srv);
  if (g->sweeper_started) {
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->sweeper, NULL);
  }
  for (int i = 0; i < GUARD_BUCKETS; i++)
    while (g->addrs[i]) {
      guard_addr *next = g->addrs[i]->next;
      free(g->addrs[i]);
      g->addrs[i] = next;
    }
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
  free(g->fd_slot);
  free(g);
  srv->guard = NULL;
}

int http_guard_reserve_slot(const http_conn *hc) { return hc && hc->slot == 2; }
