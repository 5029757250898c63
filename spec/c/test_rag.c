/* Unit tests of rag/: the structure-aware chunker, stable chunk ids and incremental ingest,
 * the FAISS C-API shim (exact search against brute force, error paths), LSA embeddings, the
 * lpeg log4j loader, RRF fusion and source filters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "rag/chunk.h"
#include "rag/dense.h"
#include "rag/kb_internal.h"
#include "rag/lsa.h"
#include "rag/rag.h"

static char tmpdir[] = "/tmp/sic-rag-test-XXXXXX";

static void write_file(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static const rag_chunk *find_chunk(const rag_chunks *c, const char *needle) {
  for (size_t i = 0; i < c->n; i++)
    if (strstr(c->v[i].text, needle)) return &c->v[i];
  return NULL;
}

static const char *spark_doc =
    "---\nlayout: global\ndisplayTitle: Spark Tuning\ntitle: Tuning\nlicense: |\n  Apache\n---\n"
    "* This will become a table of contents (this text will be scraped).\n{:toc}\n\n"
    "# Memory\n\nSpark uses [unified memory](memory.html) for `execution` and storage.\n\n"
    "## Garbage Collection\n\nUse {{site.SPARK_VERSION}} with G1 &amp; friends.\n\n"
    "{% highlight scala %}\nval conf = new SparkConf()\n\n# not a heading: inside code\nconf.set(\"a\", \"b\")\n"
    "{% endhighlight %}\n\n"
    "### Properties\n\n<table class=\"table\">\n<thead><tr><th>Property Name</th><th>Default</th><th>Meaning</th>"
    "<th>Since Version</th></tr></thead>\n<tr>\n  <td><code>spark.memory.fraction</code></td>\n  <td>0.6</td>\n"
    "  <td>Fraction of (heap space - 300MB) used for execution and storage.</td>\n  <td>1.6.0</td>\n</tr>\n"
    "<tr><td><code>spark.memory.storageFraction</code></td><td>0.5</td><td>Amount of storage memory immune to eviction.</td>"
    "<td>1.6.0</td></tr>\n</table>\n\n# Other\n\nlocal[2] keeps its brackets.\n";

static void test_markdown_chunker(void) {
  rag_chunks c = {0};
  sic_err err = {0};
  CHECK(rag_chunk_markdown("tuning.md", spark_doc, strlen(spark_doc), &c, &err) == 0, "%s", err.msg);
  CHECK_EQ_STR(c.title, "Spark Tuning");
  const rag_chunk *mem = find_chunk(&c, "unified memory");
  CHECK(mem != NULL);
  if (mem) {
    CHECK_EQ_STR(mem->heading, "Spark Tuning > Memory");
    CHECK(strstr(mem->text, "memory.html") == NULL, "link target kept: %s", mem->text);
    CHECK(strstr(mem->text, "`") == NULL, "code span markers kept: %s", mem->text);
  }
  const rag_chunk *gc = find_chunk(&c, "G1");
  CHECK(gc && strstr(gc->text, "G1 & friends") && strstr(gc->text, "site.SPARK_VERSION"), "%s", gc ? gc->text : "none");
  /* The Liquid highlight block stays whole and its "# ..." comment is no heading. */
  const rag_chunk *code = find_chunk(&c, "val conf");
  CHECK(code && strstr(code->text, "conf.set") && strstr(code->text, "# not a heading"));
  for (size_t i = 0; i < c.n; i++) CHECK(strstr(c.v[i].heading, "not a heading") == NULL);
  CHECK(find_chunk(&c, "table of contents") == NULL);
  /* Every property row is its own chunk with name and since-version. */
  const rag_chunk *frac = find_chunk(&c, "Property Name: spark.memory.fraction");
  CHECK(frac != NULL);
  if (frac) {
    CHECK_EQ_INT(frac->kind, RAG_CHUNK_PROPERTY);
    CHECK_EQ_STR(frac->name, "spark.memory.fraction");
    CHECK_EQ_STR(frac->since, "1.6.0");
    CHECK_EQ_STR(frac->section, "Properties");
    CHECK_EQ_STR(frac->heading, "Spark Tuning > Memory > Garbage Collection > Properties");
    CHECK(strstr(frac->text, "Default: 0.6") && strstr(frac->text, "Fraction of (heap space - 300MB)"), "%s", frac->text);
    CHECK(strstr(frac->text, "storageFraction") == NULL, "rows merged: %s", frac->text);
    CHECK(frac->line > 20, "line %d", frac->line);
  }
  CHECK(find_chunk(&c, "Property Name: spark.memory.storageFraction") != NULL);
  const rag_chunk *other = find_chunk(&c, "brackets");
  CHECK(other && strstr(other->text, "local[2]") && !strcmp(other->heading, "Spark Tuning > Other"));
  rag_chunks_free(&c);
}

