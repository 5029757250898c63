/* sic_stream: the decompressed bytes of one logical log, parts concatenated in order.
 *
 * Files are mmap'd. A plain part is handed out as one chunk pointing straight into its
 * mapping (zero copy); compressed parts are decoded from the mapping into 1 MB output
 * buffers. Zip members are read with libzip into an input window and decoded the same way;
 * so are remote parts (sources/), pulled from their sic_reader (plain ones through the
 * pass-through decoder).
 *
 * With threads > 1 (and something to decode) a producer thread decodes ahead into a ring of STREAM_SLOTS buffers while
 * the consumer works on the previous one (bounded: at most STREAM_SLOTS - 1 chunks ahead).
 * Errors travel through the ring like data, so every byte decoded before an error reaches
 * the consumer first.
 *
 * Ownership: the stream copies what it needs from the logset (paths, codecs), so the set
 * may be freed after sic_stream_open. Chunks handed out stay owned by the stream. */
#include "eventlog/eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "eventlog/codec.h"

#define STREAM_CHUNK (1u << 20)      /* decoded bytes per chunk: fits L2-ish, cheap to fault in */
#define STREAM_SLOTS 4               /* ring size: one held by the consumer, three ahead */
#define STREAM_WINDOW (1u << 20)     /* initial input window for zip members */

/* What the stream remembers of each part (copied from the logset). */
typedef struct stream_part {
  char *path;           /* file path, or the zip archive path for members (owned) */
  char *zip_member;     /* member name inside the archive, NULL for files (owned) */
  sic_codec codec;      /* codec the logset decided (re-checked against magic at open) */
  sic_logpart remote;   /* for a remote part: what its source opens (path borrowed from
                           this struct's path, source reference owned) */
} stream_part;

/* One chunk travelling from producer to consumer. */
typedef struct chunk_slot {
  const char *data;     /* decoded bytes (into buf or into map) */
  size_t len;           /* bytes at data */
  size_t part;          /* index of the part the bytes belong to */
  int status;           /* 1 data, 0 end of all parts, SIC_E* error */
  sic_err err;          /* error detail when status < 0 */
  uint8_t *buf;         /* owned output buffer, reused across chunks */
  void *map;            /* mapping of a plain part handed over with this chunk (owned) */
  size_t map_len;       /* length of map */
  int64_t in_total;     /* stream's stored bytes consumed once this chunk was produced */
  int64_t out_total;    /* stream's decoded bytes produced including this chunk */
} chunk_slot;

/* Producer-side state of the part being read. */
typedef struct part_reader {
  int open;             /* 1 while a part is being read */
  size_t index;         /* which part */
  sic_codec codec;      /* codec in effect (magic wins over the name) */
  uint8_t *map;         /* mmap of the stored file, NULL for empty files / zip members */
  size_t map_len;       /* length of map */
  size_t map_pos;       /* stored bytes of map consumed by the decoder */
  zip_file_t *member;   /* open zip member, NULL for files */
  sic_reader *reader;   /* open remote part, NULL for files and zip members */
  uint8_t *win;         /* input window for zip members (owned) */
  size_t win_len;       /* bytes in win */
  size_t win_pos;       /* bytes of win consumed */
  size_t win_cap;       /* bytes allocated for win */
  int win_eof;          /* 1: the member has no more bytes beyond win */
  sic_decoder *dec;     /* decoder for compressed parts and zip members */
  int done;             /* 1: the part produced all its bytes */
  int pending_rc;       /* error to report after delivering bytes decoded before it */
  sic_err pending_err;  /* its message */
  int64_t in_base;      /* stream in_total when this part was opened */
  int64_t direct_in;    /* bytes of a plain remote part read straight into chunks (no window) */
} part_reader;

