/* The LLM and embeddings clients against a local HTTP server started by this test that speaks
 * the OpenAI protocol: streamed chunks (SSE), non-streamed answers, 429 then success, 500 until
 * the retries run out, a server slower than the timeout, a hang-up, malformed JSON in a stream
 * and in a body, embeddings good and bad, and a closed port. Every case must end with an answer
 * or a clear error, quickly: no crash, no hang. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "rag/llm.h"
#include "rag/rag.h"

static int port;
static int hits_flaky; /* requests seen by the /flaky endpoint */
static int hits_down;  /* requests seen by the /down endpoint */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void send_all(int fd, const char *s) {
  size_t n = strlen(s);
  while (n) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    s += w, n -= (size_t)w;
  }
}

static void respond(int fd, int status, const char *type, const char *body) {
  char head[512];
  snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
           status, type, strlen(body), status == 429 ? "Retry-After: 0\r\n" : "");
  send_all(fd, head);
  send_all(fd, body);
}

/* A stream sent in separate writes with pauses so the client sees real chunking. */
static void stream(int fd, const char *const *events) {
  send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
  for (int i = 0; events[i]; i++) {
    send_all(fd, events[i]);
    usleep(5000);
  }
}

static const char *const good_stream[] = {
  ": keep-alive comment\n\n",
  "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
  "data: {\"choices\":[{\"delta\":{\"content\":\"Raise \"}}]}\n\n",
  "data: {\"choices\":[{\"delta\":{\"content\":\"spark.sql.shuffle.partitions [sql-performance-tuning.md \\u00a7 Other]\"}}]}\r\n\r\n",
  "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
  "data: [DONE]\n\n",
  NULL};

static const char *const bad_stream[] = {
  "data: {\"choices\":[{\"delta\":{\"content\":\"partial\"}}]}\n\n",
  "data: {\"choices\": [oops\n\n",
  "data: [DONE]\n\n",
  NULL};

/* A deterministic toy embedder: each input becomes a 16-bucket bag of its words, so texts that
 * share words are near each other. Inputs are parsed from "input":[...] (plain strings). */
static void embed_words(int fd, const char *req) {
  const char *p = strstr(req, "\"input\":[");
  if (p) p += strlen("\"input\":[") - 1; /* at '[': the next quote opens the first input */
  char body[65536];
  size_t n = (size_t)snprintf(body, sizeof body, "{\"data\":[");
  for (int item = 0; p && (p = strchr(p + 1, '"')) && n < sizeof body - 512; item++) {
    const char *end = p + 1;
    while (*end && *end != '"') end += *end == '\\' ? 2 : 1;
    double v[16] = {0};
    for (const char *w = p + 1; w < end;) {
      while (w < end && !isalnum((unsigned char)*w)) w++;
      unsigned h = 5381;
      int len = 0;
      for (; w < end && isalnum((unsigned char)*w); w++, len++) h = h * 33 + (unsigned)tolower((unsigned char)*w);
      if (len > 2) v[h % 16] += 1;
    }
    n += (size_t)snprintf(body + n, sizeof body - n, "%s{\"index\":%d,\"embedding\":[", item ? "," : "", item);
    for (int k = 0; k < 16; k++) n += (size_t)snprintf(body + n, sizeof body - n, "%s%g", k ? "," : "", v[k] + 0.01);
    n += (size_t)snprintf(body + n, sizeof body - n, "]}");
    p = end;
    if (end[1] == ']') break;
  }
  snprintf(body + n, sizeof body - n, "]}");
  respond(fd, 200, "application/json", body);
}

static const char *const ask_stream[] = {
  "data: {\"choices\":[{\"delta\":{\"content\":\"Vacuum deletes files older than the retention period \"}}]}\n\n",
  "data: {\"choices\":[{\"delta\":{\"content\":\"[team/docs.md \u00a7 Vacuum]; see also [team/other.md \u00a7 Made Up].\"}}]}\n\n",
  "data: [DONE]\n\n",
  NULL};

