# parquet: a bounds-checked reader for the Parquet files Delta checkpoints use (engine/parquet).
# Its page codecs (snappy, zstd, gzip) are core's libraries already.
sic_add_component(parquet DIRS engine/parquet DEPENDS core)
