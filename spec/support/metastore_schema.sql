-- A minimal Hive metastore schema for tests (sic's own, not Hive's file): only the tables and
-- columns sources/metastore.c reads, with Hive's quoted upper-case names and types, shaped like
-- Hive 3 (DBS.CTLG_NAME, CAT_NAME in the column-statistics tables). spec/lua/metastore_spec.lua
-- also derives an older shape from it (no catalogs, no column-statistics tables).
CREATE TABLE "VERSION" ("VER_ID" bigint PRIMARY KEY, "SCHEMA_VERSION" varchar(127) NOT NULL,
  "VERSION_COMMENT" varchar(255) NOT NULL);
CREATE TABLE "DBS" ("DB_ID" bigint PRIMARY KEY, "DESC" varchar(4000), "DB_LOCATION_URI" varchar(4000) NOT NULL,
  "NAME" varchar(128), "OWNER_NAME" varchar(128), "OWNER_TYPE" varchar(10), "CTLG_NAME" varchar(256) NOT NULL DEFAULT 'hive');
CREATE TABLE "SERDES" ("SERDE_ID" bigint PRIMARY KEY, "NAME" varchar(128), "SLIB" varchar(4000));
CREATE TABLE "SDS" ("SD_ID" bigint PRIMARY KEY, "CD_ID" bigint, "INPUT_FORMAT" varchar(4000),
  "IS_COMPRESSED" boolean NOT NULL DEFAULT false, "IS_STOREDASSUBDIRECTORIES" boolean NOT NULL DEFAULT false,
  "LOCATION" varchar(4000), "NUM_BUCKETS" bigint NOT NULL DEFAULT -1, "OUTPUT_FORMAT" varchar(4000),
  "SERDE_ID" bigint REFERENCES "SERDES");
CREATE TABLE "TBLS" ("TBL_ID" bigint PRIMARY KEY, "CREATE_TIME" bigint NOT NULL, "DB_ID" bigint REFERENCES "DBS",
  "LAST_ACCESS_TIME" bigint NOT NULL DEFAULT 0, "OWNER" varchar(767), "RETENTION" bigint NOT NULL DEFAULT 0,
  "SD_ID" bigint REFERENCES "SDS", "TBL_NAME" varchar(256), "TBL_TYPE" varchar(128), "VIEW_EXPANDED_TEXT" text,
  "VIEW_ORIGINAL_TEXT" text, "IS_REWRITE_ENABLED" boolean NOT NULL DEFAULT false);
CREATE TABLE "TABLE_PARAMS" ("TBL_ID" bigint NOT NULL REFERENCES "TBLS", "PARAM_KEY" varchar(256) NOT NULL,
  "PARAM_VALUE" text, PRIMARY KEY ("TBL_ID", "PARAM_KEY"));
CREATE TABLE "PARTITION_KEYS" ("TBL_ID" bigint NOT NULL REFERENCES "TBLS", "PKEY_COMMENT" varchar(4000),
  "PKEY_NAME" varchar(128) NOT NULL, "PKEY_TYPE" varchar(767) NOT NULL, "INTEGER_IDX" bigint NOT NULL,
  PRIMARY KEY ("TBL_ID", "PKEY_NAME"));
CREATE TABLE "PARTITIONS" ("PART_ID" bigint PRIMARY KEY, "CREATE_TIME" bigint NOT NULL,
  "LAST_ACCESS_TIME" bigint NOT NULL DEFAULT 0, "PART_NAME" varchar(767), "SD_ID" bigint REFERENCES "SDS",
  "TBL_ID" bigint REFERENCES "TBLS");
CREATE TABLE "PARTITION_PARAMS" ("PART_ID" bigint NOT NULL REFERENCES "PARTITIONS", "PARAM_KEY" varchar(256) NOT NULL,
  "PARAM_VALUE" varchar(4000), PRIMARY KEY ("PART_ID", "PARAM_KEY"));
CREATE TABLE "TAB_COL_STATS" ("CS_ID" bigint PRIMARY KEY, "CAT_NAME" varchar(256) NOT NULL DEFAULT 'hive',
  "DB_NAME" varchar(128) NOT NULL, "TABLE_NAME" varchar(256) NOT NULL, "COLUMN_NAME" varchar(767) NOT NULL,
  "COLUMN_TYPE" varchar(128) NOT NULL, "TBL_ID" bigint NOT NULL REFERENCES "TBLS", "LONG_LOW_VALUE" bigint,
  "LONG_HIGH_VALUE" bigint, "NUM_NULLS" bigint NOT NULL, "NUM_DISTINCTS" bigint, "LAST_ANALYZED" bigint NOT NULL);
CREATE TABLE "PART_COL_STATS" ("CS_ID" bigint PRIMARY KEY, "CAT_NAME" varchar(256) NOT NULL DEFAULT 'hive',
  "DB_NAME" varchar(128) NOT NULL, "TABLE_NAME" varchar(256) NOT NULL, "PARTITION_NAME" varchar(767) NOT NULL,
  "COLUMN_NAME" varchar(767) NOT NULL, "COLUMN_TYPE" varchar(128) NOT NULL, "PART_ID" bigint NOT NULL REFERENCES "PARTITIONS",
  "NUM_NULLS" bigint NOT NULL, "NUM_DISTINCTS" bigint, "LAST_ANALYZED" bigint NOT NULL);
