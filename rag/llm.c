/* OpenAI-compatible chat-completions and embeddings clients over libcurl (see llm.h).
 * Responses are parsed with the engine's JSON scanner (json/scan.h). */
#include "rag/llm.h"

#include <curl/curl.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/scan.h"
#include "rag/buf.h"

#define MAX_BODY (64u << 20) /* refuse responses larger than this instead of eating memory */

static long env_long(const char *name, long fallback) {
  const char *v = getenv(name);
  if (!v || !*v) return fallback;
  char *end;
  long x = strtol(v, &end, 10);
  return *end || x < 0 ? fallback : x;
}

static const char *env_str(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

int rag_llm_config_from_env(rag_llm_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->url = env_str("SIC_LLM_URL", NULL);
  cfg->model = env_str("SIC_LLM_MODEL", "gpt-4o-mini");
  cfg->api_key = env_str("SIC_LLM_API_KEY", env_str("OPENAI_API_KEY", NULL));
  cfg->timeout_ms = env_long("SIC_LLM_TIMEOUT_MS", 120000);
  cfg->connect_timeout_ms = env_long("SIC_LLM_CONNECT_TIMEOUT_MS", 5000);
  cfg->max_retries = (int)env_long("SIC_LLM_RETRIES", 3);
  cfg->backoff_ms = env_long("SIC_LLM_BACKOFF_MS", 500);
  cfg->stream = (int)env_long("SIC_LLM_STREAM", 1) != 0;
  return cfg->url != NULL;
}

int rag_embed_config_from_env(rag_llm_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->url = env_str("SIC_EMBED_URL", NULL);
  cfg->model = env_str("SIC_EMBED_MODEL", "text-embedding-3-small");
  cfg->api_key = env_str("SIC_EMBED_API_KEY", env_str("OPENAI_API_KEY", NULL));
  cfg->timeout_ms = env_long("SIC_EMBED_TIMEOUT_MS", 60000);
  cfg->connect_timeout_ms = 5000;
  cfg->max_retries = 3;
  cfg->backoff_ms = 500;
  return cfg->url != NULL;
}

/* ---- JSON helpers ------------------------------------------------------------------- */

/* Walk a path of object keys / array indexes ("choices", "#0", "delta", "content") and leave
 * the scanner at that value. Returns 1 when found, 0 when absent, -1 on malformed JSON. */
static int json_walk(sic_jscan *s, const char *const *path, int depth) {
  if (!path[depth]) return 1;
  sic_jiter it;
  const char *step = path[depth];
  if (step[0] == '#') {
    if (sic_json_peek(s) != SIC_JT_ARRAY) return s->err ? -1 : (sic_json_skip(s), 0);
    int want = atoi(step + 1), r;
    if (sic_json_arr_begin(s, &it)) return -1;
    for (int i = 0; (r = sic_json_arr_next(s, &it)) == 1; i++) {
      if (i == want) return json_walk(s, path, depth + 1);
      if (sic_json_skip(s)) return -1;
    }
    return r < 0 ? -1 : 0;
  }
  if (sic_json_peek(s) != SIC_JT_OBJECT) return s->err ? -1 : (sic_json_skip(s), 0);
  if (sic_json_obj_begin(s, &it)) return -1;
  sic_jstr key;
  int r;
  while ((r = sic_json_obj_next(s, &it, &key)) == 1) {
    if (key.len == strlen(step) && !memcmp(key.p, step, key.len)) return json_walk(s, path, depth + 1);
    if (sic_json_skip(s)) return -1;
  }
  return r < 0 ? -1 : 0;
}

/* String at path appended to out (decoded). Returns 1 found, 0 absent/null, -1 malformed. */
static int json_string_at(const char *doc, size_t len, const char *const *path, rag_buf *out) {
  sic_jscan s;
  sic_json_init(&s, doc, len);
  int r = json_walk(&s, path, 0);
  if (r <= 0) return r;
  if (sic_json_peek(&s) == SIC_JT_NULL) return 0;
  sic_jstr str;
  if (sic_json_str(&s, &str)) return -1;
  char *tmp = malloc(str.len + 1);
  if (!tmp) return -1;
  size_t n = sic_json_unescape(&str, tmp);
  int rc = rag_buf_append(out, tmp, n);
  free(tmp);
  return rc ? -1 : 1;
}

/* Whole-document validity check: one value, nothing after it. */
static int json_valid(const char *doc, size_t len) {
  sic_jscan s;
  sic_json_init(&s, doc, len);
  return sic_json_skip(&s) == 0 && sic_json_end(&s) == 0;
}

/* ---- HTTP transfer ------------------------------------------------------------------ */

/* State of one request while curl runs it. */
typedef struct transfer {
  rag_buf body;              /* response body (non-streamed, or an error body) */
  rag_buf line;              /* partial SSE line */
  rag_buf answer;            /* assembled answer text */
  int streaming;             /* parse the body as SSE */
  long status;               /* HTTP status once headers arrived */
  long retry_after_ms;       /* Retry-After header, -1 = none */
  int delivered;             /* tokens already handed to on_token (no retry after this) */
  int done;                  /* saw "data: [DONE]" */
  int events;                /* SSE data events seen */
  char fail[256];            /* why the write callback aborted the transfer */
  rag_llm_token_fn on_token; /* token sink */
  void *ctx;                 /* its context */
} transfer;

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  transfer *t = ud;
  size_t len = size * n;
  if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) t->retry_after_ms = strtol(p + 12, NULL, 10) * 1000;
  /* Status line of each response (a 100-continue is followed by the real one). */
  if (len > 9 && !strncmp(p, "HTTP/", 5)) {
    const char *sp = memchr(p, ' ', len);
    if (sp) t->status = strtol(sp + 1, NULL, 10);
  }
  return len;
}

