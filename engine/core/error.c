#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sic_err_set(sic_err *e, int code, const char *fmt, ...) {
  if (!e) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  e->code = code;
  return code;
}

int sic_err_wrap(sic_err *e, const char *fmt, ...) {
  if (!e) return SIC_EINVAL;
  char prefix[256];
  va_list ap;
  va_start(ap, fmt);
  int plen = vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  if (plen < 0) return e->code;
  if ((size_t)plen >= sizeof prefix) plen = sizeof prefix - 1;
  /* Shift the old message right and put the prefix in front; the tail is cut if too long. */
  size_t old = strnlen(e->msg, sizeof e->msg - 1);
  size_t keep = old + plen < sizeof e->msg ? old : sizeof e->msg - 1 - plen;
  memmove(e->msg + plen, e->msg, keep);
  memcpy(e->msg, prefix, plen);
  e->msg[plen + keep] = '\0';
  return e->code;
}

const char *sic_strerror(int code) {
  switch (code) {
  case SIC_OK: return "ok";
  case SIC_EIO: return "I/O error";
  case SIC_ENOMEM: return "out of memory";
  case SIC_EFORMAT: return "bad format";
  case SIC_ECORRUPT: return "corrupt data";
  case SIC_ENOTFOUND: return "not found";
  case SIC_EINVAL: return "invalid argument";
  case SIC_EUNSUPPORTED: return "unsupported";
  case SIC_ETRUNCATED: return "truncated input";
  case SIC_ELIMIT: return "input exceeds a configured limit";
  default: return "unknown error";
  }
}
