/* storage/rdd resources: AppStatusListener's LiveRDD from stage RDD infos and block updates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shs/shs_internal.h"

/* ---- storage ---- */

/* StorageLevel.description */
static void level_description(char *out, size_t n, int disk, int mem, int off_heap, int deser, int repl) {
  snprintf(out, n, "%s%s%s%dx Replicated", disk ? "Disk " : "",
           mem ? (off_heap ? "Memory (off heap) " : "Memory ") : "",
           deser ? "Deserialized " : "Serialized ", repl);
}

static int rdd_of_block(const char *id, int32_t *rdd) {
  return id && sscanf(id, "rdd_%d_", rdd) == 1;
}

/* Block update rows of one RDD that still store data, in log order; caller frees. */
static int64_t *rdd_blocks(const sic_app *a, const shs_view *v, int32_t rdd_id, int64_t *n) {
  int64_t *rows = malloc(((size_t)v->nblocks + 1) * sizeof *rows);
  *n = 0;
  if (!rows) return NULL;
  for (int64_t i = 0; i < v->nblocks; i++) {
    int32_t rid;
    if (rdd_of_block(sic_str(a, a->block_updates[v->blocks[i]].block_id), &rid) && rid == rdd_id)
      rows[(*n)++] = v->blocks[i];
  }
  return rows;
}

static int stage_was_submitted(const sic_stage *st) {
  return st->submission_time >= 0 || st->status == SIC_STAGE_ACTIVE || st->status == SIC_STAGE_COMPLETE ||
         st->status == SIC_STAGE_FAILED;
}

/* The RDD info the History Server tracks for rdd_id: first seen in a submitted stage with a
 * valid storage level, and not unpersisted since. */
static const sic_rdd *tracked_rdd(const sic_app *a, int32_t rdd_id) {
  const sic_rdd *found = NULL;
  for (int64_t s = 0; s < a->nstages && !found; s++) {
    const sic_stage *st = &a->stages[s];
    if (!stage_was_submitted(st)) continue;
    for (int32_t i = 0; i < st->rdds.n; i++) {
      const sic_rdd *d = &a->rdds[st->rdds.off + i];
      if (d->rdd_id != rdd_id) continue;
      if ((d->use_memory || d->use_disk || d->use_off_heap) && d->replication > 0) found = d;
      break;
    }
  }
  if (!found) return NULL;
  for (int64_t i = 0; i < a->nrdds; i++)
    if (a->rdds[i].rdd_id == rdd_id && a->rdds[i].unpersisted) return NULL;
  return found;
}

static int cmp_i32(const void *x, const void *y) {
  int32_t p = *(const int32_t *)x, q = *(const int32_t *)y;
  return p < q ? -1 : p > q;
}

/* Group key of a stored block: its name, then its first appearance. */
typedef struct part_key { sic_sid block; int64_t row; } part_key;
static int cmp_part_key(const void *x, const void *y) {
  const part_key *p = x, *q = y;
  if (p->block != q->block) return p->block < q->block ? -1 : 1;
  return p->row < q->row ? -1 : p->row > q->row;
}
static int cmp_part_first(const void *x, const void *y) {
  const part_key *p = x, *q = y;
  return p->row < q->row ? -1 : p->row > q->row;
}

static void executor_address(const sic_app *a, int32_t x, char *out, size_t n) {
  const sic_executor *e = &a->executors[x];
  const char *host = sic_str(a, e->host);
  if (e->port >= 0) snprintf(out, n, "%s:%d", host ? host : "", e->port);
  else snprintf(out, n, "%s", host ? host : "");
}