static const char *delta_doc =
    "---\ntitle: Best practices\ndescription: x\n---\n\nimport { Tabs, TabItem } from \"@astrojs/starlight/components\";\n\n"
    "## Compact files\n\nRewrite small files.\n\n<Tabs syncKey=\"x\">\n  <TabItem label=\"Scala\">\n"
    "    ```scala\n    spark.read.format(\"delta\")\n\n    .load(path)\n    ```\n  </TabItem>\n</Tabs>\n\n"
    "| Property | Description | Default |\n|---|---|---|\n| `delta.appendOnly` | `true` for append-only \\| tables. | `false` |\n"
    "| `delta.logRetentionDuration` | How long history is kept. | `interval 30 days` |\n";

static void test_mdx_chunker(void) {
  rag_chunks c = {0};
  sic_err err = {0};
  CHECK(rag_chunk_markdown("best-practices.mdx", delta_doc, strlen(delta_doc), &c, &err) == 0, "%s", err.msg);
  CHECK_EQ_STR(c.title, "Best practices");
  for (size_t i = 0; i < c.n; i++) {
    CHECK(strstr(c.v[i].text, "import {") == NULL && strstr(c.v[i].text, "TabItem") == NULL, "%s", c.v[i].text);
  }
  const rag_chunk *code = find_chunk(&c, "format(\"delta\")");
  CHECK(code && strstr(code->text, ".load(path)"), "fenced code split or lost");
  const rag_chunk *p = find_chunk(&c, "Property: delta.appendOnly");
  CHECK(p && p->kind == RAG_CHUNK_PROPERTY && !strcmp(p->name, "delta.appendOnly"));
  if (p) CHECK(strstr(p->text, "Default: false") != NULL, "%s", p->text);
  CHECK(find_chunk(&c, "Property: delta.logRetentionDuration") != NULL);
  rag_chunks_free(&c);
}

static void test_html_headings(void) {
  const char *html = "<h1>Delta Lake</h1>\n<p>Intro text.</p>\n<h2 id=\"vac\">Vacuum <code>files</code></h2>\n"
                     "<p>Vacuum removes files.</p>\n";
  rag_chunks c = {0};
  sic_err err = {0};
  CHECK(rag_chunk_markdown("page.html", html, strlen(html), &c, &err) == 0, "%s", err.msg);
  CHECK_EQ_STR(c.title, "Delta Lake");
  const rag_chunk *v = find_chunk(&c, "Vacuum removes");
  CHECK(v && !strcmp(v->heading, "Delta Lake > Vacuum files") && !strcmp(v->section, "Vacuum files"), "%s",
        v ? v->heading : "none");
  rag_chunks_free(&c);
}

