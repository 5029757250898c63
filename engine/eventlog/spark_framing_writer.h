/* Writers for the byte framings Spark's compression codecs produce, built on the real
 * compression libraries. Used by tests, fuzz seed corpora and tools that need lz4 /
 * snappy / lzf / zstd / gzip event logs exactly as a Spark driver would write them.
 *
 * Every function appends ONE complete stream to a growable buffer, so concatenated
 * streams are made by calling twice. The buffer owns its memory (sic_frame_buf_free). */
#ifndef SIC_EVENTLOG_SPARK_FRAMING_WRITER_H
#define SIC_EVENTLOG_SPARK_FRAMING_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct sic_frame_buf {
  uint8_t *data;  /* owned bytes written so far */
  size_t len;     /* bytes used */
  size_t cap;     /* bytes allocated */
} sic_frame_buf;

void sic_frame_buf_free(sic_frame_buf *b);

/* lz4-java LZ4BlockOutputStream: blocks of block_size (64 B .. 32 MB; Spark's default
 * spark.io.compression.lz4.blockSize is 32 KB), raw when LZ4 does not shrink a block,
 * XXH32 checksums, terminated by the empty end block. 0 or SIC_E*. */
int sic_frame_write_lz4block(sic_frame_buf *out, const void *src, size_t len, size_t block_size);

/* snappy-java SnappyOutputStream: 16-byte header then int32 BE length + snappy block per
 * block_size input bytes (Spark's default 32 KB). 0 or SIC_E*. */
int sic_frame_write_snappy_java(sic_frame_buf *out, const void *src, size_t len, size_t block_size);

/* compress-lzf LZFOutputStream: "ZV" chunks of at most chunk_size (<= 65535) input bytes,
 * stored (type 0) when compression does not help. 0 or SIC_E*. */
int sic_frame_write_lzf(sic_frame_buf *out, const void *src, size_t len, size_t chunk_size);

/* One zstd frame (level 1 like Spark's default), with the frame checksum when checksum != 0. */
int sic_frame_write_zstd(sic_frame_buf *out, const void *src, size_t len, int checksum);

/* One gzip member. */
int sic_frame_write_gzip(sic_frame_buf *out, const void *src, size_t len);

#endif
