/* `sic ask "question" [--app LOG]`: answer a question from the knowledge base and, when an
 * application is given, its top findings.
 *
 * Flow: findings (sic_app_load_path + sic_lua_analyze) -> hybrid retrieval
 * (rag/rag.h) -> prompt and extractive answer assembled by scripts/ask/reasoning.lua (user
 * editable) -> with SIC_LLM_URL set, an OpenAI-compatible chat completion streamed to stdout
 * (rag/llm.h), its citations checked by the same script; otherwise, or when the LLM fails, the
 * extractive answer, clearly labelled. Exit 0 = answered, 1 = bad input (log, store), 2 = usage. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "lua/lua_host.h"
#include "model/model.h"
#include "rag/llm.h"
#include "rag/rag.h"

/* Options of one `sic ask` run. */
typedef struct ask_opts {
  const char *question;      /* the question */
  const char *app;           /* event log to analyse, NULL = none */
  const char *store;         /* knowledge-base file, NULL = default */
  const char *source;        /* restrict passages to one source */
  const char *version;       /* preferred Spark version */
  const char *scripts;       /* user scripts dir with ask/reasoning.lua */
  int64_t k;                 /* passages to retrieve */
  int no_llm;                /* 1: extractive answer even with an LLM configured */
  const char *config;        /* config file with an `llm = {...}` table; NULL = ./sic.lua if present */
  sic_format fmt;            /* text or json */
} ask_opts;

/* Analyse the app and return its report JSON (NULL + message on stderr when it fails). The
 * app's Spark version becomes the retrieval's version preference unless one was given. */
static int app_findings(const char *path, char **json, char *version, size_t vn, sic_err *err) {
  sic_app *app = NULL;
  *json = NULL;
  if (sic_app_load_path(path, NULL, &app, err)) return SIC_EXIT_INPUT;
  const char *v = app->spark_version >= 0 ? sic_str(app, app->spark_version) : NULL;
  snprintf(version, vn, "%s", v ? v : "");
  int64_t n = 0;
  int rc = sic_lua_analyze(app, NULL, json, &n, err);
  sic_app_free(app);
  if (rc) {
    fprintf(stderr, "sic ask: analysis of %s failed, answering from the documentation only: %s\n", path, err->msg);
    *json = NULL;
  }
  return SIC_EXIT_OK;
}

/* Move the hits of src not already in dst (same chunk id) to its end; src is emptied. */
/* Passages retrieved for all queries, deduplicated, with the query that found each. */
typedef struct passages {
  rag_hits hits;   /* the passages (owned) */
  int *query;      /* per passage: index of the query that retrieved it (0 = the question) */
  int *rank;       /* per passage: its rank in that query's results (1-based) */
} passages;

static void passages_free(passages *p) {
  rag_hits_free(&p->hits);
  free(p->query);
  free(p->rank);
}

/* Move the hits of src not already present (same chunk id) to p; src is emptied. */
static int merge_hits(passages *p, rag_hits *src, int query) {
  size_t cap = p->hits.n + src->n + 1;
  rag_hit *v = realloc(p->hits.v, cap * sizeof *v);
  if (v) p->hits.v = v;
  int *q = v ? realloc(p->query, cap * sizeof *q) : NULL, *r = q ? realloc(p->rank, cap * sizeof *r) : NULL;
  if (q) p->query = q;
  if (r) p->rank = r;
  if (!v || !q || !r) return SIC_ENOMEM;
  for (size_t i = 0; i < src->n; i++) {
    size_t j;
    for (j = 0; j < p->hits.n && strcmp(p->hits.v[j].chunk_id, src->v[i].chunk_id); j++) {}
    if (j < p->hits.n) continue;
    p->query[p->hits.n] = query;
    p->rank[p->hits.n] = (int)i + 1;
    p->hits.v[p->hits.n++] = src->v[i];
    memset(&src->v[i], 0, sizeof src->v[i]);
  }
  /* Moved entries were zeroed: freeing src frees only the duplicates. */
  rag_hits_free(src);
  return 0;
}

/* Retrieve passages for each query (the question gets k, finding queries 2 each); without a
 * dense index fall back to BM25 (and say so once). */
