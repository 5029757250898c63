/* The analysis pool of the HTTP service (issue 19).
 *
 * Requests that may parse logs, run the Lua rules or query the store (routes marked
 * `offload`) are answered by a bounded pool of threads of their own, not by libmicrohttpd's
 * threads: their connection is suspended while a pool thread runs the handler and resumed
 * with the reply. So health checks, metrics and cached reads are answered at once however
 * many analyses run, and at most --analysis-threads analyses run at a time; beyond
 * --analysis-queue waiting ones the server answers 503 with Retry-After.
 *
 * Ownership: jobs are the requests themselves (http_req), owned by the server; the pool
 * only links them into its queue. */
#include <microhttpd.h>
#include <stdlib.h>
#include <unistd.h>

#include "http/http_internal.h"

struct http_pool {
  pthread_mutex_t mu;          /* guards the queue and stop */
  pthread_cond_t cv;           /* signalled when a job is queued or stop is set */
  http_req *head, *tail;       /* queued requests (linked by job_next) */
  int queued;                  /* requests in the queue */
  int max_queued;              /* more than this: 503 */
  int stop;                    /* threads should exit once the queue is empty */
  pthread_t *threads;          /* the pool */
  int nthreads;                /* threads started */
};

static void run_job(sic_http *srv, http_req *rq, int stopping) {
  int64_t t0 = http_now_ns();
  if (stopping) http_reply_error(&rq->job_reply, 503, "shutting down: not started");
  else rq->route->handler(srv, rq, &rq->job_reply);
  atomic_fetch_add(&srv->metrics.pool_ns, (uint64_t)(http_now_ns() - t0));
  rq->job_done = 1;
  MHD_resume_connection(rq->connection); /* libmicrohttpd calls the handler again: it sends job_reply */
}

static void *pool_main(void *arg) {
  sic_http *srv = arg;
  http_pool *p = srv->pool;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->head && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
    if (!p->head) break; /* stopping and nothing left */
    http_req *rq = p->head;
    p->head = rq->job_next;
    if (!p->head) p->tail = NULL;
    p->queued--;
    atomic_fetch_sub(&srv->metrics.pool_queued, 1);
    atomic_fetch_add(&srv->metrics.pool_running, 1);
    int stopping = p->stop;
    pthread_mutex_unlock(&p->mu);
    run_job(srv, rq, stopping);
    atomic_fetch_sub(&srv->metrics.pool_running, 1);
    pthread_mutex_lock(&p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int http_pool_start(sic_http *srv, sic_err *err) {
  if (srv->opts.analysis_threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    srv->opts.analysis_threads = n > 0 ? (int)n : 2;
  }
  if (srv->opts.analysis_queue <= 0) srv->opts.analysis_queue = 64;
  http_pool *p = calloc(1, sizeof *p);
  if (!p) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  p->max_queued = srv->opts.analysis_queue;
  srv->pool = p;
  if (!(p->threads = calloc((size_t)srv->opts.analysis_threads, sizeof *p->threads)))
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  for (; p->nthreads < srv->opts.analysis_threads; p->nthreads++)
    if (pthread_create(&p->threads[p->nthreads], NULL, pool_main, srv))
      return sic_err_set(err, SIC_EIO, "cannot start analysis thread %d", p->nthreads + 1);
  return 0;
}

int http_pool_submit(sic_http *srv, http_req *rq) {
  http_pool *p = srv->pool;
  pthread_mutex_lock(&p->mu);
  if (p->queued >= p->max_queued || p->stop) {
    pthread_mutex_unlock(&p->mu);
    return -1;
  }
  rq->job_next = NULL;
  if (p->tail) p->tail->job_next = rq;
  else p->head = rq;
  p->tail = rq;
  p->queued++;
  atomic_fetch_add(&srv->metrics.pool_queued, 1);
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

/* Let the threads finish their analyses, answer what is still queued with 503, join them. Call before MHD_stop_daemon, so
 * every suspended connection has been resumed. */
void http_pool_stop(sic_http *srv) {
  http_pool *p = srv->pool;
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  free(p->threads);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p);
  srv->pool = NULL;
}