struct sic_stream {
  stream_part *parts;   /* owned copies */
  size_t nparts;        /* number of parts */
  size_t next_part;     /* producer: next part to open */
  part_reader pr;       /* producer: current part */
  sic_decoder *spare;   /* producer: decoder of the last closed part, reused when the next
                           part has the same codec (saves rebuilding zstd windows) */
  zip_t *zip;           /* producer: archive shared by consecutive zip parts */
  char *zip_path;       /* path zip was opened from (owned) */
  int64_t in_total;     /* producer: stored bytes consumed */
  int64_t out_total;    /* producer: decoded bytes produced */
  chunk_slot slots[STREAM_SLOTS]; /* ring; only slots[0] without a thread */
  int threaded;         /* 1: a producer thread fills the ring */
  pthread_t thread;     /* the producer thread */
  pthread_mutex_t lock; /* guards head, tail, stop */
  pthread_cond_t cond;  /* signalled when head or tail moves or stop is set */
  size_t head;          /* consumer: slots taken (the last one may be held) */
  size_t tail;          /* producer: slots filled */
  int stop;             /* set by sic_stream_free to end the producer */
  int holding;          /* consumer holds slots[(head) % N] until the next call */
  int finished;         /* consumer saw the end or an error */
  int final_rc;         /* what to return again after finishing */
  sic_err final_err;    /* message of final_rc */
  int64_t bytes_in;     /* consumer view of in_total */
  int64_t bytes_out;    /* consumer view of out_total */
};

/* ---- part reading (producer side) ---- */

static int part_name_err(const stream_part *p, sic_err *err) {
  if (p->remote.source) return err ? err->code : SIC_EIO; /* the source named the URI already */
  if (p->zip_member) return sic_err_wrap(err, "%s!/%s: ", p->path, p->zip_member);
  return sic_err_wrap(err, "%s: ", p->path);
}

static int map_file(part_reader *pr, const char *path, sic_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sic_err_set(err, errno == ENOENT ? SIC_ENOTFOUND : SIC_EIO, "cannot open: %s", strerror(errno));
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st)) {
    rc = sic_err_set(err, SIC_EIO, "cannot stat: %s", strerror(errno));
    goto done;
  }
  if (st.st_size > 0) {
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      rc = sic_err_set(err, SIC_EIO, "cannot mmap: %s", strerror(errno));
      goto done;
    }
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    pr->map = m;
    pr->map_len = (size_t)st.st_size;
  }
done:
  close(fd);
  return rc;
}

/* Refill the zip input window, keeping unconsumed bytes and growing it when full. */
static int window_refill(part_reader *pr, sic_err *err) {
  if (pr->win_pos) {
    memmove(pr->win, pr->win + pr->win_pos, pr->win_len - pr->win_pos);
    pr->win_len -= pr->win_pos;
    pr->win_pos = 0;
  }
  if (pr->win_len == pr->win_cap) {
    size_t cap = pr->win_cap ? pr->win_cap * 2 : STREAM_WINDOW;
    uint8_t *grown = realloc(pr->win, cap);
    if (!grown) return sic_err_set(err, SIC_ENOMEM, "out of memory for a %zu-byte input window", cap);
    pr->win = grown;
    pr->win_cap = cap;
  }
  zip_int64_t n;
  if (pr->reader) {
    size_t got = 0;
    int rc = pr->reader->read(pr->reader, pr->win + pr->win_len, pr->win_cap - pr->win_len, &got, err);
    if (rc) return rc;
    n = (zip_int64_t)got;
  } else {
    n = zip_fread(pr->member, pr->win + pr->win_len, pr->win_cap - pr->win_len);
  }
  if (n < 0) return sic_err_set(err, SIC_EIO, "zip read failed: %s", zip_file_strerror(pr->member));
  if (n == 0) pr->win_eof = 1;
  pr->win_len += (size_t)n;
  return 0;
}

/* Fill the window with the first bytes of a windowed part (codec magic needs a few). */
static int window_prime(part_reader *pr, sic_err *err) {
  while (!pr->win_eof && pr->win_len < 64) {
    int rc = window_refill(pr, err);
    if (rc) return rc;
  }
  return 0;
}

static int open_remote(part_reader *pr, stream_part *p, sic_err *err) {
  int rc = p->remote.source->open(p->remote.source, &p->remote, &pr->reader, err);
  if (rc) return rc;
  return window_prime(pr, err);
}

