/* The History Server's /logs answer read as it arrives: a zip streamed without Content-Length
 * and without Range (zipstream.c parses it front to back), whose one event log (a file, or a
 * rolling eventlog_v2_* / legacy / Databricks directory) is decoded member by member and handed
 * out as that log's decompressed bytes, parts joined by '\n'. Nothing is written to disk;
 * memory is the zip window, one member's input window and a decoder, whatever the log's size.
 *
 * Order. A zip has no order of its own and the History Server writes a directory's files in
 * its listing order (by name: events_10_ before events_2_), while the log's parts must be read
 * in index order. A part is handed out when it is certainly the next one (a rolling log
 * starts at events_1 or at a compact part and goes on index by index; a legacy log starts at
 * EVENT_LOG_1; a single file is the log); any other part is skipped and noted. When the answer
 * ends with parts still to read, the whole order is known from the names seen (the same rules
 * as engine/eventlog/logset.c) and the zip is requested again, as many times as needed, each
 * time handing out the parts that come next. `sic serve` writes parts in reading order, so
 * one pass suffices there.
 *
 * Faults. An answer cut short (transport error or a zip that ends early) is requested again,
 * a bounded number of times (SIC_HTTP_RETRIES) with backoff, and read on from where it was
 * cut: the member in progress is found again by its position and name, the bytes already
 * read are skipped, and their CRC-32 must equal what was read before (else the log changed:
 * an error). Past the retries, the cut is SIC_ETRUNCATED naming the URL. A CRC mismatch or
 * bytes that are not a zip are errors at once. */
#include "sources/source_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eventlog/codec.h"
#include "sources/hs_layout.h"
#include "sources/zipstream.h"

#define HEAD_MIN 64             /* member bytes needed to recognise a codec by its magic */
#define PRIME_MAX (64u << 10)   /* decoded bytes looked at to recognise an event log */
#define IN_START (1u << 20)     /* member input window for compressed parts */
#define IN_MAX (64u << 20)      /* it grows up to this (lz4-java blocks reach 32 MiB) */

/* A part of the log met in the answer. */
typedef struct seen_part {
  char *name;           /* member name (owned) */
  long long key;        /* reading order within the log (see part_key) */
} seen_part;

typedef struct hs_log {
  sic_reader base;      /* read/close */
  char *url;            /* the /logs URL (owned) */
  char *display;        /* it for messages (owned) */
  http_req req;         /* the request (points at url, display and the source's auth) */
  sic_reader *http;     /* the current answer */
  zip_stream *zs;       /* its zip parser */
  int pass;             /* 1 for the first reading of the answer, then 2, 3 ... */
  int retries;          /* answers cut short so far */
  int64_t backoff_ms;   /* first backoff */
  int max_retries;      /* bound on retries */
  /* what is known of the log */
  part_kind kind;       /* kind of the log's parts (PK_NONE until a part is found) */
  char *group;          /* the log's directory ("dir/", "" for the root) or file name (owned) */
  sic_codec hint;       /* legacy COMPRESSION_CODEC_ marker */
  seen_part *seen;      /* parts met in the first pass (owned) */
  size_t nseen;         /* entries in seen */
  size_t *plan;         /* indices into seen, in reading order (after the first pass) */
  size_t nplan;         /* entries in plan */
  char **done;          /* names of the parts handed out, in order (owned) */
  size_t ndone;         /* entries in done */
  long long first_index;/* rolling/legacy index of the first part handed out */
  long long last_index; /* ... of the last one */
  size_t pass_progress; /* parts handed out in the current pass */
  uint64_t next_member; /* members of the current pass looked at (position of the next one) */
  /* the member being handed out */
  int active;           /* 1 while a part is being handed out */
  uint64_t ordinal;     /* its position in the archive */
  char *name;           /* its name (owned) */
  sic_codec codec;      /* its codec */
  sic_decoder *dec;     /* decoder for compressed parts (reused across parts of one codec) */
  uint8_t *in;          /* member bytes not yet decoded (owned) */
  size_t in_pos, in_len, in_cap; /* read position, fill, allocation */
  int in_eof;           /* the member has no more bytes */
  uint8_t *pend;        /* decoded bytes held back while recognising the part (owned) */
  size_t pend_pos, pend_len; /* read position, fill (capacity PRIME_MAX) */
  uint64_t taken;       /* member bytes taken from the zip */
  uint32_t taken_crc;   /* their CRC-32 */
  /* resuming a cut answer */
  int resuming;         /* 1: skip to (ordinal, taken) in the new answer */
  int started;          /* a part was handed out: the next one is preceded by a newline if needed */
  int last_nl;          /* the last byte handed out was '\n' */
  int eof;              /* everything was handed out */
  int net_error;        /* the last error came from the answer (cut, not a zip), not the log */
  int pending_rc;       /* a decoder error held back until the bytes before it are handed out */
  sic_err pending_err;  /* its message */
} hs_log;