static void test_log_loader(void) {
  const char *log =
      "23/11/07 10:59:24.335 main INFO SparkContext: Running Spark version 3.3.0\n"
      "23/11/07 10:59:25 INFO DAGScheduler: Job 0 finished\n"
      "23/11/07 10:59:26.001 task-result-getter-0 WARN TaskSetManager: Lost task 0.0 in stage 1.0\n"
      "java.lang.OutOfMemoryError: Java heap space\n"
      "\tat org.apache.spark.Foo.bar(Foo.scala:10)\n"
      "2023-11-07 10:59:27,100 ERROR org.apache.spark.executor.Executor - Exception in task 1.0\n";
  rag_chunks c = {0};
  sic_err err = {0};
  setenv("SIC_RAG_SCRIPTS", SIC_SOURCE_DIR "/scripts", 1);
  CHECK(rag_chunk_log("driverlog", log, strlen(log), &c, &err) == 0, "%s", err.msg);
  const rag_chunk *warn = find_chunk(&c, "Lost task");
  CHECK(warn && warn->kind == RAG_CHUNK_LOG && strstr(warn->text, "OutOfMemoryError") && strstr(warn->text, "Foo.scala:10"),
        "stack trace not folded: %s", warn ? warn->text : "none");
  if (warn) {
    CHECK_EQ_INT(warn->line, 3);
    CHECK(strstr(warn->section, "WARN TaskSetManager") != NULL, "%s", warn->section);
  }
  const rag_chunk *error = find_chunk(&c, "Exception in task");
  CHECK(error && strstr(error->section, "ERROR Executor"), "%s", error ? error->section : "none");
  const rag_chunk *info = find_chunk(&c, "Running Spark version");
  CHECK(info && strstr(info->text, "Job 0 finished"), "INFO records not windowed together");
  rag_chunks_free(&c);
  /* Not a log at all: a clear error, no crash. */
  rag_chunks bad = {0};
  const char *notlog = "hello\nworld\n";
  CHECK(rag_chunk_log("notes.log", notlog, strlen(notlog), &bad, &err) == SIC_EFORMAT);
  CHECK(strstr(err.msg, "notes.log") && strstr(err.msg, "no log4j record"), "%s", err.msg);
  rag_chunks_free(&bad);
}

static void test_faiss_shim(void) {
  enum { N = 500, D = 16, K = 5 };
  float *x = malloc(sizeof(float) * N * D);
  unsigned s = 7;
  for (int i = 0; i < N * D; i++) x[i] = (float)((s = s * 1103515245u + 12345u) >> 8 & 0xffff) / 65536.0f - 0.5f;
  rag_dense *ix = NULL;
  sic_err err = {0};
  CHECK(rag_dense_build(x, N, D, "Flat", &ix, &err) == 0, "%s", err.msg);
  if (!ix) return;
  CHECK_EQ_INT(rag_dense_count(ix), N);
  CHECK_EQ_INT(rag_dense_dims(ix), D);
  /* Exact index: the top hit of query i equals brute-force max inner product. */
  for (int q = 0; q < 20; q++) {
    float scores[K];
    int64_t labels[K];
    CHECK(rag_dense_search(ix, x + q * D, 1, K, scores, labels, &err) == 0, "%s", err.msg);
    int best = -1;
    double bestv = -1e30;
    for (int i = 0; i < N; i++) {
      double v = 0;
      for (int d = 0; d < D; d++) v += (double)x[q * D + d] * x[i * D + d];
      if (v > bestv) bestv = v, best = i;
    }
    CHECK_EQ_INT(labels[0], best);
    CHECK(fabs(scores[0] - bestv) < 1e-4, "score %f vs %f", scores[0], bestv);
  }
  char path[512];
  snprintf(path, sizeof path, "%s/x.faiss", tmpdir);
  CHECK(rag_dense_save(ix, path, &err) == 0, "%s", err.msg);
  rag_dense *back = NULL;
  CHECK(rag_dense_load(path, &back, &err) == 0, "%s", err.msg);
  if (back) CHECK_EQ_INT(rag_dense_count(back), N);
  rag_dense_free(back);
  /* HNSW takes efSearch through ParameterSpace; an unknown parameter is an error. */
  rag_dense *h = NULL;
  CHECK(rag_dense_build(x, N, D, "HNSW16", &h, &err) == 0, "%s", err.msg);
  if (h) {
    CHECK(rag_dense_set(h, "efSearch", 64, &err) == 0, "%s", err.msg);
    CHECK(rag_dense_set(h, "no_such_knob", 1, &err) != 0);
  }
  rag_dense_free(h);
  /* Errors come back as messages, not exceptions or crashes. */
  rag_dense *bad = NULL;
  CHECK(rag_dense_build(x, N, D, "NoSuchIndexType", &bad, &err) != 0 && bad == NULL);
  CHECK(strstr(err.msg, "faiss") != NULL, "%s", err.msg);
  CHECK(rag_dense_load("/nonexistent/x.faiss", &bad, &err) != 0 && bad == NULL);
  CHECK(strstr(err.msg, "/nonexistent/x.faiss") != NULL, "%s", err.msg);
  rag_dense_free(ix);
  free(x);
}