/* One SSE line: "data: {json}" carries a chunk, "data: [DONE]" ends; comments and other
 * fields ("event:", "id:", ":keepalive") are ignored as the SSE spec says. */
static int sse_line(transfer *t, const char *line, size_t len) {
  if (len < 5 || memcmp(line, "data:", 5)) return 0;
  line += 5, len -= 5;
  while (len && *line == ' ') line++, len--;
  if (len == 6 && !memcmp(line, "[DONE]", 6)) {
    t->done = 1;
    return 0;
  }
  t->events++;
  static const char *const delta[] = {"choices", "#0", "delta", "content", NULL};
  static const char *const errmsg[] = {"error", "message", NULL};
  size_t before = t->answer.len;
  if (!json_valid(line, len)) {
    snprintf(t->fail, sizeof t->fail, "malformed JSON in streamed chunk %d: %.80s", t->events, line);
    return -1;
  }
  rag_buf e = {0};
  if (json_string_at(line, len, errmsg, &e) == 1) {
    snprintf(t->fail, sizeof t->fail, "server error in stream: %.200s", e.data);
    rag_buf_free(&e);
    return -1;
  }
  if (json_string_at(line, len, delta, &t->answer) < 0) return -1;
  if (t->answer.len > before && t->on_token) {
    t->on_token(t->answer.data + before, t->answer.len - before, t->ctx);
    t->delivered = 1;
  }
  return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  transfer *t = ud;
  size_t len = size * n;
  if (!t->streaming || t->status != 200) { /* whole body (also error bodies of streams) */
    if (t->body.len + len > MAX_BODY) {
      snprintf(t->fail, sizeof t->fail, "response larger than %u MB", MAX_BODY >> 20);
      return 0;
    }
    return rag_buf_append(&t->body, p, len) ? 0 : len;
  }
  for (size_t i = 0; i < len; i++) {
    if (p[i] != '\n') {
      if (t->line.len > MAX_BODY || rag_buf_append(&t->line, p + i, 1)) return 0;
      continue;
    }
    size_t l = t->line.len;
    if (l && t->line.data[l - 1] == '\r') l--;
    if (l && sse_line(t, t->line.data, l)) return 0;
    rag_buf_reset(&t->line);
  }
  return len;
}

