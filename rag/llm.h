/* Clients for OpenAI-compatible HTTP APIs over libcurl: chat completions (streamed with
 * server-sent events or not) for `sic ask`, and /v1/embeddings for an optional remote embedder.
 *
 * Robustness contract: every call is bounded by a connect timeout and a total timeout (a
 * stalled server cannot hang sic); 429, 5xx and transport failures are retried with
 * exponential backoff (Retry-After honoured, capped) unless streamed tokens were already
 * delivered; malformed JSON, unexpected shapes and HTTP errors come back as SIC_E* codes with a
 * message naming the URL, the HTTP status and the server's own error text when it sent one.
 *
 * Ownership: strings in rag_llm_config are borrowed. Answers and vectors returned through
 * out-parameters are malloc'ed and owned by the caller. */
#ifndef SIC_RAG_LLM_H
#define SIC_RAG_LLM_H

#include <stddef.h>

#include "core/error.h"

typedef struct rag_llm_config {
  const char *url;         /* base URL ("http://host:8000/v1") or the full endpoint URL */
  const char *model;       /* model name sent in the request */
  const char *api_key;     /* bearer token; NULL = no Authorization header */
  long connect_timeout_ms; /* TCP/TLS connect limit (default 5000) */
  long timeout_ms;         /* whole-request limit (default 120000) */
  int max_retries;         /* retries after the first attempt (default 3) */
  long backoff_ms;         /* first retry delay, doubled each time (default 500, cap 8000) */
  int stream;              /* 1: ask for SSE streaming and deliver tokens as they arrive */
} rag_llm_config;

/* Fill cfg from the environment: SIC_LLM_URL, SIC_LLM_MODEL (default "gpt-4o-mini"),
 * SIC_LLM_API_KEY (else OPENAI_API_KEY), SIC_LLM_TIMEOUT_MS, SIC_LLM_RETRIES, SIC_LLM_BACKOFF_MS,
 * SIC_LLM_STREAM (default 1). Returns 1 when an LLM is configured (SIC_LLM_URL set), else 0. */
int rag_llm_config_from_env(rag_llm_config *cfg);
/* The same for the embedder: SIC_EMBED_URL, SIC_EMBED_MODEL, SIC_EMBED_API_KEY (else
 * OPENAI_API_KEY), SIC_EMBED_TIMEOUT_MS. Returns 1 when SIC_EMBED_URL is set. */
int rag_embed_config_from_env(rag_llm_config *cfg);

/* Called with each piece of streamed answer text (not NUL-terminated). */
typedef void (*rag_llm_token_fn)(const char *text, size_t len, void *ctx);

/* One chat completion with a system and a user message. With cfg->stream, on_token (may be
 * NULL) receives the text as it arrives. *answer receives the whole text. */
int rag_llm_chat(const rag_llm_config *cfg, const char *system_msg, const char *user_msg,
                 rag_llm_token_fn on_token, void *ctx, char **answer, sic_err *err);

/* Embed n texts: *vectors receives n x *dims floats (row-major). */
int rag_llm_embed(const rag_llm_config *cfg, const char *const *texts, size_t n, float **vectors,
                  int *dims, sic_err *err);

#endif