static void test_lsa(void) {
  const char *texts[] = {
    "executor memory overhead heap garbage collection",   "garbage collection pauses heap memory tuning",
    "shuffle partitions join aggregation skew",           "skew join shuffle partitions adaptive",
    "delta table vacuum retention files",                 "vacuum delta table old files retention period",
    "kafka streaming source offsets",                     "structured streaming kafka offsets checkpoint",
  };
  rag_lsa *m = NULL;
  float *vecs = NULL;
  sic_err err = {0};
  CHECK(rag_lsa_train(texts, 8, 4, 1, &m, &vecs, &err) == 0, "%s", err.msg);
  if (!m) return;
  CHECK(m->dims >= 2 && m->dims <= 4, "dims %d", m->dims);
  float *q = malloc(sizeof(float) * m->dims);
  CHECK(rag_lsa_embed(m, "vacuum retention", q) == 0);
  int best = -1;
  double bestv = -2;
  for (int i = 0; i < 8; i++) {
    double v = 0;
    for (int d = 0; d < m->dims; d++) v += (double)q[d] * vecs[i * m->dims + d];
    if (v > bestv) bestv = v, best = i;
  }
  CHECK(best == 4 || best == 5, "vacuum query nearest to text %d", best);
  CHECK(rag_lsa_embed(m, "zzz qqq", q) == 1, "unknown words must report no signal");
  /* Round trip through the file format; a truncated file is a format error. */
  char path[512];
  snprintf(path, sizeof path, "%s/m.lsa", tmpdir);
  FILE *f = fopen(path, "wb");
  CHECK(rag_lsa_write(m, f) == 0);
  fclose(f);
  f = fopen(path, "rb");
  rag_lsa *back = NULL;
  CHECK(rag_lsa_read(f, &back, &err) == 0, "%s", err.msg);
  fclose(f);
  if (back) {
    float *q2 = malloc(sizeof(float) * back->dims);
    rag_lsa_embed(back, "vacuum retention", q2);
    rag_lsa_embed(m, "vacuum retention", q);
    CHECK(memcmp(q, q2, sizeof(float) * m->dims) == 0, "model changed in the round trip");
    free(q2);
  }
  rag_lsa_free(back);
  CHECK(truncate(path, 30) == 0);
  f = fopen(path, "rb");
  CHECK(rag_lsa_read(f, &back, &err) == SIC_EFORMAT && back == NULL);
  fclose(f);
  free(q);
  free(vecs);
  rag_lsa_free(m);
}