static void *serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  char req[65536];
  size_t n = 0;
  /* Read headers and the body announced by Content-Length. */
  for (;;) {
    ssize_t r = recv(fd, req + n, sizeof req - 1 - n, 0);
    if (r <= 0) break;
    n += (size_t)r;
    req[n] = 0;
    char *hend = strstr(req, "\r\n\r\n");
    if (!hend) continue;
    char *cl = strcasestr(req, "Content-Length:");
    size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
    if (n >= (size_t)(hend + 4 - req) + want) break;
  }
  char path[256] = "";
  sscanf(req, "POST %255s", path);
  if (strstr(path, "/stream/")) {
    stream(fd, good_stream);
  } else if (strstr(path, "/plain/")) {
    respond(fd, 200, "application/json", "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"plain \\\"answer\\\"\"}}]}");
  } else if (strstr(path, "/flaky/")) {
    pthread_mutex_lock(&lock);
    int k = ++hits_flaky;
    pthread_mutex_unlock(&lock);
    if (k <= 2) respond(fd, 429, "application/json", "{\"error\":{\"message\":\"rate limited\"}}");
    else stream(fd, good_stream);
  } else if (strstr(path, "/down/")) {
    pthread_mutex_lock(&lock);
    hits_down++;
    pthread_mutex_unlock(&lock);
    respond(fd, 500, "application/json", "{\"error\":{\"message\":\"model overloaded\"}}");
  } else if (strstr(path, "/slow/")) {
    sleep(3);
    respond(fd, 200, "application/json", "{}");
  } else if (strstr(path, "/badjson/")) {
    stream(fd, bad_stream);
  } else if (strstr(path, "/badplain/")) {
    respond(fd, 200, "application/json", "this is not json");
  } else if (strstr(path, "/nodata/")) {
    respond(fd, 200, "text/event-stream", "hello there\n");
  } else if (strstr(path, "/hangup/")) {
    /* close without a response */
  } else if (strstr(path, "/askllm/")) {
    stream(fd, ask_stream);
  } else if (strstr(path, "/embedkb/")) {
    embed_words(fd, req);
  } else if (strstr(path, "/embed/")) {
    respond(fd, 200, "application/json",
            "{\"object\":\"list\",\"data\":[{\"index\":0,\"embedding\":[0.5,-1e-3,2]},{\"index\":1,\"embedding\":[1,0,-0.25]}]}");
  } else if (strstr(path, "/embedbad/")) {
    respond(fd, 200, "application/json", "{\"data\":[{\"index\":0,\"embedding\":[1,2,\"x\"]},{\"index\":1,\"embedding\":[1,2,3]}]}");
  } else if (strstr(path, "/embedshort/")) {
    respond(fd, 200, "application/json", "{\"data\":[{\"index\":0,\"embedding\":[1,2,3]}]}");
  } else {
    respond(fd, 404, "text/plain", "no such endpoint");
  }
  close(fd);
  return NULL;
}

static void *server(void *arg) {
  int lfd = (int)(intptr_t)arg;
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) return NULL;
    pthread_t t;
    pthread_create(&t, NULL, serve, (void *)(intptr_t)fd);
    pthread_detach(t);
  }
}

static int start_server(void) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 16) || getsockname(lfd, (struct sockaddr *)&a, &len))
    return -1;
  port = ntohs(a.sin_port);
  pthread_t t;
  pthread_create(&t, NULL, server, (void *)(intptr_t)lfd);
  pthread_detach(t);
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Collects streamed tokens. */
typedef struct tokens {
  char text[1024];  /* concatenated tokens */
  int calls;        /* callback invocations */
} tokens;

static void on_token(const char *s, size_t n, void *ctx) {
  tokens *t = ctx;
  strncat(t->text, s, n < sizeof t->text - strlen(t->text) - 1 ? n : sizeof t->text - strlen(t->text) - 1);
  t->calls++;
}

