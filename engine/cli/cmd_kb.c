/* `sic kb ingest|search|stats|reindex`: the documentation knowledge base (rag/rag.h).
 *
 * Exit codes follow cli.h: 0 ran, 1 bad input (unreadable path, broken
 * store), 2 usage. Results go to stdout, progress/summary of ingest to stderr. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/suggest.h"
#include "rag/buf.h"
#include "rag/chunk.h"
#include "rag/eval.h"
#include "rag/rag.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* s as a JSON string literal. Four rotating static buffers, so one printf can hold up to four
 * (the strings stay valid until the fourth call after). */
static const char *js(const char *s) {
  static rag_buf ring[4];
  static int next;
  rag_buf *b = &ring[next++ % 4];
  rag_buf_reset(b);
  rag_buf_json_string(b, s ? s : "");
  return b->data ? b->data : "\"\"";
}

static int fail(const char *what, const sic_err *err) {
  fprintf(stderr, "sic kb %s: %s\n", what, err->msg);
  return err->code == SIC_EINVAL ? SIC_EXIT_USAGE : SIC_EXIT_INPUT;
}

/* ---- ingest ------------------------------------------------------------------------- */

static int kb_ingest(int argc, char **argv) {
  const char *store = NULL, *source = NULL, *history = NULL, *history_store = NULL, *name = NULL;
  int64_t dims = 256;
  int no_dense = 0;
  sic_format fmt = SIC_FORMAT_TEXT;
  const sic_opt opts[] = {
    {"source", 's', SIC_OPT_STRING, &source, "NAME", "label for the chunks (default: the directory name)", 0, 0, NULL},
    {"store", 0, SIC_OPT_STRING, &store, "PATH", "knowledge-base file (default $SIC_KB or $XDG_DATA_HOME/sic/kb.db)", 0, 0, NULL},
    {"dims", 0, SIC_OPT_INT, &dims, "N", "LSA embedding dimensions (default 256)", 2, 1024, NULL},
    {"no-dense", 0, SIC_OPT_FLAG, &no_dense, NULL, "skip rebuilding the dense (LSA + FAISS) index", 0, 0, NULL},
    {"name", 0, SIC_OPT_STRING, &name, "DOC", "document name for '-' (stdin); its extension picks the loader (default stdin.md)", 0, 0, NULL},
    {"history", 0, SIC_OPT_STRING, &history, "JOB", "also ingest the past sic reports of JOB from the history store", 0, 0, NULL},
    {"history-store", 0, SIC_OPT_STRING, &history_store, "URL", "history store URL for --history (default: sic's store)", 0, 0, NULL},
    {"format", 'f', SIC_OPT_FORMAT, &fmt, "FMT", "output format: text or json", 0, 0, NULL},
  };
  const sic_cmd_spec spec = {
    "kb ingest", "[PATH...] [--source NAME] [--store PATH] [--history JOB]",
    "Chunk Markdown/MDX/HTML documentation and log4j logs under PATH (files or directories,\n"
    "recursively; - = stdin, named by --name) into the knowledge base. Re-ingest is incremental: unchanged files are\n"
    "skipped and only changed chunks are replaced; the dense index is rebuilt when chunks changed.",
    opts, sizeof opts / sizeof opts[0], SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 0, -1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, prc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (prc) return prc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  if (!npos && !history) return sic_args_usage_error(&spec, "nothing to ingest: give PATH... and/or --history JOB");
  sic_err err = {0};
  rag_kb *kb = NULL;
  if (rag_kb_open(store, &kb, &err)) return fail("ingest", &err);
  rag_ingest_stats st = {0};
  double t0 = now_seconds();
  int rc = 0;
  for (int i = 0; i < npos && !rc; i++) {
    if (strcmp(pos[i], "-")) {
      rc = rag_kb_ingest(kb, pos[i], source, &st, &err);
      continue;
    }
    char spooled[256];
    if ((rc = sic_args_spool_stdin(spooled, sizeof spooled, &err))) break;
    rc = rag_kb_ingest_as(kb, spooled, name ? name : "stdin.md", source, &st, &err);
    unlink(spooled);
  }
  if (!rc && history) rc = rag_kb_ingest_history(kb, history_store, history, &st, &err);
  double t1 = now_seconds();
  if (!rc && !no_dense) {
    rc = rag_kb_refresh(kb, 0, (int)dims, &err);
    if (rc == SIC_ENOTFOUND) { /* too few chunks for embeddings: keyword search still works */
      fprintf(stderr, "sic kb ingest: no dense index: %s\n", err.msg);
      rc = 0;
    }
  }
  double t2 = now_seconds();
  if (rc) {
    rag_kb_close(kb);
    return fail("ingest", &err);
  }
  if (st.files_failed)
    fprintf(stderr, "sic kb ingest: %zu file(s) rejected and skipped; first: %s\n", st.files_failed, st.first_failure);
  if (fmt == SIC_FORMAT_JSON)
    printf("{\"schema\":\"sic.kb_ingest/1\",\"store\":%s,\"files\":%zu,\"failed\":%zu,\"unchanged\":%zu,\"skipped\":%zu,"
           "\"chunks_added\":%zu,\"chunks_removed\":%zu,\"bytes\":%zu,\"ingest_seconds\":%.3f,\"index_seconds\":%.3f}\n",
           js(rag_kb_path(kb)), st.files, st.files_failed, st.files_unchanged, st.files_skipped, st.chunks_added,
           st.chunks_removed, st.bytes, t1 - t0, t2 - t1);
  else
    printf("%s: %zu files (%zu unchanged, %zu not documents), +%zu / -%zu chunks, %.1f MB in %.2f s; dense index %.2f s\n",
           rag_kb_path(kb), st.files, st.files_unchanged, st.files_skipped, st.chunks_added, st.chunks_removed,
           st.bytes / 1e6, t1 - t0, t2 - t1);
  rag_kb_close(kb);
  return SIC_EXIT_OK;
}

/* ---- search ------------------------------------------------------------------------- */

static void print_hits_text(const rag_hits *h) {
  for (size_t i = 0; i < h->n; i++) {
    const rag_hit *x = &h->v[i];
    char snippet[241];
    snprintf(snippet, sizeof snippet, "%s", x->text);
    /* Do not end in the middle of a UTF-8 sequence. */
    size_t len = strlen(snippet);
    if (len == sizeof snippet - 1) {
      while (len && ((unsigned char)snippet[len - 1] & 0xC0) == 0x80) len--;
      if (len && ((unsigned char)snippet[len - 1] & 0xC0) == 0xC0) len--;
      snippet[len] = 0;
    }
    rag_squeeze_space(snippet);
    printf("%zu. [%s/%s § %s] score %.4f (bm25 #%d, dense #%d)\n   %s\n   %s%s\n", i + 1, x->source, x->doc,
           x->section, x->score, x->bm25_rank, x->dense_rank, x->heading, snippet,
           strlen(x->text) > 240 ? "..." : "");
  }
}

static void print_hits_json(const char *query, const char *mode, const rag_hits *h) {
  rag_buf b = {0};
  rag_buf_puts(&b, "{\"schema\":\"sic.kb_search/1\",\"query\":");
  rag_buf_json_string(&b, query);
  rag_buf_printf(&b, ",\"mode\":\"%s\",\"results\":[", mode);
  for (size_t i = 0; i < h->n; i++) {
    const rag_hit *x = &h->v[i];
    rag_buf_printf(&b, "%s{\"rank\":%zu,\"score\":%.6f,\"bm25_rank\":%d,\"dense_rank\":%d,\"id\":", i ? "," : "", i + 1,
                   x->score, x->bm25_rank, x->dense_rank);
    const char *keys[] = {"id", "source", "doc", "title", "heading", "section", "kind", "text"};
    const char *vals[] = {x->chunk_id, x->source, x->doc, x->title, x->heading, x->section, x->kind, x->text};
    rag_buf_json_string(&b, vals[0]);
    for (int k = 1; k < 8; k++) {
      rag_buf_printf(&b, ",\"%s\":", keys[k]);
      rag_buf_json_string(&b, vals[k]);
    }
    rag_buf_printf(&b, ",\"line\":%d}", x->line);
  }
  rag_buf_puts(&b, "]}\n");
  fputs(b.data, stdout);
  rag_buf_free(&b);
}

static int kb_search(int argc, char **argv) {
  const char *store = NULL, *source = NULL, *mode = "hybrid", *version = NULL;
  int64_t k = 5;
  sic_format fmt = SIC_FORMAT_TEXT;
  const sic_opt opts[] = {
    {"k", 'k', SIC_OPT_INT, &k, "N", "number of results (default 5)", 1, 1000, NULL},
    {"mode", 'm', SIC_OPT_CHOICE, &mode, "MODE", "retriever: hybrid (default), bm25 or dense", 0, 0, "hybrid|bm25|dense"},
    {"source", 's', SIC_OPT_STRING, &source, "NAME", "only chunks of this source (e.g. spark, delta)", 0, 0, NULL},
    {"spark-version", 0, SIC_OPT_STRING, &version, "X.Y", "prefer passages valid in this Spark version", 0, 0, NULL},
    {"store", 0, SIC_OPT_STRING, &store, "PATH", "knowledge-base file", 0, 0, NULL},
    {"format", 'f', SIC_OPT_FORMAT, &fmt, "FMT", "output format: text or json", 0, 0, NULL},
  };
  const sic_cmd_spec spec = {
    "kb search", "\"QUERY\" [-k N] [--mode hybrid|bm25|dense] [--source NAME] [--format json]",
    "Search the knowledge base. Each result names its source file, heading path and score.",
    opts, sizeof opts / sizeof opts[0], SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 1, 1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, prc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (prc) return prc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  sic_err err = {0};
  rag_kb *kb = NULL;
  if (rag_kb_open(store, &kb, &err)) return fail("search", &err);
  rag_query q = {.text = pos[0], .k = (int)k, .source = source, .spark_version = version,
                 .mode = !strcmp(mode, "bm25") ? RAG_MODE_BM25 : !strcmp(mode, "dense") ? RAG_MODE_DENSE : RAG_MODE_HYBRID};
  rag_hits hits = {0};
  int rc = rag_kb_search(kb, &q, &hits, &err);
  if (rc == SIC_ENOTFOUND && q.mode == RAG_MODE_HYBRID) { /* no dense index (yet): keywords only */
    fprintf(stderr, "sic kb search: %s; using keyword search only\n", err.msg);
    q.mode = RAG_MODE_BM25;
    rc = rag_kb_search(kb, &q, &hits, &err);
  }
  rag_kb_close(kb);
  if (rc) return fail("search", &err);
  if (fmt == SIC_FORMAT_JSON) print_hits_json(pos[0], mode, &hits);
  else if (!hits.n) printf("no results for \"%s\"\n", pos[0]);
  else print_hits_text(&hits);
  rag_hits_free(&hits);
  return SIC_EXIT_OK;
}

/* ---- stats / reindex ---------------------------------------------------------------- */

static void print_stats(const rag_kb *kb, const rag_kb_stats *s, sic_format fmt) {
  if (fmt == SIC_FORMAT_JSON) {
    printf("{\"schema\":\"sic.kb_stats/1\",\"store\":%s,\"files\":%lld,\"chunks\":%lld,\"kinds\":{", js(rag_kb_path(kb)),
           (long long)s->files, (long long)s->chunks);
    for (int k = 0; k < 5; k++) printf("%s\"%s\":%lld", k ? "," : "", rag_chunk_kind_name(k), (long long)s->by_kind[k]);
    printf("},\"sources\":[");
    for (int i = 0; i < s->nsources; i++)
      printf("%s{\"name\":%s,\"files\":%lld,\"chunks\":%lld}", i ? "," : "", js(s->sources[i].name),
             (long long)s->sources[i].files, (long long)s->sources[i].chunks);
    printf("],\"dense\":{\"ready\":%s,\"dims\":%d,\"vocabulary\":%lld,\"index\":%s,\"embedder\":%s},"
           "\"db_bytes\":%lld,\"dense_bytes\":%lld}\n",
           s->dense_ready ? "true" : "false", s->dims, (long long)s->vocab, js(s->index_type), js(s->embedder), (long long)s->db_bytes,
           (long long)s->dense_bytes);
    return;
  }
  printf("knowledge base %s\n  %lld documents, %lld chunks (", rag_kb_path(kb), (long long)s->files, (long long)s->chunks);
  for (int k = 0; k < 5; k++) printf("%s%s %lld", k ? ", " : "", rag_chunk_kind_name(k), (long long)s->by_kind[k]);
  printf(")\n");
  for (int i = 0; i < s->nsources; i++)
    printf("  source %-12s %6lld documents %7lld chunks\n", s->sources[i].name, (long long)s->sources[i].files,
           (long long)s->sources[i].chunks);
  if (s->dense_ready)
    printf("  dense index: FAISS %s, %d dims, embeddings %s%s\n", s->index_type, s->dims, s->embedder,
           s->vocab ? "" : " (remote)");
  else
    printf("  dense index: not built or stale (run `sic kb reindex`)\n");
  printf("  size: %.1f MB database, %.1f MB dense index\n", s->db_bytes / 1e6, s->dense_bytes / 1e6);
}

static int kb_stats_or_reindex(int argc, char **argv, int reindex) {
  const char *store = NULL;
  int64_t dims = 256;
  sic_format fmt = SIC_FORMAT_TEXT;
  const sic_opt opts[] = {
    {"store", 0, SIC_OPT_STRING, &store, "PATH", "knowledge-base file", 0, 0, NULL},
    {"format", 'f', SIC_OPT_FORMAT, &fmt, "FMT", "output format: text or json", 0, 0, NULL},
    {"dims", 0, SIC_OPT_INT, &dims, "N", "reindex: LSA embedding dimensions (default 256)", 2, 1024, NULL},
  };
  const sic_cmd_spec spec = {
    reindex ? "kb reindex" : "kb stats", "[--store PATH] [--format json]",
    reindex ? "Rebuild the LSA model and FAISS index from the stored chunks."
            : "Documents, chunks per source and kind, dense index type and sizes.",
    opts, reindex ? 3 : 2, SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 0, 0};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, prc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (prc) return prc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  sic_err err = {0};
  rag_kb *kb = NULL;
  rag_kb_stats s;
  if (rag_kb_open(store, &kb, &err)) return fail(spec.name + 3, &err);
  int rc = reindex ? rag_kb_refresh(kb, 1, (int)dims, &err) : 0;
  if (!rc) rc = rag_kb_stats_get(kb, &s, &err);
  if (!rc) print_stats(kb, &s, fmt);
  rag_kb_close(kb);
  return rc ? fail(spec.name + 3, &err) : SIC_EXIT_OK;
}

/* ---- eval --------------------------------------------------------------------------- */

static int kb_eval(int argc, char **argv) {
  const char *store = NULL;
  int verbose = 0;
  sic_format fmt = SIC_FORMAT_TEXT;
  const sic_opt opts[] = {
    {"store", 0, SIC_OPT_STRING, &store, "PATH", "knowledge-base file", 0, 0, NULL},
    {"verbose", 'v', SIC_OPT_FLAG, &verbose, NULL, "list questions whose passage is not in the top 5", 0, 0, NULL},
    {"format", 'f', SIC_OPT_FORMAT, &fmt, "FMT", "output format: text or json", 0, 0, NULL},
  };
  const sic_cmd_spec spec = {
    "kb eval", "QUESTIONS.tsv [--store PATH] [-v]",
    "hit@1, hit@5 and MRR@10 of BM25, dense and hybrid retrieval over a question set\n"
    "(tab-separated: id, question, expected document, expected section or prop:NAME).",
    opts, sizeof opts / sizeof opts[0], SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 1, 1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, prc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (prc) return prc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  sic_err err = {0};
  rag_kb *kb = NULL;
  if (rag_kb_open(store, &kb, &err)) return fail("eval", &err);
  static const char *names[] = {"hybrid", "bm25", "dense"};
  rag_eval_result r[3];
  int rc = 0;
  for (int m = 0; m < 3 && !rc; m++) {
    if (verbose && fmt == SIC_FORMAT_TEXT) printf("%s misses:\n", names[m]);
    rc = rag_eval_file(kb, pos[0], (rag_mode)m, &r[m], verbose && fmt == SIC_FORMAT_TEXT ? stdout : NULL, &err);
  }
  rag_kb_close(kb);
  if (rc) return fail("eval", &err);
  if (fmt == SIC_FORMAT_JSON) printf("{\"schema\":\"sic.kb_eval/1\",\"questions\":%d,\"modes\":{", r[0].questions);
  else printf("%-8s %9s %6s %6s %6s %10s\n", "mode", "questions", "hit@1", "hit@5", "MRR", "ms/query");
  for (int m = 0; m < 3; m++) {
    double n = r[m].questions ? r[m].questions : 1;
    if (fmt == SIC_FORMAT_JSON)
      printf("%s\"%s\":{\"hit1\":%.4f,\"hit5\":%.4f,\"mrr\":%.4f,\"ms_per_query\":%.3f}", m ? "," : "", names[m],
             r[m].hit1 / n, r[m].hit5 / n, r[m].mrr, r[m].ms_total / n);
    else
      printf("%-8s %9d %6.3f %6.3f %6.3f %10.2f\n", names[m], r[m].questions, r[m].hit1 / n, r[m].hit5 / n, r[m].mrr,
             r[m].ms_total / n);
  }
  if (fmt == SIC_FORMAT_JSON) printf("}}\n");
  return SIC_EXIT_OK;
}

int sic_cmd_kb(int argc, char **argv) {
  static const char *usage =
      "usage: sic kb <ingest|search|stats|reindex> [options]   (sic kb <sub> --help)\n"
      "  ingest PATH...     chunk and index documentation / logs (incremental)\n"
      "  search \"QUERY\"     hybrid BM25 + dense search with citations\n"
      "  stats              what the knowledge base holds\n"
      "  reindex            rebuild the dense index\n"
      "  eval FILE.tsv      hit@1 / hit@5 / MRR of each retriever over a question set\n";
  if (argc < 2) {
    fputs(usage, stderr);
    return SIC_EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
    fputs(usage, stdout);
    return SIC_EXIT_OK;
  }
  if (!strcmp(sub, "ingest")) return kb_ingest(argc - 1, argv + 1);
  if (!strcmp(sub, "search")) return kb_search(argc - 1, argv + 1);
  if (!strcmp(sub, "stats")) return kb_stats_or_reindex(argc - 1, argv + 1, 0);
  if (!strcmp(sub, "reindex")) return kb_stats_or_reindex(argc - 1, argv + 1, 1);
  if (!strcmp(sub, "eval")) return kb_eval(argc - 1, argv + 1);
  static const char *const subs[] = {"ingest", "search", "stats", "reindex", "eval"};
  const char *near = sic_suggest(sub, strlen(sub), subs, sizeof subs / sizeof subs[0]);
  if (near) fprintf(stderr, "sic kb: unknown subcommand '%s'; did you mean '%s'?\n", sub, near);
  else fprintf(stderr, "sic kb: unknown subcommand '%s'\n%s", sub, usage);
  return SIC_EXIT_USAGE;
}