static void test_incremental_ingest(void) {
  char docs[512], kbpath[512];
  snprintf(docs, sizeof docs, "%s/docs", tmpdir);
  snprintf(kbpath, sizeof kbpath, "%s/kb.db", tmpdir);
  mkdir(docs, 0755);
  write_file("docs/a.md", "# Alpha\n\n## Vacuum\n\nVacuum removes old files after the retention period.\n\n"
                          "## Shuffle\n\nShuffle partitions control join parallelism.\n");
  write_file("docs/b.md", "# Beta\n\n## Kafka\n\nStreaming reads offsets from Kafka topics.\n\n"
                          "## Memory\n\nExecutor memory overhead covers native allocations.\n");
  write_file("docs/ignored.txt", "not a document");
  write_file("docs/broken.log", "this file is named like a log\nbut holds no log4j record\n");
  sic_err err = {0};
  rag_kb *kb = NULL;
  CHECK(rag_kb_open(kbpath, &kb, &err) == 0, "%s", err.msg);
  if (!kb) return;
  rag_ingest_stats st = {0};
  CHECK(rag_kb_ingest(kb, docs, "team", &st, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(st.files, 4);
  CHECK_EQ_INT(st.files_skipped, 1);
  CHECK_EQ_INT(st.files_failed, 1);
  CHECK(strstr(st.first_failure, "broken.log") && strstr(st.first_failure, "no log4j record"), "%s", st.first_failure);
  CHECK_EQ_INT(st.chunks_added, 4);
  int64_t gen = rag_kb_generation(kb);
  CHECK(rag_kb_refresh(kb, 0, 0, &err) == 0, "%s", err.msg);

  rag_hits h;
  rag_query q = {.text = "how long until vacuum deletes old files", .k = 3};
  CHECK(rag_kb_search(kb, &q, &h, &err) == 0, "%s", err.msg);
  CHECK(h.n >= 1 && !strcmp(h.v[0].doc, "a.md") && !strcmp(h.v[0].section, "Vacuum") &&
            !strcmp(h.v[0].source, "team") && h.v[0].bm25_rank == 1,
        "top hit %s § %s", h.n ? h.v[0].doc : "-", h.n ? h.v[0].section : "-");
  char first_id[64];
  snprintf(first_id, sizeof first_id, "%s", h.n ? h.v[0].chunk_id : "");
  rag_hits_free(&h);

  /* Same content again: nothing added, generation unchanged, dense index still current. */
  rag_ingest_stats again = {0};
  CHECK(rag_kb_ingest(kb, docs, "team", &again, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(again.files_unchanged, 2);
  CHECK_EQ_INT(again.chunks_added, 0);
  CHECK_EQ_INT(rag_kb_generation(kb), gen);
  CHECK(rag_kb_dense_load(kb, &err) == 0, "%s", err.msg);

  /* Change one section: exactly one chunk replaced; the untouched chunk keeps its id. */
  write_file("docs/a.md", "# Alpha\n\n## Vacuum\n\nVacuum removes old files after the retention period.\n\n"
                          "## Shuffle\n\nShuffle partitions control the parallelism of joins and aggregations.\n");
  rag_ingest_stats changed = {0};
  CHECK(rag_kb_ingest(kb, docs, "team", &changed, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(changed.chunks_added, 1);
  CHECK_EQ_INT(changed.chunks_removed, 1);
  CHECK(rag_kb_generation(kb) == gen + 1);
  /* The dense index is now stale: dense search says so instead of returning wrong rows. */
  rag_query dq = {.text = "vacuum", .k = 3, .mode = RAG_MODE_DENSE};
  CHECK(rag_kb_search(kb, &dq, &h, &err) == SIC_ENOTFOUND && strstr(err.msg, "reindex"), "%s", err.msg);
  CHECK(rag_kb_refresh(kb, 0, 0, &err) == 0, "%s", err.msg);
  CHECK(rag_kb_search(kb, &q, &h, &err) == 0, "%s", err.msg);
  CHECK(h.n >= 1 && !strcmp(h.v[0].chunk_id, first_id), "unchanged chunk changed id");
  rag_hits_free(&h);

  /* Source filter: nothing from another source leaks in. */
  CHECK(rag_kb_ingest(kb, docs, "other", &st, &err) == 0, "%s", err.msg);
  CHECK(rag_kb_refresh(kb, 0, 0, &err) == 0, "%s", err.msg);
  rag_query fq = {.text = "kafka offsets", .k = 10, .source = "other"};
  CHECK(rag_kb_search(kb, &fq, &h, &err) == 0, "%s", err.msg);
  CHECK(h.n >= 1);
  for (size_t i = 0; i < h.n; i++) CHECK_EQ_STR(h.v[i].source, "other");
  rag_hits_free(&h);
  /* Questions made only of punctuation or FTS operators are harmless. */
  rag_query odd = {.text = "\"* OR NEAR( -- ;", .k = 3};
  CHECK(rag_kb_search(kb, &odd, &h, &err) == 0, "%s", err.msg);
  rag_hits_free(&h);

  /* Version preference: the better-matching property was introduced in 3.5.0; asking for 3.0
   * puts the one that exists there first, asking for 3.5.1 changes nothing. */
  write_file("docs/props.md", "# Props\n\n<table>\n<thead><tr><th>Property Name</th><th>Default</th><th>Meaning</th>"
                              "<th>Since Version</th></tr></thead>\n"
                              "<tr><td>spark.zeta.newKnob</td><td>1</td><td>Controls the zeta widget, zeta style.</td><td>3.5.0</td></tr>\n"
                              "<tr><td>spark.zeta.oldKnob</td><td>1</td><td>Controls the zeta widget.</td><td>1.0.0</td></tr>\n"
                              "</table>\n");
  CHECK(rag_kb_ingest(kb, docs, "versions", &st, &err) == 0, "%s", err.msg);
  CHECK(rag_kb_refresh(kb, 0, 0, &err) == 0, "%s", err.msg);
  rag_query vq = {.text = "zeta widget", .k = 2, .source = "versions", .mode = RAG_MODE_BM25};
  CHECK(rag_kb_search(kb, &vq, &h, &err) == 0 && h.n == 2, "%s", err.msg);
  if (h.n == 2) CHECK(strstr(h.v[0].text, "newKnob") != NULL, "without a preference the better match leads: %s", h.v[0].text);
  rag_hits_free(&h);
  vq.spark_version = "3.0";
  CHECK(rag_kb_search(kb, &vq, &h, &err) == 0 && h.n == 2, "%s", err.msg);
  if (h.n == 2) CHECK(strstr(h.v[0].text, "oldKnob") != NULL, "%s", h.v[0].text);
  rag_hits_free(&h);
  vq.spark_version = "3.5.1";
  CHECK(rag_kb_search(kb, &vq, &h, &err) == 0 && h.n == 2, "%s", err.msg);
  if (h.n == 2) CHECK(strstr(h.v[0].text, "newKnob") != NULL, "a 3.5.0 property penalised in 3.5.1");
  rag_hits_free(&h);

  rag_kb_stats s;
  CHECK(rag_kb_stats_get(kb, &s, &err) == 0);
  CHECK_EQ_INT(s.nsources, 3);
  CHECK(s.dense_ready == 1 && !strcmp(s.index_type, "Flat"), "%d %s", s.dense_ready, s.index_type);

  /* An approximate index chosen by SIC_KB_INDEX is built, tuned, persisted and reloaded. */
  setenv("SIC_KB_INDEX", "HNSW16", 1);
  CHECK(rag_kb_refresh(kb, 1, 0, &err) == 0, "%s", err.msg);
  unsetenv("SIC_KB_INDEX");
  rag_kb_close(kb);
  CHECK(rag_kb_open(kbpath, &kb, &err) == 0, "%s", err.msg);
  if (!kb) return;
  rag_query hq = {.text = "kafka offsets", .k = 1, .mode = RAG_MODE_DENSE, .source = "team"};
  CHECK(rag_kb_search(kb, &hq, &h, &err) == 0 && h.n == 1 && !strcmp(h.v[0].section, "Kafka"), "%s", err.msg);
  rag_hits_free(&h);
  CHECK(rag_kb_stats_get(kb, &s, &err) == 0 && !strcmp(s.index_type, "HNSW16"), "%s", s.index_type);
  rag_kb_close(kb);

  /* Not a knowledge base: a clear error naming the file. */
  char junk[512];
  snprintf(junk, sizeof junk, "%s/junk.db", tmpdir);
  write_file("junk.db", "this is not sqlite at all, just text that goes on for a while...................\n");
  CHECK(rag_kb_open(junk, &kb, &err) != 0 && kb == NULL);
  CHECK(strstr(err.msg, "junk.db") != NULL, "%s", err.msg);
  CHECK(rag_kb_open("/nonexistent-dir/kb.db", &kb, &err) != 0 && strstr(err.msg, "/nonexistent-dir/kb.db"), "%s", err.msg);
  /* Ingesting a missing path names it. */
  CHECK(rag_kb_open(kbpath, &kb, &err) == 0);
  if (kb) {
    CHECK(rag_kb_ingest(kb, "/no/such/docs", NULL, &st, &err) == SIC_ENOTFOUND && strstr(err.msg, "/no/such/docs"), "%s",
          err.msg);
    rag_kb_close(kb);
  }
}

int main(void) {
  if (!mkdtemp(tmpdir)) return 1;
  test_markdown_chunker();
  test_mdx_chunker();
  test_html_headings();
  test_log_loader();
  test_faiss_shim();
  test_lsa();
  test_incremental_ingest();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  CHECK(system(cmd) == 0);
  return CHECK_RESULT();
}