static int open_zip_member(sic_stream *s, const stream_part *p, sic_err *err) {
  part_reader *pr = &s->pr;
  if (!s->zip || strcmp(s->zip_path, p->path)) {
    if (s->zip) zip_discard(s->zip);
    free(s->zip_path);
    s->zip_path = NULL;
    int zerr = 0;
    s->zip = zip_open(p->path, ZIP_RDONLY, &zerr);
    if (!s->zip) return sic_err_set(err, SIC_EIO, "cannot open zip archive (libzip error %d)", zerr);
    s->zip_path = strdup(p->path);
    if (!s->zip_path) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  pr->member = zip_fopen(s->zip, p->zip_member, 0);
  if (!pr->member) return sic_err_set(err, SIC_ENOTFOUND, "zip member not readable: %s", zip_strerror(s->zip));
  return window_prime(pr, err);
}

static void part_close(sic_stream *s) {
  part_reader *pr = &s->pr;
  if (pr->map) munmap(pr->map, pr->map_len);
  if (pr->member) zip_fclose(pr->member);
  if (pr->reader) pr->reader->close(pr->reader);
  free(pr->win);
  if (pr->dec) {
    sic_decoder_free(s->spare);
    s->spare = pr->dec;
  }
  memset(pr, 0, sizeof *pr);
}

static int part_open(sic_stream *s, size_t index, sic_err *err) {
  part_reader *pr = &s->pr;
  stream_part *p = &s->parts[index];
  memset(pr, 0, sizeof *pr);
  pr->open = 1;
  pr->index = index;
  pr->in_base = s->in_total;
  int rc = p->remote.source ? open_remote(pr, p, err)
           : p->zip_member  ? open_zip_member(s, p, err)
                            : map_file(pr, p->path, err);
  if (rc) goto error;
  int windowed = p->zip_member || p->remote.source;
  const uint8_t *head = windowed ? pr->win : pr->map;
  size_t head_len = windowed ? pr->win_len : pr->map_len;
  pr->codec = sic_codec_resolve(p->codec, head, head_len);
  if (pr->codec == SIC_CODEC_NONE && pr->map) return 0; /* zero-copy path, no decoder */
  if (s->spare && s->spare->codec == pr->codec) {
    pr->dec = s->spare;
    s->spare = NULL;
    sic_decoder_reset(pr->dec);
  } else {
    pr->dec = sic_decoder_new(pr->codec);
  }
  if (!pr->dec) {
    rc = sic_err_set(err, SIC_ENOMEM, "cannot create %s decoder", sic_codec_name(pr->codec));
    goto error;
  }
  return 0;
error:
  part_name_err(p, err);
  part_close(s);
  return rc;
}

/* A plain remote part: what is left of the window, then reads straight into the chunk (one
 * copy less than passing through the window and the pass-through decoder). */
static int read_plain_remote(part_reader *pr, chunk_slot *c, size_t *made_out) {
  size_t made = 0;
  int rc = 0;
  while (made < STREAM_CHUNK && !pr->done) {
    if (pr->win_pos < pr->win_len) {
      size_t n = pr->win_len - pr->win_pos;
      if (n > STREAM_CHUNK - made) n = STREAM_CHUNK - made;
      memcpy(c->buf + made, pr->win + pr->win_pos, n);
      pr->win_pos += n;
      pr->direct_in += (int64_t)n;
      made += n;
      continue;
    }
    size_t got = 0;
    if (pr->win_eof) got = 0;
    else if ((rc = pr->reader->read(pr->reader, c->buf + made, STREAM_CHUNK - made, &got, &c->err))) break;
    if (!got) pr->done = 1;
    pr->direct_in += (int64_t)got;
    made += got;
  }
  *made_out = made;
  return rc;
}

/* Decode into slot->buf until it is full, the part ends, or an error occurs. */
static int decode_into(sic_stream *s, chunk_slot *c, size_t *made_out) {
  part_reader *pr = &s->pr;
  if (pr->reader && pr->codec == SIC_CODEC_NONE) return read_plain_remote(pr, c, made_out);
  size_t made = 0;
  int rc = 0;
  while (made < STREAM_CHUNK && !pr->done) {
    int windowed = pr->member || pr->reader;
    const uint8_t *in = windowed ? pr->win + pr->win_pos : pr->map + pr->map_pos;
    size_t in_len = windowed ? pr->win_len - pr->win_pos : pr->map_len - pr->map_pos;
    int eof = windowed ? pr->win_eof : 1;
    size_t used = 0, produced = 0;
    int r = sic_decoder_run(pr->dec, in, in_len, eof, &used, c->buf + made, STREAM_CHUNK - made,
                            &produced, &c->err);
    if (windowed) pr->win_pos += used;
    else pr->map_pos += used;
    made += produced;
    if (r < 0) {
      rc = r;
      break;
    }
    if (r == SIC_DEC_END) pr->done = 1;
    else if (!used && !produced) {
      if (eof) {
        rc = sic_err_set(&c->err, SIC_ETRUNCATED, "%s stream ends early at byte %lld",
                         sic_codec_name(pr->codec), (long long)sic_decoder_offset(pr->dec));
        break;
      }
      rc = window_refill(pr, &c->err);
      if (rc) break;
    }
  }
  *made_out = made;
  return rc;
}

/* 1: slot holds data of the current part; 0: the part is finished; SIC_E*: error. */
static int part_fill(sic_stream *s, chunk_slot *c) {
  part_reader *pr = &s->pr;
  if (pr->pending_rc) {
    c->err = pr->pending_err;
    int rc = pr->pending_rc;
    pr->pending_rc = 0;
    pr->done = 1;
    return rc;
  }
  if (pr->done) return 0;
  if (!pr->dec) { /* plain file: hand the whole mapping over */
    pr->done = 1;
    if (!pr->map) return 0;
    c->data = (const char *)pr->map;
    c->len = pr->map_len;
    c->map = pr->map;
    c->map_len = pr->map_len;
    pr->map = NULL;
    s->in_total += (int64_t)c->len;
    s->out_total += (int64_t)c->len;
    return 1;
  }
  if (!c->buf && !(c->buf = malloc(STREAM_CHUNK)))
    return sic_err_set(&c->err, SIC_ENOMEM, "out of memory for a decode buffer");
  size_t made = 0;
  int rc = decode_into(s, c, &made);
  s->in_total = pr->in_base + sic_decoder_offset(pr->dec) + pr->direct_in;
  s->out_total += (int64_t)made;
  if (rc < 0) {
    part_name_err(&s->parts[pr->index], &c->err);
    if (!made) return rc;
    pr->pending_rc = rc; /* deliver the good bytes first */
    pr->pending_err = c->err;
  }
  if (!made) return 0;
  c->data = (const char *)c->buf;
  c->len = made;
  return 1;
}

/* Fill one slot with the next chunk of the log (or its end / an error). */
static void produce(sic_stream *s, chunk_slot *c) {
  for (;;) {
    if (!s->pr.open) {
      if (s->next_part >= s->nparts) {
        c->status = 0;
        return;
      }
      int rc = part_open(s, s->next_part, &c->err);
      if (rc) {
        c->status = rc;
        c->part = s->next_part;
        s->next_part = s->nparts; /* nothing after an error */
        return;
      }
    }
    int r = part_fill(s, c);
    c->part = s->pr.index;
    c->in_total = s->in_total;
    c->out_total = s->out_total;
    if (r != 0) {
      c->status = r;
      if (r < 0) {
        part_close(s);
        s->next_part = s->nparts;
      }
      return;
    }
    part_close(s);
    s->next_part++;
  }
}

/* Consumer is done with a slot: release a handed-over mapping. */
static void slot_recycle(chunk_slot *c) {
  if (c->map) munmap(c->map, c->map_len);
  c->map = NULL;
  c->data = NULL;
  c->len = 0;
}

static void *producer_main(void *arg) {
  sic_stream *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    while (!s->stop && s->tail - s->head >= STREAM_SLOTS) pthread_cond_wait(&s->cond, &s->lock);
    int stop = s->stop;
    chunk_slot *c = &s->slots[s->tail % STREAM_SLOTS];
    pthread_mutex_unlock(&s->lock);
    if (stop) break;
    produce(s, c);
    int status = c->status;
    pthread_mutex_lock(&s->lock);
    s->tail++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (status <= 0) break;
  }
  return NULL;
}