static void write_distribution(sic_jw *w, const sic_app *a, const int64_t *blocks, int64_t nb) {
  int64_t *mem = calloc((size_t)a->nexecutors + 1, sizeof *mem);
  int64_t *disk = calloc((size_t)a->nexecutors + 1, sizeof *disk);
  char *seen = calloc((size_t)a->nexecutors + 1, 1);
  sic_jw_karr(w, "dataDistribution");
  if (!mem || !disk || !seen) w->status = SIC_ENOMEM;
  for (int64_t i = 0; mem && disk && seen && i < nb; i++) {
    const sic_block_update *u = &a->block_updates[blocks[i]];
    mem[u->executor] += u->memory_size, disk[u->executor] += u->disk_size, seen[u->executor] = 1;
  }
  for (int64_t x = 0; mem && disk && seen && x < a->nexecutors; x++) {
    if (!seen[x]) continue;
    const sic_executor *e = &a->executors[x];
    char addr[512];
    executor_address(a, (int32_t)x, addr, sizeof addr);
    sic_jw_obj(w);
    sic_jw_kstr(w, "address", addr);
    sic_jw_kint(w, "memoryUsed", mem[x]);
    sic_jw_kint(w, "memoryRemaining", (e->max_memory > 0 ? e->max_memory : 0) - mem[x]);
    sic_jw_kint(w, "diskUsed", disk[x]);
    if (e->max_onheap >= 0) { /* only when the block manager reported on/off-heap sizes */
      sic_jw_kint(w, "onHeapMemoryUsed", mem[x]);
      sic_jw_kint(w, "offHeapMemoryUsed", 0);
      sic_jw_kint(w, "onHeapMemoryRemaining", e->max_onheap - mem[x]);
      sic_jw_kint(w, "offHeapMemoryRemaining", e->max_offheap > 0 ? e->max_offheap : 0);
    }
    sic_jw_end(w);
  }
  sic_jw_end(w);
  free(mem), free(disk), free(seen);
}

/* Partitions: one per block name, in order of first appearance, with every executor holding it. */
static void write_partitions(sic_jw *w, const sic_app *a, const int64_t *blocks, int64_t nb, int64_t *nparts) {
  part_key *ks = malloc(((size_t)nb + 1) * sizeof *ks);
  part_key *firsts = malloc(((size_t)nb + 1) * sizeof *firsts);
  int64_t ng = 0;
  sic_jw_karr(w, "partitions");
  if (!ks || !firsts) {
    w->status = SIC_ENOMEM;
    nb = 0;
  }
  for (int64_t i = 0; i < nb; i++) ks[i] = (part_key){a->block_updates[blocks[i]].block_id, blocks[i]};
  sic_qsort(ks, (size_t)nb, sizeof *ks, cmp_part_key);
  for (int64_t i = 0; i < nb; i++)
    if (i == 0 || ks[i].block != ks[i - 1].block) firsts[ng++] = (part_key){ks[i].block, ks[i].row};
  sic_qsort(firsts, (size_t)ng, sizeof *firsts, cmp_part_first);
  for (int64_t g = 0; g < ng; g++) {
    /* the group's members are contiguous in ks */
    int64_t lo = 0, hi = nb;
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2;
      if (ks[mid].block < firsts[g].block) lo = mid + 1; else hi = mid;
    }
    const sic_block_update *u = &a->block_updates[firsts[g].row];
    char bl[128];
    level_description(bl, sizeof bl, u->use_disk, u->use_memory, 0, u->deserialized, u->replication);
    int64_t pm = 0, pd = 0;
    for (int64_t k = lo; k < nb && ks[k].block == firsts[g].block; k++)
      pm += a->block_updates[ks[k].row].memory_size, pd += a->block_updates[ks[k].row].disk_size;
    sic_jw_obj(w);
    sic_jw_kstr(w, "blockName", sic_str(a, u->block_id));
    sic_jw_kstr(w, "storageLevel", bl);
    sic_jw_kint(w, "memoryUsed", pm);
    sic_jw_kint(w, "diskUsed", pd);
    sic_jw_karr(w, "executors");
    for (int64_t k = lo; k < nb && ks[k].block == firsts[g].block; k++)
      sic_jw_str(w, shs_exec_id(a, a->block_updates[ks[k].row].executor));
    sic_jw_end(w);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  *nparts = ng;
  free(ks);
  free(firsts);
}

