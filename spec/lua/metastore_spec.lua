-- End-to-end: `sic analyze LOG --metastore postgresql://...` against a Hive metastore held in a
-- PostgreSQL server started here (spec/support/pg.sh, stopped in teardown and by a watchdog if
-- this process dies), with sic's own minimal metastore schema (spec/support/metastore_schema.sql)
-- and tables named like those the generated example application's SQL scans read:
-- sales.orders and crm.customers by name, staging.refunds_raw by name, raw.clickstream only by
-- location (the example reads one of its partition directories as JSON files).
-- SIC_TEST_NO_PG=1 skips it (otherwise a missing server fails the spec).
local T = require "spec_helper"
local cjson = require "cjson"
local ffi = require "ffi"
local scans = require "lib.analysis.metastore_scans"

pcall(ffi.cdef, "int getpid(void);")

local sh = T.sh
local pg_sh = T.source_dir .. "/spec/support/pg.sh"
local MIB, GIB = 1024 * 1024, 1024 * 1024 * 1024
local BASE = 1732406400 -- 2024-11-24T00:00:00Z, in seconds as the metastore keeps times
local DAY = 86400

describe("metastore scans", function()
  it("names the table of every scan shape Spark writes", function()
    local s = scans.parse("Scan parquet spark_catalog.sales.orders",
      "FileScan parquet spark_catalog.sales.orders[a#1] Batched: true, Location: InMemoryFileIndex(1 paths)" ..
      "[s3a://lake/sales.db/orders], PartitionFilters: [isnotnull(d#2)], PushedFilters: []")
    assert.equal("sales.orders", s.table)
    assert.same({ "s3a://lake/sales.db/orders" }, s.locations)
    assert.equal("isnotnull(d#2)", s.partition_filters)
    s = scans.parse("Scan hive spark_catalog.web.logs", "HiveTableScan [ip#1, ts#2], HiveTableRelation " ..
      "[`spark_catalog`.`web`.`Logs`, org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe, Data Cols: [ip#1], " ..
      "Partition Cols: [dt#3], Pruned Partitions: [(dt=2024-01-01), (dt=2024-01-02)]]")
    assert.equal("web.logs", s.table)
    assert.equal("hive", s.format)
    assert.equal(2, s.pruned_partitions)
    assert.equal("old.t", scans.parse("HiveTableScan", "HiveTableScan [a#1], MetastoreRelation old, t").table)
    assert.equal("db.t", scans.parse("BatchScan spark_catalog.db.t", "BatchScan spark_catalog.db.t[a#1] ...").table)
    assert.equal("default.t", scans.parse("Scan orc t", "FileScan orc t[a#1] Batched: true, Location: " ..
      "InMemoryFileIndex(1 paths)[hdfs://nn/warehouse/t]").table)
    local path_only = scans.parse("Scan json ", "FileScan json [] Batched: false, Location: InMemoryFileIndex(2 paths)" ..
      "[file:/data/a/, s3n://b/c]")
    assert.is_nil(path_only.table)
    assert.same({ "file:/data/a/", "s3n://b/c" }, path_only.locations)
    assert.is_nil(scans.parse("Scan ExistingRDD", "Scan ExistingRDD[a#1]"))
    assert.is_nil(scans.parse("Scan", "Scan[obj#3]"))
    assert.is_nil(scans.parse("LocalTableScan", "LocalTableScan [a#1]"))
  end)

  it("matches a location to its table's location or a directory under it, not a sibling prefix", function()
    local root = scans.normalize("s3a://lake/raw/clickstream/")
    assert.equal("s3://lake/raw/clickstream", root)
    assert.is_true(scans.within(scans.normalize("s3://lake/raw/clickstream/dt=1"), root))
    assert.is_true(scans.within(scans.normalize("s3n://lake/raw/clickstream"), root))
    assert.is_false(scans.within(scans.normalize("s3://lake/raw/clickstream2/dt=1"), root))
    assert.equal("/data/t", scans.normalize("file:///data/t/"))
    assert.equal("/data/t", scans.normalize("file:/data/t"))
  end)
end)

if os.getenv("SIC_TEST_NO_PG") == "1" then return end