/* Endpoint URL: cfg->url as given when it already names the endpoint, else base + suffix. */
static void endpoint(const char *base, const char *suffix, char *out, size_t n) {
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/') bl--;
  if (strstr(base, suffix)) snprintf(out, n, "%.*s", (int)bl, base);
  else snprintf(out, n, "%.*s%s", (int)bl, base, suffix);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Server's own error message from an error body, if it sent the usual {"error":{...}}. */
static void server_message(const transfer *t, char *out, size_t n) {
  static const char *const path[] = {"error", "message", NULL};
  rag_buf m = {0};
  out[0] = 0;
  if (t->body.len && json_string_at(t->body.data, t->body.len, path, &m) == 1) snprintf(out, n, ": %s", m.data);
  else if (t->body.len) snprintf(out, n, ": %.160s", t->body.data);
  rag_buf_free(&m);
}

static int retryable(CURLcode cc, long status) {
  if (cc == CURLE_OK) return status == 429 || status >= 500;
  return cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_RECV_ERROR ||
         cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE;
}

/* POST body to url with retries; on success t holds the response (status 200). */
static int post_json(const rag_llm_config *cfg, const char *url, const char *body, transfer *t, sic_err *err) {
  CURL *c = curl_easy_init();
  if (!c) return sic_err_set(err, SIC_ENOMEM, "cannot initialise libcurl");
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  char auth[1024];
  if (cfg->api_key) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->api_key);
    h = curl_slist_append(h, auth);
  }
  if (t->streaming) h = curl_slist_append(h, "Accept: text/event-stream");
  int attempts = 1 + (cfg->max_retries >= 0 ? cfg->max_retries : 0), rc = SIC_EIO;
  long backoff = cfg->backoff_ms > 0 ? cfg->backoff_ms : 0;
  for (int a = 0; a < attempts; a++) {
    rag_buf_reset(&t->body);
    rag_buf_reset(&t->line);
    rag_buf_reset(&t->answer);
    t->status = 0, t->retry_after_ms = -1, t->done = 0, t->events = 0, t->fail[0] = 0;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->timeout_ms > 0 ? cfg->timeout_ms : 120000L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sic-rag/1");
    /* Status must be known before the body callback decides how to parse. */
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t->status);
    if (cc == CURLE_OK && t->status == 200) {
      rc = 0;
      break;
    }
    char msg[400];
    server_message(t, msg, sizeof msg);
    if (t->fail[0]) rc = sic_err_set(err, SIC_EFORMAT, "%s: %s", url, t->fail);
    else if (cc != CURLE_OK) rc = sic_err_set(err, SIC_EIO, "%s: %s", url, curl_easy_strerror(cc));
    else rc = sic_err_set(err, SIC_EIO, "%s: HTTP %ld%s", url, t->status, msg);
    if (t->fail[0] || t->delivered || !retryable(cc, t->status) || a + 1 == attempts) {
      if (a > 0) sic_err_wrap(err, "after %d attempts: ", a + 1);
      break;
    }
    long wait = t->retry_after_ms >= 0 ? t->retry_after_ms : backoff;
    sleep_ms(wait > 30000 ? 30000 : wait);
    backoff = backoff * 2 > 8000 ? 8000 : backoff * 2;
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return rc;
}

/* ---- chat --------------------------------------------------------------------------- */

static int chat_request(const rag_llm_config *cfg, const char *system_msg, const char *user_msg, rag_buf *b) {
  int rc = rag_buf_puts(b, "{\"model\":");
  rc |= rag_buf_json_string(b, cfg->model ? cfg->model : "");
  rc |= rag_buf_puts(b, ",\"temperature\":0.1,\"stream\":");
  rc |= rag_buf_puts(b, cfg->stream ? "true" : "false");
  rc |= rag_buf_puts(b, ",\"messages\":[{\"role\":\"system\",\"content\":");
  rc |= rag_buf_json_string(b, system_msg);
  rc |= rag_buf_puts(b, "},{\"role\":\"user\",\"content\":");
  rc |= rag_buf_json_string(b, user_msg);
  rc |= rag_buf_puts(b, "}]}");
  return rc ? SIC_ENOMEM : 0;
}

int rag_llm_chat(const rag_llm_config *cfg, const char *system_msg, const char *user_msg,
                 rag_llm_token_fn on_token, void *ctx, char **answer, sic_err *err) {
  *answer = NULL;
  if (!cfg->url) return sic_err_set(err, SIC_EINVAL, "no LLM configured (set SIC_LLM_URL)");
  char url[2048];
  endpoint(cfg->url, "/chat/completions", url, sizeof url);
  rag_buf req = {0};
  transfer t = {.streaming = cfg->stream, .on_token = on_token, .ctx = ctx};
  int rc = chat_request(cfg, system_msg, user_msg, &req);
  if (rc) {
    sic_err_set(err, rc, "out of memory");
    goto done;
  }
  if ((rc = post_json(cfg, url, req.data, &t, err))) goto done;
  if (cfg->stream) {
    if (t.line.len && sse_line(&t, t.line.data, t.line.len)) { /* last line without newline */
      rc = sic_err_set(err, SIC_EFORMAT, "%s: %s", url, t.fail);
      goto done;
    }
    if (!t.done && !t.events) {
      rc = sic_err_set(err, SIC_EFORMAT, "%s: stream ended without any data event (not an SSE response?)", url);
      goto done;
    }
  } else {
    static const char *const path[] = {"choices", "#0", "message", "content", NULL};
    if (!json_valid(t.body.data ? t.body.data : "", t.body.len)) {
      rc = sic_err_set(err, SIC_EFORMAT, "%s: malformed JSON response: %.80s", url, t.body.data ? t.body.data : "");
      goto done;
    }
    if (json_string_at(t.body.data, t.body.len, path, &t.answer) != 1) {
      rc = sic_err_set(err, SIC_EFORMAT, "%s: response has no choices[0].message.content", url);
      goto done;
    }
    if (on_token) on_token(t.answer.data, t.answer.len, ctx);
  }
  if (!t.answer.len) rag_buf_append(&t.answer, "", 0);
  *answer = rag_buf_take(&t.answer);
done:
  rag_buf_free(&req);
  rag_buf_free(&t.body);
  rag_buf_free(&t.line);
  rag_buf_free(&t.answer);
  return rc;
}