static rag_llm_config cfg_for(const char *scenario, char *url, size_t n) {
  snprintf(url, n, "http://127.0.0.1:%d/%s/v1", port, scenario);
  rag_llm_config c = {.url = url, .model = "test-model", .api_key = "k", .connect_timeout_ms = 1000,
                      .timeout_ms = 2000, .max_retries = 2, .backoff_ms = 10, .stream = 1};
  return c;
}

static void test_chat(void) {
  char url[256], *answer = NULL;
  sic_err err = {0};
  tokens tk = {0};
  rag_llm_config c = cfg_for("stream", url, sizeof url);
  CHECK(rag_llm_chat(&c, "system", "question with \"quotes\"\nand lines", on_token, &tk, &answer, &err) == 0, "%s", err.msg);
  CHECK_EQ_STR(answer, "Raise spark.sql.shuffle.partitions [sql-performance-tuning.md \xc2\xa7 Other]");
  CHECK_EQ_STR(tk.text, answer);
  CHECK(tk.calls == 2, "tokens delivered in %d calls", tk.calls);
  free(answer);

  c = cfg_for("plain", url, sizeof url);
  c.stream = 0;
  CHECK(rag_llm_chat(&c, "s", "u", NULL, NULL, &answer, &err) == 0, "%s", err.msg);
  CHECK_EQ_STR(answer, "plain \"answer\"");
  free(answer);

  /* 429 twice (Retry-After: 0), then success on the third attempt. */
  c = cfg_for("flaky", url, sizeof url);
  memset(&tk, 0, sizeof tk);
  CHECK(rag_llm_chat(&c, "s", "u", on_token, &tk, &answer, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(hits_flaky, 3);
  CHECK(answer && strstr(answer, "shuffle.partitions"));
  free(answer);

  /* 500 on every attempt: the server's message, the status and the attempt count. */
  c = cfg_for("down", url, sizeof url);
  CHECK(rag_llm_chat(&c, "s", "u", NULL, NULL, &answer, &err) == SIC_EIO && answer == NULL);
  CHECK(strstr(err.msg, "HTTP 500") && strstr(err.msg, "model overloaded") && strstr(err.msg, "3 attempts"), "%s", err.msg);
  CHECK_EQ_INT(hits_down, 3);

  /* A server slower than the timeout: bounded time, a timeout error. */
  c = cfg_for("slow", url, sizeof url);
  c.timeout_ms = 300;
  c.max_retries = 1;
  double t0 = now();
  CHECK(rag_llm_chat(&c, "s", "u", NULL, NULL, &answer, &err) == SIC_EIO);
  double took = now() - t0;
  CHECK(took < 2.0, "timeout took %.2f s", took);
  CHECK(strstr(err.msg, "imeout") || strstr(err.msg, "timed out"), "%s", err.msg);

  /* Malformed JSON in the middle of a stream: named, not retried after tokens went out. */
  c = cfg_for("badjson", url, sizeof url);
  memset(&tk, 0, sizeof tk);
  CHECK(rag_llm_chat(&c, "s", "u", on_token, &tk, &answer, &err) == SIC_EFORMAT, "%s", err.msg);
  CHECK(strstr(err.msg, "malformed JSON in streamed chunk 2") != NULL, "%s", err.msg);
  CHECK_EQ_STR(tk.text, "partial");

  c = cfg_for("badplain", url, sizeof url);
  c.stream = 0;
  CHECK(rag_llm_chat(&c, "s", "u", NULL, NULL, &answer, &err) == SIC_EFORMAT && strstr(err.msg, "malformed JSON"), "%s",
        err.msg);
  c = cfg_for("nodata", url, sizeof url);
  CHECK(rag_llm_chat(&c, "s", "u", NULL, NULL, &answer, &err) == SIC_EFORMAT && strstr(err.msg, "without any data"), "%s",
        err.msg);
  c = cfg_for("hangup", url, sizeof url);
  CHECK(rag_llm_chat(&c, "s", "u", NULL, NULL, &answer, &err) == SIC_EIO && strstr(err.msg, "attempts"), "%s", err.msg);
  c = cfg_for("missing", url, sizeof url);
  CHECK(rag_llm_chat(&c, "s", "u", NULL, NULL, &answer, &err) == SIC_EIO && strstr(err.msg, "HTTP 404"), "%s", err.msg);

  /* Nobody listening. */
  rag_llm_config closed = {.url = "http://127.0.0.1:1/v1", .model = "m", .connect_timeout_ms = 500, .timeout_ms = 1000,
                           .max_retries = 1, .backoff_ms = 10};
  CHECK(rag_llm_chat(&closed, "s", "u", NULL, NULL, &answer, &err) == SIC_EIO && strstr(err.msg, "127.0.0.1:1"), "%s", err.msg);
  rag_llm_config none = {0};
  CHECK(rag_llm_chat(&none, "s", "u", NULL, NULL, &answer, &err) == SIC_EINVAL && strstr(err.msg, "SIC_LLM_URL"));
}

static void test_embeddings(void) {
  char url[256];
  sic_err err = {0};
  const char *texts[] = {"first", "second"};
  float *v = NULL;
  int d = 0;
  rag_llm_config c = cfg_for("embed", url, sizeof url);
  CHECK(rag_llm_embed(&c, texts, 2, &v, &d, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(d, 3);
  if (v) {
    CHECK(v[0] == 0.5f && v[1] == -1e-3f && v[2] == 2.0f && v[3] == 1.0f && v[5] == -0.25f);
    free(v);
  }
  c = cfg_for("embedbad", url, sizeof url);
  CHECK(rag_llm_embed(&c, texts, 2, &v, &d, &err) == SIC_EFORMAT && v == NULL, "%s", err.msg);
  CHECK(strstr(err.msg, "malformed JSON") != NULL, "%s", err.msg);
  c = cfg_for("embedshort", url, sizeof url);
  CHECK(rag_llm_embed(&c, texts, 2, &v, &d, &err) == SIC_EFORMAT && strstr(err.msg, "got 1 embeddings for 2 inputs"), "%s",
        err.msg);
  c = cfg_for("down", url, sizeof url);
  CHECK(rag_llm_embed(&c, texts, 2, &v, &d, &err) == SIC_EIO && strstr(err.msg, "HTTP 500"), "%s", err.msg);
}

static void test_env_config(void) {
  rag_llm_config c;
  unsetenv("SIC_LLM_URL");
  CHECK(rag_llm_config_from_env(&c) == 0);
  setenv("SIC_LLM_URL", "http://x/v1", 1);
  setenv("SIC_LLM_TIMEOUT_MS", "1234", 1);
  setenv("SIC_LLM_RETRIES", "bogus", 1);
  CHECK(rag_llm_config_from_env(&c) == 1);
  CHECK_EQ_INT(c.timeout_ms, 1234);
  CHECK_EQ_INT(c.max_retries, 3); /* unparsable value falls back to the default */
}

/* The knowledge base with the remote embedder: the dense index is built and queried through
 * /v1/embeddings, and querying it without the embedder configured is a clear error. */
static void test_remote_embedder_kb(void) {
  char dir[] = "/tmp/sic-rag-embed-XXXXXX", path[512], url[256];
  if (!mkdtemp(dir)) return;
  snprintf(path, sizeof path, "%s/docs.md", dir);
  FILE *f = fopen(path, "w");
  fputs("# Docs\n\n## Vacuum\n\nVacuum deletes old files after the retention period.\n\n"
        "## Kafka\n\nStreaming reads Kafka offsets and checkpoints them.\n\n"
        "## Memory\n\nExecutor memory overhead holds native allocations.\n", f);
  fclose(f);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/embedkb/v1", port);
  setenv("SIC_EMBED_URL", url, 1);
  setenv("SIC_EMBED_MODEL", "toy-words", 1);
  char kbpath[512];
  snprintf(kbpath, sizeof kbpath, "%s/kb.db", dir);
  rag_kb *kb = NULL;
  sic_err err = {0};
  rag_ingest_stats st = {0};
  CHECK(rag_kb_open(kbpath, &kb, &err) == 0, "%s", err.msg);
  if (!kb) return;
  CHECK(rag_kb_ingest(kb, path, "t", &st, &err) == 0, "%s", err.msg);
  CHECK(rag_kb_refresh(kb, 0, 0, &err) == 0, "%s", err.msg);
  rag_kb_stats s;
  CHECK(rag_kb_stats_get(kb, &s, &err) == 0 && s.dense_ready && s.dims == 16 && !strcmp(s.embedder, "toy-words"),
        "%d %d %s", s.dense_ready, s.dims, s.embedder);
  rag_hits h;
  rag_query q = {.text = "kafka offsets checkpoints", .k = 1, .mode = RAG_MODE_DENSE};
  CHECK(rag_kb_search(kb, &q, &h, &err) == 0, "%s", err.msg);
  CHECK(h.n == 1 && !strcmp(h.v[0].section, "Kafka"), "%s", h.n ? h.v[0].section : "-");
  rag_hits_free(&h);
  rag_kb_close(kb);
  /* A fresh handle without the embedder configured: named error, not LSA garbage. */
  unsetenv("SIC_EMBED_URL");
  CHECK(rag_kb_open(kbpath, &kb, &err) == 0);
  if (kb) {
    CHECK(rag_kb_search(kb, &q, &h, &err) == SIC_EINVAL && strstr(err.msg, "toy-words") && strstr(err.msg, "SIC_EMBED_URL"),
          "%s", err.msg);
    rag_kb_close(kb);
  }
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}

/* `sic ask` end to end with an LLM: the streamed answer reaches stdout, its known citation is
 * accepted and the invented one is flagged by reasoning.lua. */
static void test_ask_with_llm(void) {
  const char *build = getenv("SIC_BUILD_DIR");
  if (!build) {
    fprintf(stderr, "SIC_BUILD_DIR not set: skipping the sic ask end-to-end case\n");
    return;
  }
  char dir[] = "/tmp/sic-rag-ask-XXXXXX", path[512], cmd[2048];
  if (!mkdtemp(dir)) return;
  snprintf(path, sizeof path, "%s/docs.md", dir);
  FILE *f = fopen(path, "w");
  fputs("# Docs\n\n## Vacuum\n\nVacuum deletes old files after the retention period.\n\n"
        "## Kafka\n\nStreaming reads Kafka offsets.\n", f);
  fclose(f);
  snprintf(cmd, sizeof cmd,
           "cd %s && env -u SIC_EMBED_URL SIC_LLM_URL=http://127.0.0.1:%d/askllm/v1 SIC_LLM_RETRIES=0 "
           "%s/sic kb ingest docs.md --source team --store kb.db >/dev/null && "
           "env -u SIC_EMBED_URL SIC_LLM_URL=http://127.0.0.1:%d/askllm/v1 SIC_LLM_RETRIES=0 %s/sic ask 'how does vacuum work' --store kb.db 2>&1",
           dir, port, build, port, build);
  FILE *p = popen(cmd, "r");
  char out[8192] = "";
  size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
  out[n] = 0;
  int status = p ? pclose(p) : -1;
  CHECK(status == 0, "exit status %d: %s", status, out);
  CHECK(strstr(out, "Vacuum deletes files older than the retention period [team/docs.md \xc2\xa7 Vacuum]") != NULL, "%s", out);
  CHECK(strstr(out, "Extractive answer") == NULL, "%s", out);
  CHECK(strstr(out, "Warning: cited but not among the retrieved passages: [team/other.md \xc2\xa7 Made Up]") != NULL, "%s", out);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}

int main(void) {
  if (start_server()) {
    fprintf(stderr, "cannot start the local HTTP server\n");
    return 1;
  }
  test_chat();
  test_embeddings();
  test_env_config();
  test_remote_embedder_kb();
  test_ask_with_llm();
  return CHECK_RESULT();
}
