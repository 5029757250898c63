/* Retrieval evaluation over a question set (spec/data/questions.tsv format): hit@1, hit@5 and
 * mean reciprocal rank (over the top 10) for one retrieval mode.
 *
 * Used by `sic kb eval`, spec/c/test_rag_eval.c and docs/retrieval.md. */
#ifndef SIC_RAG_EVAL_H
#define SIC_RAG_EVAL_H

#include <stdio.h>

#include "rag/rag.h"

typedef struct rag_eval_result {
  int questions;      /* questions evaluated */
  int hit1;           /* expected passage ranked first */
  int hit5;           /* expected passage in the top 5 */
  double mrr;         /* mean of 1/rank over the top 10 (0 when absent) */
  double ms_total;    /* total search time in milliseconds */
} rag_eval_result;

/* Evaluate every question of the TSV file at path (lines: id, question, doc, section; '#'
 * comments and the "id" header skipped). When misses is not NULL, questions whose expected
 * passage is not in the top 5 are listed there with the top result. Returns 0 or SIC_E* (a
 * malformed line is SIC_EFORMAT naming the file and line). */
int rag_eval_file(rag_kb *kb, const char *path, rag_mode mode, rag_eval_result *out, FILE *misses,
                  sic_err *err);

#endif
