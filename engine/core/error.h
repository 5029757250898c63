/* Error reporting shared by every C module.
 *
 * Functions return 0 (or a non-negative count) on success and a negative SIC_E* code on
 * failure, filling a caller-supplied sic_err with a human-readable message that names
 * the file, line or field at fault. sic_err is a plain value: no ownership, no cleanup. */
#ifndef SIC_CORE_ERROR_H
#define SIC_CORE_ERROR_H

#include <stddef.h>

enum {
  SIC_OK = 0,
  SIC_EIO = -1,       /* the operating system refused (open/read/mmap/...) */
  SIC_ENOMEM = -2,    /* allocation failed */
  SIC_EFORMAT = -3,   /* input bytes are not what their name or magic says */
  SIC_ECORRUPT = -4,  /* a checksum or length inside a compressed stream is wrong */
  SIC_ENOTFOUND = -5, /* path, app, stage, attempt ... does not exist */
  SIC_EINVAL = -6,    /* caller passed something invalid (usage error) */
  SIC_EUNSUPPORTED = -7, /* a codec/layout/feature this build cannot read */
  SIC_ETRUNCATED = -8, /* input ended in the middle of a unit (frame, block, line) */
  SIC_ELIMIT = -9      /* input passed a configured bound (decompression bomb, size limit) */
};

typedef struct sic_err {
  int code;            /* last SIC_E* code, SIC_OK when no error was recorded */
  char msg[512];       /* NUL-terminated message, e.g. "events_2_x.zstd: frame checksum mismatch" */
} sic_err;

/* Record an error; returns code so callers can write `return sic_err_set(e, SIC_EIO, ...)`.
 * e may be NULL (the error is then only returned). */
int sic_err_set(sic_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefix an existing message with context ("path: "), keeping the code. */
int sic_err_wrap(sic_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sic_strerror(int code);

#endif