-- ---------------------------------------------------------------- the test metastore
local function q(s) return s == nil and "NULL" or "'" .. tostring(s):gsub("'", "''") .. "'" end

local PARQUET = { "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat", 1 }
local JSON = { "org.apache.hadoop.mapred.TextInputFormat",
  "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat", 2 }

-- The tables: id, db id, name, location, format, params, partition keys, partitions
-- { name, files, bytes, rows, created (s) , analyzed (s, PART_COL_STATS) }, column stats analyzed.
local function orders_partitions()
  local out = {}
  for i = 1, 120 do
    local created = BASE - (120 - i) * DAY
    local big = i == 120
    out[i] = { name = "order_date=" .. os.date("!%Y-%m-%d", created), files = big and 400 or 40,
      bytes = big and 50 * GIB or 40 * MIB, rows = big and 90000000 or 100000, created = created,
      analyzed = i <= 100 and created + 3600 or nil }
  end
  return out
end

local TABLES = {
  { id = 10, db = 1, name = "orders", loc = "s3a://acme-lake/warehouse/sales.db/orders", fmt = PARQUET,
    params = { transient_lastDdlTime = BASE }, keys = { { "order_date", "date" } }, parts = orders_partitions(),
    colstats_analyzed = BASE - 30 * DAY },
  { id = 20, db = 2, name = "customers", loc = "s3a://acme-lake/warehouse/crm.db/customers/", fmt = PARQUET,
    params = { numFiles = 8, totalSize = 8 * GIB, transient_lastDdlTime = BASE - DAY } },
  { id = 30, db = 3, name = "clickstream", loc = "s3a://acme-lake/raw/clickstream", fmt = JSON,
    params = { transient_lastDdlTime = BASE }, keys = { { "dt", "string" } }, colstats_analyzed = BASE + DAY,
    parts = { { name = "dt=2024-11-22", files = 10, bytes = 3 * GIB, rows = 1e6, created = BASE - 2 * DAY },
      -- rewritten two days after its column statistics were taken
      { name = "dt=2024-11-23", files = 10, bytes = 3 * GIB, rows = 1e6, created = BASE - DAY,
        analyzed = BASE - DAY, ddl = BASE + DAY },
      { name = "dt=2024-11-24", files = 10, bytes = 3 * GIB, rows = 1e6, created = BASE } } },
  -- a sibling whose location is a prefix of clickstream's: must not match its scan
  { id = 35, db = 3, name = "click", loc = "s3a://acme-lake/raw/click", fmt = JSON, params = {} },
  { id = 40, db = 4, name = "refunds_raw", loc = "s3a://acme-lake/staging/refunds_raw", fmt = PARQUET,
    params = { numFiles = 4, totalSize = GIB, numRows = 5000000, ["spark.sql.statistics.totalSize"] = 100 * MIB,
      ["spark.sql.statistics.numRows"] = 5000000, transient_lastDdlTime = BASE - DAY,
      ["spark.sql.statistics.colStats.refund_id.version"] = 2, ["spark.sql.statistics.colStats.refund_id.nullCount"] = 0 },
    colstats_analyzed = BASE - DAY },
  { id = 50, db = 5, name = "unrelated", loc = "s3a://acme-lake/warehouse/other.db/unrelated", fmt = PARQUET,
    params = { numFiles = 100000, totalSize = 100000 } },
  -- the same db.table in another catalog (Hive 3): the "hive" one is the one Spark reads
  { id = 60, db = 6, name = "orders", loc = "s3a://elsewhere/orders", fmt = PARQUET, params = { numFiles = 1, totalSize = 1 } },
}