/* ---- public API ---- */

static int copy_parts(sic_stream *s, const sic_logset *set, sic_err *err) {
  s->parts = calloc(set->nparts ? set->nparts : 1, sizeof *s->parts);
  if (!s->parts) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  s->nparts = set->nparts;
  for (size_t i = 0; i < set->nparts; i++) {
    const sic_logpart *p = &set->parts[i];
    s->parts[i].codec = p->codec;
    s->parts[i].path = strdup(p->path ? p->path : "");
    s->parts[i].zip_member = p->zip_member ? strdup(p->zip_member) : NULL;
    if (!s->parts[i].path || (p->zip_member && !s->parts[i].zip_member))
      return sic_err_set(err, SIC_ENOMEM, "out of memory");
    if (p->source) {
      s->parts[i].remote = *p;
      s->parts[i].remote.path = s->parts[i].path;
      s->parts[i].remote.zip_member = NULL;
      sic_part_source_retain(p->source);
    }
  }
  return 0;
}

/* Only decoding (zip inflating, network reads) is worth a helper thread; plain files are zero-copy. */
static int needs_decoding(const sic_logset *set) {
  for (size_t i = 0; i < set->nparts; i++)
    if (set->parts[i].codec != SIC_CODEC_NONE || set->parts[i].zip_member || set->parts[i].source) return 1;
  return 0;
}

