/* Streaming JSON writer into a growable buffer.
 *
 * Used by the History Server view, the analyze and the Lua layers.
 *
 * Usage:
 *   sic_jw w; sic_jw_init(&w, SIC_JW_PRETTY);
 *   sic_jw_obj(&w); sic_jw_key(&w, "id"); sic_jw_str(&w, "x"); sic_jw_end(&w);
 *   if (sic_jw_status(&w) == 0) fwrite(w.buf, 1, w.len, stdout);
 *   sic_jw_free(&w);
 *
 * The writer inserts commas and (in pretty mode) whitespace itself, exactly as Jackson's
 * DefaultPrettyPrinter does ("key" : value, arrays "[ a, b ]", empty "{ }" / "[ ]"), because
 * the History Server serves Jackson output and users diff against it.
 * Doubles print as Java's Double.toString prints them (shortest round-trip digits, "1.0",
 * "1.0E7", "1.0E-4"); non-finite doubles print as the strings "NaN", "Infinity", "-Infinity"
 * (Jackson's default QUOTE_NON_NUMERIC_NUMBERS). Invalid UTF-8 in strings is replaced by
 * U+FFFD so the output is always valid JSON.
 *
 * Errors are sticky: after an allocation failure or a nesting mistake every call is a no-op
 * and sic_jw_status() returns the SIC_E* code; callers check once at the end.
 *
 * Ownership: the sic_jw owns buf until sic_jw_free() or sic_jw_take(). */
#ifndef SIC_JSON_WRITE_H
#define SIC_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>

enum { SIC_JW_COMPACT = 0, SIC_JW_PRETTY = 1 };
enum { SIC_JW_MAX_DEPTH = 64 };

typedef struct sic_jw {
  char *buf;                         /* output bytes, NUL-terminated whenever status is 0 */
  size_t len;                        /* bytes written, excluding the NUL */
  size_t cap;                        /* allocated bytes */
  int pretty;                        /* SIC_JW_PRETTY or SIC_JW_COMPACT */
  int depth;                         /* open containers */
  int obj_depth;                     /* open objects: Jackson indents by objects only */
  int status;                        /* 0 or the first SIC_E* error */
  int after_key;                     /* 1 when a key was written and its value is pending */
  uint8_t is_obj[SIC_JW_MAX_DEPTH];  /* per open container: 1 object, 0 array */
  int64_t count[SIC_JW_MAX_DEPTH];   /* per open container: values (or keys) written so far */
} sic_jw;

void sic_jw_init(sic_jw *w, int pretty);
void sic_jw_free(sic_jw *w);
/* Reset to empty output, keeping the buffer. */
void sic_jw_reset(sic_jw *w);
/* 0 when everything written so far is well-formed and stored, else a SIC_E* code. */
int sic_jw_status(const sic_jw *w);
/* Hand the buffer to the caller (free() it); the writer is left empty. NULL on error. */
char *sic_jw_take(sic_jw *w, size_t *len);

/* Containers. sic_jw_end closes the innermost object or array. */
void sic_jw_obj(sic_jw *w);
void sic_jw_arr(sic_jw *w);
void sic_jw_end(sic_jw *w);

/* Object keys (inside an object, before each value). */
void sic_jw_key(sic_jw *w, const char *key);
void sic_jw_keyn(sic_jw *w, const char *key, size_t n);

/* Values. sic_jw_str(w, NULL) writes null. */
void sic_jw_str(sic_jw *w, const char *s);
void sic_jw_strn(sic_jw *w, const char *s, size_t n);
void sic_jw_int(sic_jw *w, int64_t v);
void sic_jw_uint(sic_jw *w, uint64_t v);
void sic_jw_double(sic_jw *w, double v);
void sic_jw_bool(sic_jw *w, int v);
void sic_jw_null(sic_jw *w);
/* A value that is already JSON text (copied verbatim; the caller vouches for it). */
void sic_jw_raw(sic_jw *w, const char *json, size_t n);

/* Key + value shorthands. */
void sic_jw_kstr(sic_jw *w, const char *key, const char *s);
void sic_jw_kint(sic_jw *w, const char *key, int64_t v);
void sic_jw_kdouble(sic_jw *w, const char *key, double v);
void sic_jw_kbool(sic_jw *w, const char *key, int v);
void sic_jw_knull(sic_jw *w, const char *key);
void sic_jw_kobj(sic_jw *w, const char *key);   /* key then open an object */
void sic_jw_karr(sic_jw *w, const char *key);   /* key then open an array */

/* Format a double as Java's Double.toString into out (>= 32 bytes); returns the length. */
size_t sic_jw_format_double(double v, char *out);

#endif