static int retrieve(const ask_opts *o, const char *const *queries, int nq, passages *hits, sic_err *err) {
  rag_kb *kb = NULL;
  if (rag_kb_open(o->store, &kb, err)) return SIC_EXIT_INPUT;
  rag_mode mode = RAG_MODE_HYBRID;
  int rc = 0;
  for (int i = 0; i < nq && !rc; i++) {
    rag_query q = {.text = queries[i], .k = i ? 2 : (int)o->k, .source = o->source, .spark_version = o->version,
                   .mode = mode};
    rag_hits one = {0};
    rc = rag_kb_search(kb, &q, &one, err);
    if (rc == SIC_ENOTFOUND && mode == RAG_MODE_HYBRID) {
      fprintf(stderr, "sic ask: %s; using keyword search only\n", err->msg);
      q.mode = mode = RAG_MODE_BM25;
      rc = rag_kb_search(kb, &q, &one, err);
    }
    if (!rc && merge_hits(hits, &one, i)) rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  rag_kb_close(kb);
  return rc ? SIC_EXIT_INPUT : SIC_EXIT_OK;
}

/* Ask reasoning.retrieval_queries for the queries (module at index mod), then retrieve. */
static int retrieve_for(lua_State *L, int mod, const ask_opts *o, const char *report, passages *hits, sic_err *err) {
  const char *queries[8] = {o->question};
  int nq = 1;
  lua_getfield(L, mod, "retrieval_queries");
  if (lua_isfunction(L, -1)) {
    lua_pushstring(L, o->question);
    if (report) lua_pushstring(L, report);
    else lua_pushnil(L);
    if (lua_pcall(L, 2, 1, 0)) return sic_err_set(err, SIC_EINVAL, "reasoning.retrieval_queries: %s", lua_tostring(L, -1));
    for (int i = 1; lua_istable(L, -1) && i <= (int)lua_objlen(L, -1) && nq < 8; i++) {
      lua_rawgeti(L, -1, i);
      if (lua_isstring(L, -1) && i > 1) queries[nq++] = lua_tostring(L, -1); /* kept alive by the table */
      lua_pop(L, 1);
    }
  }
  int rc = retrieve(o, queries, nq, hits, err);
  lua_pop(L, 1);
  return rc ? SIC_EINVAL : 0;
}

static void set_field(lua_State *L, const char *key, const char *value) {
  if (!value) return;
  lua_pushstring(L, value);
  lua_setfield(L, -2, key);
}

/* Push the input table for reasoning.prepare. */
static void push_input(lua_State *L, const ask_opts *o, const char *report, const passages *p) {
  const rag_hits *h = &p->hits;
  lua_newtable(L);
  set_field(L, "question", o->question);
  set_field(L, "report_json", report);
  lua_newtable(L);
  for (size_t i = 0; i < h->n; i++) {
    const rag_hit *x = &h->v[i];
    lua_newtable(L);
    set_field(L, "source", x->source);
    set_field(L, "doc", x->doc);
    set_field(L, "title", x->title);
    set_field(L, "heading", x->heading);
    set_field(L, "section", x->section);
    set_field(L, "kind", x->kind);
    set_field(L, "text", x->text);
    lua_pushnumber(L, x->score);
    lua_setfield(L, -2, "score");
    lua_pushinteger(L, p->query[i]);
    lua_setfield(L, -2, "query");
    lua_pushinteger(L, p->rank[i]);
    lua_setfield(L, -2, "rank");
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "passages");
}

/* A host state whose script search path starts with --scripts DIR (when given). */
static int new_state(const char *user_dir, lua_State **L, sic_err *err) {
  const char *dirs[1] = {user_dir};
  sic_lua_opts lo = {0};
  if (user_dir && *user_dir) {
    lo.script_dirs = dirs;
    lo.nscript_dirs = 1;
  }
  return sic_lua_new(&lo, L, err);
}

/* Call module.fn with nargs arguments already pushed above the module (module at index mod). */
static int call(lua_State *L, int mod, const char *fn, int nargs, int nres, sic_err *err) {
  lua_getfield(L, mod, fn);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1 + nargs);
    return sic_err_set(err, SIC_EINVAL, "reasoning.lua has no function %s", fn);
  }
  lua_insert(L, -1 - nargs);
  if (lua_pcall(L, nargs, nres, 0)) return sic_err_set(err, SIC_EINVAL, "reasoning.%s: %s", fn, lua_tostring(L, -1));
  return 0;
}

/* The `llm` table of the config file (the same sic.lua the rules read) fills the SIC_LLM_*
 * variables the environment left unset, so the environment always wins:
 *   llm = { url = "http://host:8000/v1", model = "m", api_key_env = "MY_KEY_VAR",
 *           timeout_ms = 60000, retries = 2, stream = true }
 * The file runs in the host's sandbox under its budget, as the engine reads it; errors name
 * the file. */
