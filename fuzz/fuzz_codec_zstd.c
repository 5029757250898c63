/* libFuzzer target: the zstd decoder on arbitrary bytes (see fuzz_codec.h for the oracle). */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_codec_one_input(SIC_CODEC_ZSTD, data, size);
}