local function metastore_sql()
  local s = { T.read_file(T.source_dir .. "/spec/support/metastore_schema.sql") }
  local function add(fmt, ...) s[#s + 1] = string.format(fmt, ...) end
  add([[INSERT INTO "VERSION" VALUES (1, '3.1.0', 'sic test metastore');]])
  add([[INSERT INTO "SERDES" VALUES (1, NULL, 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'),
    (2, NULL, 'org.apache.hive.hcatalog.data.JsonSerDe');]])
  for id, name in ipairs { "sales", "crm", "raw", "staging", "other" } do
    add([[INSERT INTO "DBS" ("DB_ID", "DB_LOCATION_URI", "NAME") VALUES (%d, 's3a://acme-lake/%s.db', %s);]], id, name, q(name))
  end
  add([[INSERT INTO "DBS" ("DB_ID", "DB_LOCATION_URI", "NAME", "CTLG_NAME") VALUES (6, 's3a://elsewhere', 'sales', 'spark');]])
  local sd, part, cs = 100, 1000, 1
  for _, t in ipairs(TABLES) do
    sd = sd + 1
    add([[INSERT INTO "SDS" ("SD_ID", "INPUT_FORMAT", "LOCATION", "OUTPUT_FORMAT", "SERDE_ID") VALUES (%d, %s, %s, %s, %d);]],
      sd, q(t.fmt[1]), q(t.loc), q(t.fmt[2]), t.fmt[3])
    add([[INSERT INTO "TBLS" ("TBL_ID", "CREATE_TIME", "DB_ID", "SD_ID", "TBL_NAME", "TBL_TYPE") VALUES (%d, %d, %d, %d, %s, 'EXTERNAL_TABLE');]],
      t.id, BASE - 400 * DAY, t.db, sd, q(t.name))
    for k, v in pairs(t.params) do
      add([[INSERT INTO "TABLE_PARAMS" VALUES (%d, %s, %s);]], t.id, q(k), q(string.format("%.0f", v)))
    end
    for i, k in ipairs(t.keys or {}) do
      add([[INSERT INTO "PARTITION_KEYS" ("TBL_ID", "PKEY_NAME", "PKEY_TYPE", "INTEGER_IDX") VALUES (%d, %s, %s, %d);]],
        t.id, q(k[1]), q(k[2]), i - 1)
    end
    for _, p in ipairs(t.parts or {}) do
      sd, part = sd + 1, part + 1
      add([[INSERT INTO "SDS" ("SD_ID", "INPUT_FORMAT", "LOCATION", "OUTPUT_FORMAT", "SERDE_ID") VALUES (%d, %s, %s, %s, %d);]],
        sd, q(t.fmt[1]), q(t.loc .. "/" .. p.name), q(t.fmt[2]), t.fmt[3])
      add([[INSERT INTO "PARTITIONS" ("PART_ID", "CREATE_TIME", "PART_NAME", "SD_ID", "TBL_ID") VALUES (%d, %d, %s, %d, %d);]],
        part, p.created, q(p.name), sd, t.id)
      add([[INSERT INTO "PARTITION_PARAMS" VALUES (%d, 'numFiles', '%d'), (%d, 'totalSize', '%.0f'), (%d, 'numRows', '%.0f'),
        (%d, 'transient_lastDdlTime', '%d');]], part, p.files, part, p.bytes, part, p.rows, part, p.ddl or p.created)
      if p.analyzed then
        add([[INSERT INTO "PART_COL_STATS" ("CS_ID", "DB_NAME", "TABLE_NAME", "PARTITION_NAME", "COLUMN_NAME", "COLUMN_TYPE",
          "PART_ID", "NUM_NULLS", "NUM_DISTINCTS", "LAST_ANALYZED") VALUES (%d, 'x', %s, %s, 'amount', 'decimal(12,2)', %d, 0, 10, %d);]],
          cs, q(t.name), q(p.name), part, p.analyzed)
        cs = cs + 1
      end
    end
    if t.colstats_analyzed then
      add([[INSERT INTO "TAB_COL_STATS" ("CS_ID", "DB_NAME", "TABLE_NAME", "COLUMN_NAME", "COLUMN_TYPE", "TBL_ID",
        "NUM_NULLS", "NUM_DISTINCTS", "LAST_ANALYZED") VALUES (%d, 'x', %s, 'customer_id', 'bigint', %d, 0, 5000, %d);]],
        cs, q(t.name), t.id, t.colstats_analyzed)
      cs = cs + 1
    end
  end
  return table.concat(s, "\n")
end

local function psql(url, sql)
  local file = T.write_file(T.tmpname(), sql)
  local out, ok = sh("psql -q -v ON_ERROR_STOP=1 " .. T.shell_quote(url) .. " -f " .. T.shell_quote(file) .. " 2>&1")
  os.remove(file)
  assert(ok, "psql failed: " .. out)
end

local function findings_of(r)
  assert.are.equal(0, r.code, r.stderr)
  local doc = cjson.decode(r.stdout)
  local report = doc.applications[1].findings
  return report.findings, report
end

local function find(list, id, key)
  for _, f in ipairs(list) do
    if f.id == id and (key == nil or f.entity.key == key) then return f end
  end
end

local function ids_on(list, key)
  local out = {}
  for _, f in ipairs(list) do if f.entity and f.entity.key == key then out[#out + 1] = f.id end end
  table.sort(out)
  return out
end

describe("sic analyze --metastore", function()
  local tmp, url, base_url
  local LOG = T.example.log({ seed = 7 })

  setup(function()
    tmp = sh("mktemp -d /tmp/sic-metastore-spec-XXXXXX"):gsub("%s+$", "")
    local out, ok = sh(pg_sh .. " start " .. tmp .. "/pg " .. ffi.C.getpid())
    assert(ok, "could not start PostgreSQL via spec/support/pg.sh (SIC_TEST_NO_PG=1 skips)")
    base_url = out:gsub("%s+$", "")
    url = base_url
    psql(url, metastore_sql())
  end)

  teardown(function()
    if tmp then
      sh(pg_sh .. " stop " .. tmp .. "/pg")
      sh("rm -rf " .. T.shell_quote(tmp))
    end
  end)

  local function analyze(metastore, ...)
    local argv = { "analyze", LOG, "--format", "json" }
    if metastore then argv[#argv + 1] = "--metastore" argv[#argv + 1] = metastore end
    for _, a in ipairs { ... } do argv[#argv + 1] = a end
    return T.run_sic(argv)
  end

  it("joins the metastore's tables to the scans and reports each problem with both sides' figures", function()
    local r = analyze(url)
    local list = findings_of(r)
    assert.same({ "metastore.partition_count", "metastore.partition_skew", "metastore.small_files",
      "metastore.stale_stats" }, ids_on(list, "sales.orders"))
    assert.same({ "metastore.missing_stats", "metastore.stale_stats" }, ids_on(list, "crm.customers"))
    assert.same({ "metastore.file_format", "metastore.stale_stats" }, ids_on(list, "raw.clickstream"))
    assert.same({ "metastore.stale_stats" }, ids_on(list, "staging.refunds_raw"))
    assert.same({}, ids_on(list, "raw.click"))
    assert.same({}, ids_on(list, "other.unrelated"))

    -- small files: the hive catalog's orders (not the "spark" catalog's), and what the scan read
    local f = find(list, "metastore.small_files", "sales.orders")
    assert.equal(119 * 40 + 400, f.evidence.metastore.files)
    assert.equal(119 * 40 * MIB + 50 * GIB, f.evidence.metastore.bytes)
    assert.equal(120, f.evidence.metastore.partitions)
    -- every partition but the big one (400 files of 128 MiB)
    assert.equal(119, f.evidence.metastore.small_file_partitions)
    assert.equal("name", f.evidence.job.matched_by)
    assert.is_true(f.evidence.job.files_read > 0)
    assert.is_true(f.evidence.job.bytes_read > 0)
    assert.is_true(f.evidence.job.partitions_read > 0)
    assert.equal(120 - f.evidence.job.partitions_read, f.evidence.job.partitions_pruned)
    assert.truthy(f.recommendation.text:find("5160 files", 1, true))

    f = find(list, "metastore.partition_skew", "sales.orders")
    assert.equal("order_date=2024-11-24", f.evidence.metastore.largest_partition)
    assert.equal(50 * GIB, f.evidence.metastore.largest_bytes)
    assert.equal(40 * MIB, f.evidence.metastore.median_partition_bytes)
    -- recommended, or listed as already set when the application has it (Spark 3.2+ default)
    local rec = f.recommendation
    local v = (rec.config or {})["spark.sql.adaptive.skewJoin.enabled"] or rec.already["spark.sql.adaptive.skewJoin.enabled"]
    assert.truthy(tostring(v):match("^true"), tostring(v))

    f = find(list, "metastore.partition_count", "sales.orders")
    assert.equal(120, f.evidence.metastore.partitions)
    assert.same({ "order_date" }, f.evidence.metastore.partition_keys)

    f = find(list, "metastore.stale_stats", "sales.orders")
    assert.equal(1, #f.evidence.reasons)
    assert.truthy(f.evidence.reasons[1]:find("30.0 days before", 1, true))

    -- customers: no row count, no column statistics; its totalSize against a full scan's bytes
    f = find(list, "metastore.missing_stats", "crm.customers")
    assert.same({ "row count (numRows, spark.sql.statistics.numRows)", "column statistics" }, f.evidence.missing)
    assert.truthy(f.recommendation.text:find("ANALYZE TABLE crm.customers COMPUTE STATISTICS FOR ALL COLUMNS", 1, true))
    f = find(list, "metastore.stale_stats", "crm.customers")
    assert.truthy(f.evidence.reasons[1]:find("a full scan by the job read", 1, true))
    assert.is_true(f.evidence.job.bytes_read > 0 and f.evidence.job.bytes_read < 8 * GIB)

    -- clickstream: found only by location (the scan read one partition directory as JSON)
    f = find(list, "metastore.file_format", "raw.clickstream")
    assert.equal("json", f.evidence.format)
    assert.equal("location", f.evidence.job.matched_by)
    assert.same({ "json" }, f.evidence.job.formats_read)
    assert.equal("org.apache.hive.hcatalog.data.JsonSerDe", f.evidence.metastore.serde)
    f = find(list, "metastore.stale_stats", "raw.clickstream")
    assert.same({ "1 partition(s) changed more than 1 day(s) after their column statistics were taken " ..
      "(first: dt=2024-11-23)" }, f.evidence.reasons)

    -- refunds_raw: Spark's statistics say 100 MiB, Hive's totalSize 1 GiB
    f = find(list, "metastore.stale_stats", "staging.refunds_raw")
    assert.truthy(f.evidence.reasons[1]:find("Spark's statistics say 100.0 MiB, the table's totalSize 1.00 GiB", 1, true))
  end)

  it("takes thresholds like every rule", function()
    local list = findings_of(analyze(url, "--set", "rule.metastore.small_files.small_file_size=1048576",
      "--set", "rule.metastore.partition_skew.max_over_median=5000"))
    assert.is_nil(find(list, "metastore.small_files", "sales.orders"))
    assert.is_nil(find(list, "metastore.partition_skew", "sales.orders"))
    assert.truthy(find(list, "metastore.partition_count", "sales.orders"))
  end)

  it("renders the findings in text with the metastore figures", function()
    local r = T.run_sic({ "analyze", LOG, "--metastore", url })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("Table of small files", 1, true))
    assert.truthy(r.stdout:find("sales.orders holds 5160 files", 1, true))
  end)

  it("reads the metastore from SIC_METASTORE", function()
    local out, ok = sh("SIC_METASTORE=" .. T.shell_quote(url) .. " " .. T.shell_quote(T.sic_bin) .. " analyze " ..
      T.shell_quote(LOG) .. " --format json 2>&1")
    assert.is_true(ok, out)
    assert.truthy(out:find('"metastore.small_files"', 1, true))
  end)

  it("sic serve takes the metastore from SIC_METASTORE: the findings API carries the metastore findings", function()
    package.path = T.source_dir .. "/spec/support/?.lua;" .. package.path
    local H = require "http_server"
    local dir = T.tmpdir()
    assert(os.execute("cp " .. T.shell_quote(LOG) .. " " .. T.shell_quote(dir .. "/app.log")))
    local srv = H.start({ "--logs", dir }, { SIC_METASTORE = url })
    local ok, err = pcall(function()
      local r = srv:get("/v1/apps/" .. T.example.app_id(LOG) .. "/findings")
      assert.are.equal(200, r.status, r.body)
      assert.truthy(r.body:find('"metastore.small_files"', 1, true), r.body:sub(1, 400))
      assert.truthy(r.body:find('"sales.orders"', 1, true))
    end)
    srv:stop()
    sh("rm -rf " .. T.shell_quote(dir))
    assert(ok, err)
  end)

  it("reads the newest SIC_METASTORE_MAX_PARTITIONS partitions of a table, with its true count", function()
    local out, ok = sh("SIC_METASTORE_MAX_PARTITIONS=10 " .. T.shell_quote(T.sic_bin) .. " analyze " .. T.shell_quote(LOG) ..
      " --format json --metastore " .. T.shell_quote(url) .. " 2>&1")
    assert.is_true(ok, out)
    local list = cjson.decode(out).applications[1].findings.findings
    local f = assert(find(list, "metastore.partition_count", "sales.orders"))
    assert.equal(120, f.evidence.metastore.partitions)
    assert.equal(10, f.evidence.metastore.partitions_listed)
    -- the newest ten hold the 50 GiB partition: still skewed against their median
    f = assert(find(list, "metastore.partition_skew", "sales.orders"))
    assert.equal("order_date=2024-11-24", f.evidence.metastore.largest_partition)
    -- table-level figures of a partitioned table without its own numFiles/totalSize are sums
    -- over the partitions listed: 9 x 40 small files + 400 of 128 MiB average 68 MiB, not small
    assert.is_nil(find(list, "metastore.small_files", "sales.orders"))
  end)

  it("does nothing without a metastore", function()
    local list = findings_of(analyze(nil))
    for _, f in ipairs(list) do assert.is_nil(f.id:match("^metastore%.")) end
  end)

  it("reads an older metastore without catalogs or column-statistics tables", function()
    local old = base_url:gsub("/sic$", "/hive2")
    psql(base_url, "CREATE DATABASE hive2")
    psql(old, metastore_sql() .. [[
      DELETE FROM "TABLE_PARAMS" WHERE "TBL_ID" = 60; DELETE FROM "TBLS" WHERE "DB_ID" = 6; DELETE FROM "DBS" WHERE "DB_ID" = 6;
      ALTER TABLE "DBS" DROP COLUMN "CTLG_NAME"; DROP TABLE "TAB_COL_STATS"; DROP TABLE "PART_COL_STATS";
      DROP TABLE "VERSION";]])
    local list = findings_of(analyze(old))
    local f = find(list, "metastore.small_files", "sales.orders")
    assert.equal(119 * 40 + 400, f.evidence.metastore.files)
    -- no column statistics anywhere now
    f = find(list, "metastore.missing_stats", "sales.orders")
    assert.same({ "column statistics" }, f.evidence.missing)
  end)

  describe("errors", function()
    it("an unreachable metastore is a finding naming the server, never its password", function()
      local port = sh("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'")
      local bad = "postgresql://hive:s3cretpw@127.0.0.1:" .. port:gsub("%s+$", "") .. "/metastore?password=s3cretpw"
      local r = analyze(bad)
      local list = findings_of(r)
      local f = assert(find(list, "metastore.unreadable"))
      assert.truthy(f.evidence.error:find("cannot connect", 1, true), f.evidence.error)
      assert.truthy(f.evidence.error:find("127.0.0.1", 1, true))
      assert.is_nil((r.stdout .. r.stderr):find("s3cretpw", 1, true))
      local text = T.run_sic({ "analyze", LOG, "--metastore", bad })
      assert.truthy(text.stdout:find("Hive metastore could not be read", 1, true))
      assert.is_nil((text.stdout .. text.stderr):find("s3cretpw", 1, true))
    end)

    it("a database that is not a metastore names the table it lacks", function()
      local other = base_url:gsub("/sic$", "/notmeta")
      psql(base_url, "CREATE DATABASE notmeta")
      psql(other, [[CREATE TABLE "DBS" ("DB_ID" bigint, "NAME" varchar(128));]])
      local f = assert(find(findings_of(analyze(other)), "metastore.unreadable"))
      assert.truthy(f.evidence.error:find('no table "TBLS"', 1, true), f.evidence.error)
    end)

    it("a URL that is not postgresql:// says what is expected", function()
      local f = assert(find(findings_of(analyze("thrift://metastore:9083")), "metastore.unreadable"))
      assert.truthy(f.evidence.error:find("expected postgresql://", 1, true), f.evidence.error)
    end)

    it("--metastore without a value is a usage error", function()
      local r = T.run_sic({ "analyze", LOG, "--metastore" })
      assert.equal(2, r.code)
      assert.truthy(r.stderr:find("--metastore", 1, true))
    end)
  end)
end)