static int apply_config(const char *path, int required, sic_err *err) {
  if (access(path, R_OK)) return required ? sic_err_set(err, SIC_ENOTFOUND, "%s: config file not found", path) : 0;
  lua_State *L = NULL;
  int rc = sic_lua_new(NULL, &L, err);
  if (rc) return rc;
  if ((rc = sic_lua_config_table(L, path, err))) goto done;
  if (!lua_istable(L, -1)) goto done;
  lua_getfield(L, -1, "llm");
  if (lua_isnil(L, -1)) goto done;
  if (!lua_istable(L, -1)) {
    rc = sic_err_set(err, SIC_EINVAL, "%s: 'llm' must be a table", path);
    goto done;
  }
  static const struct { const char *key, *env; } keys[] = {
    {"url", "SIC_LLM_URL"}, {"model", "SIC_LLM_MODEL"}, {"timeout_ms", "SIC_LLM_TIMEOUT_MS"},
    {"connect_timeout_ms", "SIC_LLM_CONNECT_TIMEOUT_MS"}, {"retries", "SIC_LLM_RETRIES"},
    {"backoff_ms", "SIC_LLM_BACKOFF_MS"}};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    lua_getfield(L, -1, keys[i].key);
    if (lua_isstring(L, -1)) setenv(keys[i].env, lua_tostring(L, -1), 0);
    else if (!lua_isnil(L, -1)) rc = sic_err_set(err, SIC_EINVAL, "%s: llm.%s must be a string or number", path, keys[i].key);
    lua_pop(L, 1);
  }
  lua_getfield(L, -1, "stream");
  if (lua_isboolean(L, -1)) setenv("SIC_LLM_STREAM", lua_toboolean(L, -1) ? "1" : "0", 0);
  lua_pop(L, 1);
  /* Keys stay out of config files: the file names the variable that holds it. */
  lua_getfield(L, -1, "api_key_env");
  const char *var = lua_tostring(L, -1);
  if (var && getenv(var)) setenv("SIC_LLM_API_KEY", getenv(var), 0);
  lua_pop(L, 1);
done:
  sic_lua_free(L);
  return rc;
}

static void print_token(const char *s, size_t n, void *ctx) {
  fwrite(s, 1, n, stdout);
  fflush(stdout);
}

/* Ask the LLM; returns its answer or NULL (llm_error filled) when it is not configured/failed. */
static char *ask_llm(lua_State *L, int prepared, int stream_out, char *llm_error, size_t n) {
  rag_llm_config cfg;
  if (!rag_llm_config_from_env(&cfg)) return NULL;
  lua_getfield(L, prepared, "system");
  lua_getfield(L, prepared, "user");
  const char *sys = lua_tostring(L, -2), *user = lua_tostring(L, -1);
  char *answer = NULL;
  sic_err err = {0};
  if (rag_llm_chat(&cfg, sys ? sys : "", user ? user : "", stream_out ? print_token : NULL, NULL, &answer, &err)) {
    snprintf(llm_error, n, "%s", err.msg);
    answer = NULL;
  }
  lua_pop(L, 2);
  return answer;
}