/* ---- bookkeeping ---- */

static int nomem(sic_err *err) { return sic_err_set(err, SIC_ENOMEM, "out of memory"); }

static int note_seen(hs_log *h, const char *name, long long key, sic_err *err) {
  for (size_t i = 0; i < h->nseen; i++)
    if (!strcmp(h->seen[i].name, name)) return 0; /* met again after a resume */
  seen_part *grown = realloc(h->seen, (h->nseen + 1) * sizeof *grown);
  if (!grown) return nomem(err);
  h->seen = grown;
  if (!(h->seen[h->nseen].name = strdup(name))) return nomem(err);
  h->seen[h->nseen++].key = key;
  return 0;
}

static int note_done(hs_log *h, const char *name, sic_err *err) {
  char **grown = realloc(h->done, (h->ndone + 1) * sizeof *grown);
  if (!grown) return nomem(err);
  h->done = grown;
  if (!(h->done[h->ndone] = strdup(name))) return nomem(err);
  h->ndone++;
  return 0;
}

/* The log's identity: its kind and directory (or file). A second log is an error. */
static int claim_group(hs_log *h, part_kind kind, const char *member, size_t dir_len, sic_err *err) {
  size_t n = kind == PK_FILE ? strlen(member) : dir_len;
  if (h->kind == PK_NONE) {
    h->kind = kind;
    h->group = strndup(member, n);
    return h->group ? 1 : nomem(err);
  }
  if (h->kind == kind && strlen(h->group) == n && !strncmp(h->group, member, n)) return 1;
  return sic_err_set(err, SIC_EFORMAT, "%s: the zip holds more than one event log (%s and %.*s), expected one "
                     "(name an attempt)", h->display, h->group[0] ? h->group : "(root)", (int)n, member);
}

