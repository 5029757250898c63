/* Findings of the analysis report (sic.findings/1 JSON, produced by the Lua graph) turned into
 * the store's generic finding structs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/scan.h"
#include "store/store.h"

/* Decoded copy of a JSON string slice. */
static char *dup_jstr(const sic_jstr *js) {
  char *out = malloc(js->len + 1);
  if (!out) return NULL;
  size_t n = js->escaped ? sic_json_unescape(js, out) : (memcpy(out, js->p, js->len), js->len);
  out[n] = 0;
  return out;
}

static char *dup_bytes(const char *p, size_t n) {
  char *out = malloc(n + 1);
  if (!out) return NULL;
  memcpy(out, p, n);
  out[n] = 0;
  return out;
}

/* The next value as text: a string decoded, anything else its raw JSON; raw, rawlen = its slice. */
static int value_text(sic_jscan *s, char **out, const char **raw, size_t *rawlen) {
  sic_jtype t = sic_json_peek(s);
  const char *start = s->p;
  if (t == SIC_JT_STRING) {
    sic_jstr js;
    if (sic_json_str(s, &js)) return -1;
    *out = dup_jstr(&js);
  } else {
    if (t == SIC_JT_NULL) {
      *out = NULL;
      *raw = NULL;
      *rawlen = 0;
      return sic_json_null(s);
    }
    if (sic_json_skip(s)) return -1;
    *out = dup_bytes(start, (size_t)(s->p - start));
  }
  *raw = start;
  *rawlen = (size_t)(s->p - start);
  return *out ? 0 : sic_json_fail(s, "out of memory");
}

/* Member `name` of the object slice as a string (or number text); NULL when absent. */
static char *member_text(const char *obj, size_t len, const char *name) {
  sic_jscan s;
  sic_jiter it;
  sic_jstr key;
  char *found = NULL;
  sic_json_init(&s, obj, len);
  if (sic_json_peek(&s) != SIC_JT_OBJECT || sic_json_obj_begin(&s, &it)) return NULL;
  while (!found && sic_json_obj_next(&s, &it, &key) == 1) {
    if (key.len == strlen(name) && !memcmp(key.p, name, key.len)) {
      if (sic_json_peek(&s) == SIC_JT_STRING || sic_json_peek(&s) == SIC_JT_NUMBER) {
        const char *raw;
        size_t rawlen;
        value_text(&s, &found, &raw, &rawlen);
      }
      break;
    }
    if (sic_json_skip(&s)) break;
  }
  return found;
}

/* Replace an object-valued field by one of its members when present. */
static void prefer_member(char **field, const char *name) {
  if (!*field || **field != '{') return;
  char *m = member_text(*field, strlen(*field), name);
  if (m) {
    free(*field);
    *field = m;
  }
}

static int parse_finding(sic_jscan *s, sic_store_finding *f) {
  const char *start = (sic_json_peek(s), s->p);
  sic_jiter it;
  sic_jstr key;
  char *id = NULL, *sev = NULL, *title = NULL, *entity = NULL, *evidence = NULL, *rec = NULL, *impact = NULL,
       *rule = NULL;
  if (sic_json_obj_begin(s, &it)) return -1;
  int r;
  while ((r = sic_json_obj_next(s, &it, &key)) == 1) {
    char **dst = SIC_JSTR_IS(&key, "id") ? &id : SIC_JSTR_IS(&key, "severity") ? &sev
               : SIC_JSTR_IS(&key, "title") ? &title : SIC_JSTR_IS(&key, "entity") ? &entity
               : SIC_JSTR_IS(&key, "evidence") ? &evidence : SIC_JSTR_IS(&key, "recommendation") ? &rec
               : SIC_JSTR_IS(&key, "impact") ? &impact : SIC_JSTR_IS(&key, "rule") ? &rule : NULL;
    const char *raw;
    size_t rawlen;
    if (!dst ? sic_json_skip(s) : (free(*dst), value_text(s, dst, &raw, &rawlen))) break;
  }
  f->id = id, f->severity = sev, f->title = title, f->evidence = evidence, f->rule = rule;
  f->impact = impact;
  f->impact_ms = NAN;
  if (impact && *impact == '{') {
    char *ms = member_text(impact, strlen(impact), "saving_ms");
    if (ms) f->impact_ms = strtod(ms, NULL);
    free(ms);
  }
  prefer_member(&entity, "key");
  prefer_member(&rec, "text");
  f->entity = entity;
  f->recommendation = rec;
  f->json = r == 0 ? dup_bytes(start, (size_t)(s->p - start)) : NULL;
  return r == 0 && f->json ? 0 : -1;
}

static void finding_free(sic_store_finding *f) {
  free((char *)f->id);
  free((char *)f->severity);
  free((char *)f->title);
  free((char *)f->entity);
  free((char *)f->evidence);
  free((char *)f->recommendation);
  free((char *)f->impact);
  free((char *)f->rule);
  free((char *)f->json);
}

void sic_store_findings_free(sic_store_findings *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) finding_free(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}

static int parse_array(sic_jscan *s, sic_store_findings *out) {
  sic_jiter it;
  size_t cap = 0;
  if (sic_json_peek(s) != SIC_JT_ARRAY) return sic_json_fail(s, "\"findings\" is not an array");
  if (sic_json_arr_begin(s, &it)) return -1;
  int r;
  while ((r = sic_json_arr_next(s, &it)) == 1) {
    if (sic_json_peek(s) != SIC_JT_OBJECT) return sic_json_fail(s, "a finding is not an object");
    if (out->n == cap) {
      cap = cap ? cap * 2 : 8;
      sic_store_finding *grown = realloc(out->items, cap * sizeof *grown);
      if (!grown) return sic_json_fail(s, "out of memory");
      out->items = grown;
    }
    memset(&out->items[out->n], 0, sizeof *out->items);
    int rc = parse_finding(s, &out->items[out->n]);
    out->n++; /* counted even when partial, so that free() releases what was read */
    if (rc) return -1;
  }
  return r;
}

int sic_store_findings_from_json(const char *json, size_t len, sic_store_findings *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  sic_jscan s;
  sic_jiter it;
  sic_jstr key;
  sic_json_init(&s, json, len);
  int r = sic_json_peek(&s) == SIC_JT_OBJECT ? sic_json_obj_begin(&s, &it) : sic_json_fail(&s, "expected an object");
  while (r == 0 && (r = sic_json_obj_next(&s, &it, &key)) == 1)
    r = SIC_JSTR_IS(&key, "findings") ? parse_array(&s, out) : sic_json_skip(&s);
  if (r == 0) r = sic_json_end(&s);
  if (r == 0) return 0;
  sic_store_findings_free(out);
  return sic_err_set(err, SIC_EFORMAT, "analysis report: %s at byte %zu", s.err ? s.err : "malformed JSON",
                     s.err_off);
}