int sic_stream_open(const sic_logset *set, int threads, sic_stream **out, sic_err *err) {
  *out = NULL;
  if (!set) return sic_err_set(err, SIC_EINVAL, "sic_stream_open: no logset");
  sic_stream *s = calloc(1, sizeof *s);
  if (!s) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->cond, NULL);
  int rc = copy_parts(s, set, err);
  if (rc) goto error;
  if (threads > 1 && needs_decoding(set)) {
    if (pthread_create(&s->thread, NULL, producer_main, s)) {
      rc = sic_err_set(err, SIC_EIO, "%s: cannot start the decode thread", set->path ? set->path : "log");
      goto error;
    }
    s->threaded = 1;
  }
  *out = s;
  return 0;
error:
  sic_stream_free(s);
  return rc;
}

/* Take the next filled slot (waiting for the producer when threaded). */
static chunk_slot *next_slot(sic_stream *s) {
  if (!s->threaded) {
    slot_recycle(&s->slots[0]);
    produce(s, &s->slots[0]);
    return &s->slots[0];
  }
  pthread_mutex_lock(&s->lock);
  if (s->holding) {
    slot_recycle(&s->slots[s->head % STREAM_SLOTS]);
    s->head++;
    s->holding = 0;
    pthread_cond_broadcast(&s->cond);
  }
  while (s->head == s->tail) pthread_cond_wait(&s->cond, &s->lock);
  chunk_slot *c = &s->slots[s->head % STREAM_SLOTS];
  s->holding = 1;
  pthread_mutex_unlock(&s->lock);
  return c;
}

int sic_stream_next(sic_stream *s, const char **data, size_t *len, size_t *part, sic_err *err) {
  if (s->finished) {
    if (s->final_rc < 0 && err) *err = s->final_err;
    return s->final_rc;
  }
  chunk_slot *c = next_slot(s);
  if (c->status == 1) {
    *data = c->data;
    *len = c->len;
    if (part) *part = c->part;
    s->bytes_in = c->in_total;
    s->bytes_out = c->out_total;
    return 1;
  }
  s->finished = 1;
  s->final_rc = c->status;
  s->final_err = c->err;
  if (c->status < 0 && err) *err = c->err;
  if (part) *part = c->part;
  return c->status;
}

void sic_stream_free(sic_stream *s) {
  if (!s) return;
  if (s->threaded) {
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
  }
  for (size_t i = 0; i < STREAM_SLOTS; i++) {
    slot_recycle(&s->slots[i]);
    free(s->slots[i].buf);
  }
  part_close(s);
  sic_decoder_free(s->spare);
  if (s->zip) zip_discard(s->zip);
  free(s->zip_path);
  for (size_t i = 0; i < s->nparts; i++) {
    free(s->parts[i].path);
    free(s->parts[i].zip_member);
    sic_part_source_release(s->parts[i].remote.source);
  }
  free(s->parts);
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->cond);
  free(s);
}

void sic_stream_release(sic_stream *s, const char *p, size_t n) {
  chunk_slot *c = s->threaded ? &s->slots[s->head % STREAM_SLOTS] : &s->slots[0];
  if (!c->map || p < (const char *)c->map || p + n > (const char *)c->map + c->map_len) return;
  long page = sysconf(_SC_PAGESIZE);
  uintptr_t from = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t to = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
  /* A private, never-written file mapping: dropped pages are read from the file again if
   * touched, so this only lowers the resident size. */
  if (to > from) madvise((void *)from, to - from, MADV_DONTNEED);
}

int64_t sic_stream_bytes_in(const sic_stream *s) { return s->bytes_in; }
int64_t sic_stream_bytes_out(const sic_stream *s) { return s->bytes_out; }