static int plan_cmp(const void *a, const void *b, void *ctx) {
  const seen_part *seen = ctx;
  const seen_part *x = &seen[*(const size_t *)a], *y = &seen[*(const size_t *)b];
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* The reading order of every part seen (logset.c's rules), once the whole listing is known;
 * then check that what was handed out is its beginning. */
static int make_plan(hs_log *h, sic_err *err) {
  free(h->plan);
  h->plan = malloc((h->nseen ? h->nseen : 1) * sizeof *h->plan);
  if (!h->plan) return nomem(err);
  for (size_t i = 0; i < h->nseen; i++) h->plan[i] = i;
  if (h->nseen > 1) qsort_r(h->plan, h->nseen, sizeof *h->plan, plan_cmp, h->seen);
  h->nplan = h->nseen;
  if (h->kind == PK_ROLLING) { /* a compact part replaces every part up to its index */
    long long last_compact = -1;
    for (size_t i = 0; i < h->nseen; i++)
      if (!(h->seen[i].key & 1) && h->seen[i].key / 2 > last_compact) last_compact = h->seen[i].key / 2;
    size_t k = 0;
    for (size_t i = 0; i < h->nplan; i++) {
      long long idx = h->seen[h->plan[i]].key / 2;
      int compact = !(h->seen[h->plan[i]].key & 1);
      if (last_compact >= 0 && (idx < last_compact || (idx == last_compact && !compact))) continue;
      h->plan[k++] = h->plan[i];
    }
    h->nplan = k;
  }
  for (size_t i = 0; i < h->ndone; i++)
    if (i >= h->nplan || strcmp(h->done[i], h->seen[h->plan[i]].name))
      return sic_err_set(err, SIC_EFORMAT, "%s: the parts of %s changed while it was read (%s was read, the log now "
                         "starts differently; compacted meanwhile?): read it again", h->display, h->group, h->done[i]);
  return 0;
}

/* Whether the part that just arrived is certainly the next one (first pass). */
static int next_in_first_pass(hs_log *h, part_kind kind, long long key, int compact, sic_err *err) {
  if (kind == PK_FILE) return h->ndone == 0;
  if (kind == PK_DATABRICKS) return 0; /* the current part comes last: only known at the end */
  long long idx = kind == PK_ROLLING ? key / 2 : key;
  if (kind == PK_ROLLING && compact && h->ndone && idx >= h->first_index)
    return sic_err_set(err, SIC_EFORMAT, "%s: %s was compacted while it was read: read it again", h->display,
                       h->group);
  if (!h->ndone) return kind == PK_ROLLING ? compact || idx == 1 : idx == 1;
  return !compact && idx == h->last_index + 1;
}

/* ---- the answer ---- */

static int pull(void *ctx, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  hs_log *h = ctx;
  return h->http->read(h->http, buf, cap, got, err);
}

static void answer_close(hs_log *h) {
  zs_free(h->zs);
  h->zs = NULL;
  if (h->http) h->http->close(h->http);
  h->http = NULL;
}

static int answer_open(hs_log *h, sic_err *err) {
  answer_close(h);
  int rc = http_open(&h->req, &h->http, err);
  if (rc) {
    h->net_error = rc == SIC_ETRUNCATED; /* cut before the first bytes were read */
    return rc;
  }
  h->zs = zs_new(pull, h, h->display);
  if (!h->zs) return nomem(err);
  return 0;
}

static void backoff(hs_log *h) {
  int64_t d = h->backoff_ms << (h->retries < 5 ? h->retries : 5);
  if (d > 8000) d = 8000;
  int64_t ms = d / 2 + (d > 1 ? (int64_t)((unsigned)rand() % (unsigned)(d / 2 + 1)) : 0);
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Member bytes of the part being handed out, tracked for a resume. */
static int member_pull(hs_log *h, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  int rc = zs_read(h->zs, buf, cap, got, err);
  if (rc) {
    h->net_error = 1;
    return rc;
  }
  h->taken += *got;
  h->taken_crc = zs_member_crc(h->zs);
  return 0;
}

/* ---- the part being handed out ---- */

static int in_fill(hs_log *h, sic_err *err) {
  if (h->in_pos) {
    memmove(h->in, h->in + h->in_pos, h->in_len - h->in_pos);
    h->in_len -= h->in_pos;
    h->in_pos = 0;
  }
  if (h->in_len == h->in_cap) {
    size_t cap = h->in_cap ? h->in_cap * 2 : IN_START;
    uint8_t *grown = cap <= IN_MAX ? realloc(h->in, cap) : NULL;
    if (!grown) return sic_err_set(err, SIC_ENOMEM, "%s: member %s: no room for a %zu-byte input window", h->display,
                                   h->name, cap);
    h->in = grown;
    h->in_cap = cap;
  }
  size_t got = 0;
  int rc = member_pull(h, h->in + h->in_len, h->in_cap - h->in_len, &got, err);
  if (rc) return rc;
  if (!got) h->in_eof = 1;
  h->in_len += got;
  return 0;
}

/* Decoded bytes of the part into buf (codec NONE: straight from the zip). 0 with *got == 0
 * at the part's end. */
static int part_produce(hs_log *h, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  *got = 0;
  if (h->codec == SIC_CODEC_NONE) return member_pull(h, buf, cap, got, err);
  if (h->pending_rc) {
    int rc = h->pending_rc;
    h->pending_rc = 0;
    if (err) *err = h->pending_err;
    return rc;
  }
  for (;;) {
    size_t used = 0;
    int r = sic_decoder_run(h->dec, h->in + h->in_pos, h->in_len - h->in_pos, h->in_eof, &used, buf, cap, got, err);
    h->in_pos += used;
    if (r < 0) {
      sic_err_wrap(err, "%s!/%s: ", h->display, h->name);
      if (!*got) return r;
      h->pending_rc = r; /* the bytes before the error first */
      if (err) h->pending_err = *err;
      return 0;
    }
    if (*got || r == SIC_DEC_END) return 0;
    if (!used) {
      if (h->in_eof)
        return sic_err_set(err, SIC_ETRUNCATED, "%s!/%s: %s stream ends early at byte %lld", h->display, h->name,
                           sic_codec_name(h->codec), (long long)sic_decoder_offset(h->dec));
      int rc = in_fill(h, err);
      if (rc) return rc;
    }
  }
}

/* Start handing out member m: codec from its name and first bytes, first decoded bytes held
 * in pend. For a lone file, 0 when it turns out not to be an event log. */
static int part_start(hs_log *h, const zs_member *m, part_kind kind, sic_err *err) {
  free(h->name);
  if (!(h->name = strdup(m->name))) return nomem(err);
  h->active = 1;
  h->ordinal = m->index;
  h->taken = 0;
  h->taken_crc = 0;
  h->in_pos = h->in_len = 0;
  h->in_eof = 0;
  h->pend_pos = h->pend_len = 0;
  while (!h->in_eof && h->in_len < HEAD_MIN) { /* at most PRIME_MAX: a plain head moves to pend */
    size_t got = 0;
    int rc = member_pull(h, h->in + h->in_len, PRIME_MAX - h->in_len, &got, err);
    if (rc) return rc;
    if (!got) h->in_eof = 1;
    h->in_len += got;
  }
  const char *base = strrchr(m->name, '/');
  sic_codec named = sic_codec_from_name(base ? base + 1 : m->name);
  h->codec = sic_codec_resolve(named != SIC_CODEC_NONE ? named : h->hint, h->in, h->in_len);
  if (h->codec == SIC_CODEC_NONE) { /* the head is decoded already */
    memcpy(h->pend, h->in, h->in_len);
    h->pend_len = h->in_len;
    h->in_len = 0;
  } else if (!h->dec || h->dec->codec != h->codec) {
    sic_decoder_free(h->dec);
    if (!(h->dec = sic_decoder_new(h->codec))) return sic_err_set(err, SIC_ENOMEM, "cannot create a %s decoder",
                                                                 sic_codec_name(h->codec));
  } else {
    sic_decoder_reset(h->dec);
  }
  if (kind != PK_FILE) return 1;
  /* a lone file must look like an event log: a JSON object with an "Event" key first */
  while (h->pend_len < PRIME_MAX && !memchr(h->pend, '\n', h->pend_len)) {
    size_t got;
    int rc = part_produce(h, h->pend + h->pend_len, PRIME_MAX - h->pend_len, &got, err);
    if (rc) return rc;
    if (!got) break;
    h->pend_len += got;
  }
  if (!h->pend_len && hs_has_suffix(m->name, ".inprogress")) return 1; /* an application just started */
  return sic_looks_like_events(h->pend, h->pend_len);
}

/* ---- walking the answer ---- */

/* A part that failed while being started is considered again from its start after a resume. */
static int part_abandon(hs_log *h, const zs_member *m, int rc) {
  h->active = 0;
  h->next_member = m->index;
  return rc;
}

/* Decide about member m: 1 when it is handed out now (active), 0 when it is skipped. */
static int consider(hs_log *h, const zs_member *m, sic_err *err) {
  size_t dir_len;
  long long key = 0;
  int compact, rc;
  part_kind kind = hs_classify(m->name, &dir_len, &key, &compact, &h->hint);
  if (kind == PK_NONE) return 0;
  if (h->pass > 1) { /* the order is known: only the next part of the plan */
    if (h->ndone >= h->nplan || strcmp(m->name, h->seen[h->plan[h->ndone]].name)) return 0;
    rc = part_start(h, m, kind, err);
    return rc < 0 ? part_abandon(h, m, rc) : 1;
  }
  if (kind != PK_FILE && (rc = claim_group(h, kind, m->name, dir_len, err)) < 0) return rc;
  int next = kind == PK_FILE ? (h->kind == PK_NONE || h->kind == PK_FILE) : next_in_first_pass(h, kind, key, compact, err);
  if (next < 0) return next;
  if (kind == PK_FILE) {
    if (!next) return 0;
    rc = part_start(h, m, kind, err);
    if (rc < 0) return part_abandon(h, m, rc);
    if (rc == 0) { /* not an event log */
      h->active = 0;
      return 0;
    }
    if ((rc = claim_group(h, kind, m->name, dir_len, err)) < 0) return rc;
    if (h->ndone) return sic_err_set(err, SIC_EFORMAT, "%s: the zip holds more than one event log, expected one "
                                     "(name an attempt)", h->display);
    if ((rc = note_seen(h, m->name, 0, err))) return rc;
    return 1;
  }
  if ((rc = note_seen(h, m->name, key, err))) return rc;
  if (!next) return 0;
  rc = part_start(h, m, kind, err);
  return rc < 0 ? part_abandon(h, m, rc) : 1;
}

/* After an answer ended: done, or another pass for the parts still to read. 1 when a new
 * pass started, 0 when everything was handed out. */
static int pass_end(hs_log *h, sic_err *err) {
  if (h->kind == PK_NONE)
    return sic_err_set(err, SIC_EFORMAT, "%s: the zip holds no Spark event log", h->display);
  int rc = make_plan(h, err);
  if (rc) return rc;
  if (h->ndone == h->nplan) return 0;
  if (h->pass > 1 && !h->pass_progress)
    return sic_err_set(err, SIC_EFORMAT, "%s: %s is no longer in the answer: the log changed while it was read",
                       h->display, h->seen[h->plan[h->ndone]].name);
  h->pass++;
  h->pass_progress = 0;
  h->next_member = 0;
  rc = answer_open(h, err);
  return rc < 0 ? rc : 1;
}

/* The next part to hand out: 1 when one is active, 0 at the end of the log. */
static int advance(hs_log *h, sic_err *err) {
  for (;;) {
    const zs_member *m;
    int rc = zs_next(h->zs, &m, err);
    if (rc < 0) {
      h->net_error = 1;
      return rc;
    }
    if (rc == 0) {
      rc = pass_end(h, err);
      if (rc <= 0) return rc;
      continue;
    }
    h->next_member = m->index + 1;
    rc = consider(h, m, err);
    if (rc) return rc;
  }
}

/* The answer was cut: request it again and go back to where it was. */
static int resume(hs_log *h, sic_err *err) {
  uint64_t target = h->active ? h->ordinal : h->next_member;
  int rc = answer_open(h, err);
  if (rc) return rc;
  const zs_member *m = NULL;
  while (!m || m->index < target) {
    rc = zs_next(h->zs, &m, err);
    if (rc < 0) {
      h->net_error = 1;
      return rc;
    }
    if (rc == 0)
      return sic_err_set(err, SIC_EFORMAT, "%s: the answer holds fewer members than before: the log changed while it "
                         "was read", h->display);
    if (!h->active && m->index >= target) { /* m itself is new: consider it */
      h->next_member = m->index + 1;
      rc = consider(h, m, err);
      return rc < 0 ? rc : 0;
    }
  }
  if (strcmp(m->name, h->name))
    return sic_err_set(err, SIC_EFORMAT, "%s: member %llu is %s now, %s before: the log changed while it was read",
                       h->display, (unsigned long long)target, m->name, h->name);
  h->next_member = m->index + 1;
  static __thread uint8_t scratch[1 << 16];
  for (uint64_t left = h->taken; left;) {
    size_t got;
    rc = zs_read(h->zs, scratch, left < sizeof scratch ? (size_t)left : sizeof scratch, &got, err);
    if (rc) {
      h->net_error = 1;
      return rc;
    }
    if (!got) break;
    left -= got;
  }
  if (zs_member_out(h->zs) != h->taken || zs_member_crc(h->zs) != h->taken_crc)
    return sic_err_set(err, SIC_EFORMAT, "%s: %s differs from what was read before the answer was cut: the log "
                       "changed while it was read", h->display, h->name);
  return 0;
}

/* An error while reading: resume a cut answer when retries are left, else report it. */
static int recover(hs_log *h, int rc, sic_err *err) {
  while (rc == SIC_ETRUNCATED && h->net_error && h->retries < h->max_retries) {
    h->retries++;
    h->net_error = 0;
    backoff(h);
    rc = resume(h, err);
  }
  if (rc == SIC_ETRUNCATED && h->net_error && h->retries)
    sic_err_wrap(err, "(after %d retr%s) ", h->retries, h->retries == 1 ? "y" : "ies");
  return rc;
}

static int log_read(sic_reader *base, uint8_t *buf, size_t cap, size_t *got, sic_err *err) {
  hs_log *h = (hs_log *)base;
  *got = 0;
  while (!h->eof && cap) {
    if (h->pend_pos < h->pend_len) {
      size_t n = h->pend_len - h->pend_pos;
      if (n > cap) n = cap;
      memcpy(buf, h->pend + h->pend_pos, n);
      h->pend_pos += n;
      h->last_nl = buf[n - 1] == '\n';
      *got = n;
      return 0;
    }
    h->net_error = 0;
    if (h->active) {
      int rc = part_produce(h, buf, cap, got, err);
      if (rc) {
        rc = recover(h, rc, err);
        if (rc) return rc;
        continue;
      }
      if (*got) {
        h->last_nl = buf[*got - 1] == '\n';
        return 0;
      }
      h->active = 0; /* the part ended (its CRC checked) */
      if ((rc = note_done(h, h->name, err))) return rc;
      h->pass_progress++;
      if (h->kind == PK_ROLLING || h->kind == PK_LEGACY) {
        long long key = 0;
        for (size_t i = 0; i < h->nseen; i++)
          if (!strcmp(h->seen[i].name, h->name)) key = h->seen[i].key;
        long long idx = h->kind == PK_ROLLING ? key / 2 : key;
        if (h->ndone == 1) h->first_index = idx;
        h->last_index = idx;
      }
      continue;
    }
    int rc = advance(h, err);
    if (rc < 0) {
      rc = recover(h, rc, err);
      if (rc) return rc;
      continue;
    }
    if (rc == 0) {
      h->eof = 1;
      break;
    }
    if (h->started && !h->last_nl) { /* parts end lines: keep them apart */
      buf[0] = '\n';
      h->last_nl = 1;
      *got = 1;
      h->started = 1;
      return 0;
    }
    h->started = 1;
  }
  return 0;
}

static void log_close(sic_reader *base) {
  hs_log *h = (hs_log *)base;
  answer_close(h);
  for (size_t i = 0; i < h->nseen; i++) free(h->seen[i].name);
  for (size_t i = 0; i < h->ndone; i++) free(h->done[i]);
  free(h->seen);
  free(h->done);
  free(h->plan);
  free(h->group);
  free(h->name);
  sic_decoder_free(h->dec);
  free(h->in);
  free(h->pend);
  free(h->url);
  free(h->display);
  free(h);
}

int hs_logs_open(const http_req *req, sic_reader **out, sic_err *err) {
  *out = NULL;
  hs_log *h = calloc(1, sizeof *h);
  if (!h) return nomem(err);
  h->base.read = log_read;
  h->base.close = log_close;
  h->url = strdup(req->url);
  h->display = strdup(req->display);
  h->pend = malloc(PRIME_MAX);
  h->in = malloc(IN_START);
  h->in_cap = IN_START;
  if (!h->url || !h->display || !h->pend || !h->in) {
    log_close(&h->base);
    return nomem(err);
  }
  h->req = *req;
  h->req.url = h->url;
  h->req.display = h->display;
  h->req.offset = 0;
  h->req.length = -1;
  h->req.resumable = 0; /* no Range: a cut answer is requested again and read on (above) */
  http_settings defaults;
  const http_settings *st = req->settings;
  if (!st) {
    http_settings_load(&defaults);
    st = &defaults;
  }
  h->max_retries = st->retries;
  h->backoff_ms = st->backoff_ms;
  if (!req->settings) http_settings_free(&defaults);
  h->pass = 1;
  h->last_nl = 1;
  int rc = answer_open(h, err);
  if (rc) rc = recover(h, rc, err);
  if (rc) {
    log_close(&h->base);
    return rc;
  }
  *out = &h->base;
  return 0;
}
