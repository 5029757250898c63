/* bench_sources: bench_parse (same loads, same figures, same RESULT line) with the URI
 * schemes of sources/ registered, so LOG may be s3://... or a History Server URL. Built from
 * bench_parse.c itself so the two measure exactly the same way. */
#include "sources/source.h"

#define main bench_parse_main
#include "bench_parse.c"
#undef main

int main(int argc, char **argv) {
  sic_sources_init();
  return bench_parse_main(argc, argv);
}