/* ---- embeddings --------------------------------------------------------------------- */

/* Parse {"data":[{"embedding":[...], "index":i}, ...]} into n x dims floats. */
static int parse_embeddings(const char *doc, size_t len, size_t n, float **vectors, int *dims, char *why, size_t wn) {
  static const char *const path[] = {"data", NULL};
  sic_jscan s;
  sic_json_init(&s, doc, len);
  if (json_walk(&s, path, 0) != 1 || sic_json_peek(&s) != SIC_JT_ARRAY) return snprintf(why, wn, "no \"data\" array"), -1;
  sic_jiter items;
  sic_json_arr_begin(&s, &items);
  float *v = NULL;
  int d = 0;
  size_t count = 0;
  while (sic_json_arr_next(&s, &items) == 1) {
    sic_jiter obj;
    sic_jstr key;
    int64_t index = (int64_t)count;
    float *row = NULL;
    if (sic_json_obj_begin(&s, &obj)) break;
    while (sic_json_obj_next(&s, &obj, &key) == 1) {
      if (SIC_JSTR_IS(&key, "index")) {
        if (sic_json_i64(&s, &index)) break;
      } else if (SIC_JSTR_IS(&key, "embedding") && sic_json_peek(&s) == SIC_JT_ARRAY) {
        sic_jiter arr;
        sic_json_arr_begin(&s, &arr);
        int k = 0;
        float tmp[8192];
        while (sic_json_arr_next(&s, &arr) == 1) {
          double x;
          if (sic_json_f64(&s, &x) || k >= 8192) break;
          tmp[k++] = (float)x;
        }
        if (s.err) break;
        if (!d) d = k, v = calloc(n * (size_t)d + 1, sizeof *v);
        if (!v || k != d) return free(v), snprintf(why, wn, "embedding %zu has %d values, expected %d", count, k, d), -1;
        row = tmp;
        if (count < n) memcpy(v + count * d, row, sizeof *v * d); /* placed by position; index checked below */
      } else if (sic_json_skip(&s)) break;
    }
    if (s.err) break;
    if (index != (int64_t)count) return free(v), snprintf(why, wn, "embedding %zu carries index %lld", count, (long long)index), -1;
    if (!row) return free(v), snprintf(why, wn, "item %zu has no \"embedding\" array", count), -1;
    count++;
  }
  if (s.err) return free(v), snprintf(why, wn, "malformed JSON at byte %zu: %s", s.err_off, s.err), -1;
  if (count != n || !d) return free(v), snprintf(why, wn, "got %zu embeddings for %zu inputs", count, n), -1;
  *vectors = v;
  *dims = d;
  return 0;
}

int rag_llm_embed(const rag_llm_config *cfg, const char *const *texts, size_t n, float **vectors,
                  int *dims, sic_err *err) {
  *vectors = NULL;
  *dims = 0;
  if (!cfg->url) return sic_err_set(err, SIC_EINVAL, "no embedder configured (set SIC_EMBED_URL)");
  char url[2048];
  endpoint(cfg->url, "/embeddings", url, sizeof url);
  rag_buf req = {0};
  int rc = rag_buf_puts(&req, "{\"model\":");
  rc |= rag_buf_json_string(&req, cfg->model ? cfg->model : "");
  rc |= rag_buf_puts(&req, ",\"input\":[");
  for (size_t i = 0; i < n; i++) {
    if (i) rc |= rag_buf_puts(&req, ",");
    rc |= rag_buf_json_string(&req, texts[i]);
  }
  rc |= rag_buf_puts(&req, "]}");
  transfer t = {0};
  if (rc) {
    rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = post_json(cfg, url, req.data, &t, err))) goto done;
  char why[256];
  if (parse_embeddings(t.body.data ? t.body.data : "", t.body.len, n, vectors, dims, why, sizeof why))
    rc = sic_err_set(err, SIC_EFORMAT, "%s: %s", url, why);
done:
  rag_buf_free(&req);
  rag_buf_free(&t.body);
  rag_buf_free(&t.line);
  rag_buf_free(&t.answer);
  return rc;
}
