/* Internal to sources/: a zip archive read front to back, as it arrives (no seeking, no
 * central directory first): local file headers in order, STORED and DEFLATE members, data
 * descriptors (flag bit 3: sizes and CRC known only after the data, as java.util.zip's
 * ZipOutputStream and `zip -` write them; 8-byte Zip64 sizes too), CRC-32 checked on every
 * member. The central directory and end records are walked to the end of the input so that
 * an archive cut short is noticed.
 *
 * A STORED member with a data descriptor and no size in its header (Python's zipfile on a
 * non-seekable stream writes these) ends at the first descriptor signature whose CRC and
 * size match the bytes before it.
 *
 * Memory: one input window (ZS_WINDOW bytes) and a zlib inflate state, whatever the archive.
 *
 * Ownership: the pull function and its context are borrowed; a member's name is owned by the
 * zip_stream and valid until the next zs_next. */
#ifndef SIC_SOURCES_ZIPSTREAM_H
#define SIC_SOURCES_ZIPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define ZS_WINDOW (256u << 10) /* input bytes held at most */

/* Up to cap bytes of the archive into buf; *got == 0 at its end. 0 or SIC_E*. */
typedef int (*zs_pull_fn)(void *ctx, uint8_t *buf, size_t cap, size_t *got, sic_err *err);

typedef struct zs_member {
  const char *name;     /* as stored ('/'-separated; a trailing '/' is a directory) */
  uint64_t index;       /* 0-based position in the archive */
  int method;           /* 0 STORED, 8 DEFLATE (others are refused when read) */
  int descriptor;       /* 1: flag bit 3, CRC and sizes follow the data */
  uint32_t dos_time;    /* MS-DOS date << 16 | time */
} zs_member;

typedef struct zip_stream zip_stream;

/* display names the archive in messages (copied). NULL when out of memory. */
zip_stream *zs_new(zs_pull_fn pull, void *ctx, const char *display);
void zs_free(zip_stream *z);
/* The next member's header (skipping what is left of the current member, CRC checked):
 * 1 with *m filled, 0 at the end of the archive (end records read, input at its end), SIC_E*:
 * SIC_ETRUNCATED when the input ends early, SIC_EFORMAT for bytes that are not a zip. */
int zs_next(zip_stream *z, const zs_member **m, sic_err *err);
/* Up to cap bytes of the current member's data, decompressed; *got == 0 at its end, once
 * its CRC-32 and sizes were checked (SIC_ECORRUPT when they do not match). */
int zs_read(zip_stream *z, uint8_t *buf, size_t cap, size_t *got, sic_err *err);
/* Data bytes of the current member handed out so far, and their CRC-32. */
uint64_t zs_member_out(const zip_stream *z);
uint32_t zs_member_crc(const zip_stream *z);
/* Archive bytes consumed so far. */
uint64_t zs_offset(const zip_stream *z);

#endif