static int answer(const ask_opts *o, const char *report, int *exit_code, sic_err *err) {
  lua_State *L = NULL;
  passages hitset = {0}, *hits = &hitset;
  int rc = new_state(o->scripts, &L, err);
  if (rc) return rc;
  if ((rc = sic_lua_script_module(L, "ask/reasoning.lua", err))) goto done;
  int mod = lua_gettop(L);
  if ((rc = retrieve_for(L, mod, o, report, hits, err))) {
    *exit_code = SIC_EXIT_INPUT;
    goto done;
  }
  push_input(L, o, report, hits);
  if ((rc = call(L, mod, "prepare", 1, 1, err))) goto done;
  int prepared = lua_gettop(L);
  lua_getfield(L, prepared, "findings_error");
  if (lua_isstring(L, -1)) fprintf(stderr, "sic ask: %s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
  char llm_error[600] = "";
  int text = o->fmt == SIC_FORMAT_TEXT;
  char *llm = o->no_llm ? NULL : ask_llm(L, prepared, text, llm_error, sizeof llm_error);
  if (llm_error[0]) fprintf(stderr, "sic ask: LLM unavailable (%s); extractive answer follows\n", llm_error);
  const char *mode = llm ? "llm" : "extractive";
  if (llm) lua_pushstring(L, llm);
  else lua_getfield(L, prepared, "extractive");
  int answer_idx = lua_gettop(L);
  lua_pushvalue(L, answer_idx);
  lua_pushvalue(L, prepared);
  if ((rc = call(L, mod, "finalize", 2, 3, err))) goto done_llm;
  if (text) {
    /* A streamed answer is already on stdout; print only what finalize added after it. */
    const char *final = lua_tostring(L, -3);
    size_t skip = llm ? strlen(llm) : 0;
    fputs(final && strlen(final) >= skip ? final + skip : "", stdout);
    fputc('\n', stdout);
  } else {
    int cited = lua_gettop(L) - 1, unknown = lua_gettop(L);
    lua_pushvalue(L, prepared);
    lua_pushstring(L, mode);
    lua_pushvalue(L, answer_idx);
    lua_pushvalue(L, cited);
    lua_pushvalue(L, unknown);
    if (llm_error[0]) lua_pushstring(L, llm_error);
    else lua_pushnil(L);
    if ((rc = call(L, mod, "to_json", 6, 1, err))) goto done_llm;
    printf("%s\n", lua_tostring(L, -1));
  }
done_llm:
  free(llm);
done:
  passages_free(hits);
  sic_lua_free(L);
  return rc;
}

int sic_cmd_ask(int argc, char **argv) {
  ask_opts o = {.k = 5, .fmt = SIC_FORMAT_TEXT};
  const sic_opt opts[] = {
    {"app", 'a', SIC_OPT_STRING, &o.app, "LOG", "event log whose top findings give context", 0, 0, NULL},
    {"k", 'k', SIC_OPT_INT, &o.k, "N", "documentation passages to retrieve (default 5)", 1, 50, NULL},
    {"source", 's', SIC_OPT_STRING, &o.source, "NAME", "only passages of this source (spark, delta, ...)", 0, 0, NULL},
    {"spark-version", 0, SIC_OPT_STRING, &o.version, "X.Y", "prefer passages valid in this Spark version (default: the app's)", 0, 0, NULL},
    {"store", 0, SIC_OPT_STRING, &o.store, "PATH", "knowledge-base file (default $SIC_KB or $XDG_DATA_HOME/sic/kb.db)", 0, 0, NULL},
    {"scripts", 0, SIC_OPT_STRING, &o.scripts, "DIR", "user scripts dir holding ask/reasoning.lua", 0, 0, NULL},
    {"no-llm", 0, SIC_OPT_FLAG, &o.no_llm, NULL, "extractive answer even when SIC_LLM_URL is set", 0, 0, NULL},
    {"config", 0, SIC_OPT_STRING, &o.config, "FILE", "config with an llm = {url, model, api_key_env, ...} table (default ./sic.lua)", 0, 0, NULL},
    {"format", 'f', SIC_OPT_FORMAT, &o.fmt, "FMT", "output format: text or json", 0, 0, NULL},
  };
  const sic_cmd_spec spec = {
    "ask", "\"QUESTION\" [--app LOG] [-k N] [--format text|json]",
    "Answer a question about Spark/Delta from the knowledge base (`sic kb ingest` first),\n"
    "grounded in an application's top findings when --app is given. With SIC_LLM_URL set\n"
    "(OpenAI-compatible; SIC_LLM_MODEL, SIC_LLM_API_KEY) the answer is written by the LLM with\n"
    "[doc § section] citations; otherwise an extractive answer (ranked findings and passages).\n"
    "Prompt and answer layout: scripts/ask/reasoning.lua.",
    opts, sizeof opts / sizeof opts[0], SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 1, 1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0, prc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (prc) return prc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  o.question = pos[0];
  if (!*o.question) return sic_args_usage_error(&spec, "the question is empty");
  sic_err err = {0};
  char *report = NULL;
  if (apply_config(o.config ? o.config : "sic.lua", o.config != NULL, &err)) {
    fprintf(stderr, "sic ask: %s%s\n", err.msg, o.config ? "" : " (ignoring ./sic.lua)");
    if (o.config) return SIC_EXIT_INPUT; /* the implicit ./sic.lua may be meant for the rules only */
  }
  char app_version[64] = "";
  int rc = o.app ? app_findings(o.app, &report, app_version, sizeof app_version, &err) : SIC_EXIT_OK;
  if (!o.version && app_version[0]) o.version = app_version;
  if (rc) {
    fprintf(stderr, "sic ask: %s\n", err.msg);
    return rc;
  }
  int exit_code = SIC_EXIT_INPUT;
  if (answer(&o, report, &exit_code, &err)) {
    fprintf(stderr, "sic ask: %s\n", err.msg);
    rc = exit_code;
  }
  free(report);
  return rc;
}