static int64_t distinct_blocks(const sic_app *a, const int64_t *blocks, int64_t nb) {
  sic_sid *ids = malloc(((size_t)nb + 1) * sizeof *ids);
  if (!ids) return 0;
  for (int64_t i = 0; i < nb; i++) ids[i] = a->block_updates[blocks[i]].block_id;
  sic_qsort(ids, (size_t)nb, sizeof *ids, cmp_i32);
  int64_t n = 0;
  for (int64_t i = 0; i < nb; i++) n += i == 0 || ids[i] != ids[i - 1];
  free(ids);
  return n;
}

static void write_rdd(sic_jw *w, const sic_app *a, const sic_rdd *d, const int64_t *blocks, int64_t nb) {
  char level[128];
  level_description(level, sizeof level, d->use_disk, d->use_memory, d->use_off_heap, d->deserialized, d->replication);
  if (nb) { /* the level of the latest block update wins */
    const sic_block_update *u = &a->block_updates[blocks[nb - 1]];
    level_description(level, sizeof level, u->use_disk, u->use_memory, 0, u->deserialized, u->replication);
  }
  int64_t mem = 0, disk = 0, nparts = 0;
  for (int64_t i = 0; i < nb; i++) mem += a->block_updates[blocks[i]].memory_size, disk += a->block_updates[blocks[i]].disk_size;
  sic_jw_obj(w);
  sic_jw_kint(w, "id", d->rdd_id);
  if (sic_str(a, d->name)) sic_jw_kstr(w, "name", sic_str(a, d->name));
  sic_jw_kint(w, "numPartitions", d->num_partitions);
  sic_jw_kint(w, "numCachedPartitions", distinct_blocks(a, blocks, nb));
  sic_jw_kstr(w, "storageLevel", level);
  sic_jw_kint(w, "memoryUsed", mem);
  sic_jw_kint(w, "diskUsed", disk);
  if (nb) write_distribution(w, a, blocks, nb);
  write_partitions(w, a, blocks, nb, &nparts);
  sic_jw_end(w);
}


int shs_render_rdds(shs_ctx *c, const char *id, sic_shs_response *r) {
  const sic_app *a = c->a;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  if (id) {
    int32_t rid;
    const sic_rdd *d = shs_parse_java_int(id, &rid) == 0 ? tracked_rdd(a, rid) : NULL;
    if (!d) return shs_error(r, 404, "no rdd found w/ id %s", id);
    int64_t nb;
    int64_t *blocks = rdd_blocks(a, c->v, rid, &nb);
    if (!blocks) return shs_error(r, 500, "out of memory");
    write_rdd(&w, a, d, blocks, nb);
    free(blocks);
    return shs_json_ok(r, &w);
  }
  int32_t *ids = malloc(((size_t)a->nrdds + 1) * sizeof *ids);
  if (!ids) return shs_error(r, 500, "out of memory");
  int64_t n = 0;
  for (int64_t i = 0; i < a->nrdds; i++) ids[n++] = a->rdds[i].rdd_id;
  sic_qsort(ids, (size_t)n, sizeof *ids, cmp_i32);
  sic_jw_arr(&w);
  for (int64_t i = 0; i < n; i++) {
    if (i && ids[i] == ids[i - 1]) continue;
    const sic_rdd *d = tracked_rdd(a, ids[i]);
    if (!d) continue;
    int64_t nb;
    int64_t *blocks = rdd_blocks(a, c->v, ids[i], &nb);
    if (blocks && nb > 0) write_rdd(&w, a, d, blocks, nb); /* the list shows cached RDDs only */
    free(blocks);
  }
  sic_jw_end(&w);
  free(ids);
  return shs_json_ok(r, &w);
}
