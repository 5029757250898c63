/* sources/: credentials and the object-store parsers added for following and zips in buckets.
 *  - AWS shared configuration: ~/.aws/credentials and ~/.aws/config under a temporary HOME,
 *    profiles, nested s3 endpoint, AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, the
 *    environment winning, errors naming file and line but never a secret;
 *  - Azure Shared Key: HMAC-SHA256 against RFC 4231's published test case 2, the Blob
 *    service's string to sign (documented layout), connection strings, a bad key refused
 *    without being echoed;
 *  - zip central directories (the tail of an archive made by libzip here), damaged ones refused.
 * No shared data and no server: Azurite and s3rver runs are in spec/lua/sources_objstore_spec.lua. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "check.h"
#include "sources/source_internal.h"

static char home[256];

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CHECK(f != NULL, "%s", path);
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static void clear_aws_env(void) {
  const char *vars[] = {"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                        "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
                        "AWS_ENDPOINT_URL_S3", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
  setenv("HOME", home, 1);
}

static void setup_aws_home(void) {
  snprintf(home, sizeof home, "/tmp/sic-test-aws-XXXXXX");
  CHECK(mkdtemp(home) != NULL);
  char dir[512], path[600];
  snprintf(dir, sizeof dir, "%s/.aws", home);
  mkdir(dir, 0700);
  snprintf(path, sizeof path, "%s/credentials", dir);
  write_text(path, "# keys\n"
                   "[default]\n"
                   "aws_access_key_id = AKIDDEFAULT\n"
                   "aws_secret_access_key = secret-default-XYZ\n"
                   "\n"
                   "[dev]\r\n"
                   "aws_access_key_id=AKIDDEV\r\n"
                   "aws_secret_access_key=secret-dev-XYZ\r\n"
                   "aws_session_token = tok-dev-XYZ\r\n"
                   "; a comment\n"
                   "[develop]\n"
                   "aws_access_key_id = AKIDWRONG\n"
                   "aws_secret_access_key = secret-wrong-XYZ\n");
  snprintf(path, sizeof path, "%s/config", dir);
  write_text(path, "[default]\n"
                   "region = eu-west-1\n"
                   "[profile dev]\n"
                   "region = us-west-2\n"
                   "endpoint_url = http://dev.example:9000\n"
                   "s3 =\n"
                   "  endpoint_url = http://s3.dev.example:9001\n"
                   "  addressing_style = path\n"
                   "dynamodb =\n"
                   "  endpoint_url = http://ddb.example:8000\n"
                   "[profile cfgonly]\n"
                   "aws_access_key_id = AKIDCFG\n"
                   "aws_secret_access_key = secret-cfg-XYZ\n"
                   "region = ap-south-1\n"
                   "[dev]\n"
                   "region = not-a-profile-section\n");
}

static void test_aws_profiles(void) {
  aws_profile p;
  sic_err err = {0};
  clear_aws_env();
  CHECK_EQ_INT(aws_profile_load(&p, &err), 0);
  CHECK_EQ_STR(p.access_key_id, "AKIDDEFAULT");
  CHECK_EQ_STR(p.secret_access_key, "secret-default-XYZ");
  CHECK(p.session_token == NULL);
  CHECK_EQ_STR(p.region, "eu-west-1");
  CHECK(p.endpoint_url == NULL && p.s3_endpoint_url == NULL);
  aws_profile_free(&p);

  setenv("AWS_PROFILE", "dev", 1);
  CHECK_EQ_INT(aws_profile_load(&p, &err), 0);
  CHECK_EQ_STR(p.access_key_id, "AKIDDEV"); /* not [develop]'s, and CRLF lines trimmed */
  CHECK_EQ_STR(p.secret_access_key, "secret-dev-XYZ");
  CHECK_EQ_STR(p.session_token, "tok-dev-XYZ");
  CHECK_EQ_STR(p.region, "us-west-2"); /* [profile dev], not the credentials-style [dev] of config */
  CHECK_EQ_STR(p.endpoint_url, "http://dev.example:9000");
  CHECK_EQ_STR(p.s3_endpoint_url, "http://s3.dev.example:9001"); /* not dynamodb's */
  aws_profile_free(&p);

  setenv("AWS_PROFILE", "cfgonly", 1); /* keys in the config file only */
  CHECK_EQ_INT(aws_profile_load(&p, &err), 0);
  CHECK_EQ_STR(p.access_key_id, "AKIDCFG");
  CHECK_EQ_STR(p.region, "ap-south-1");
  aws_profile_free(&p);

  /* the environment wins, keys as a pair: no session token of the file's profile */
  setenv("AWS_PROFILE", "dev", 1);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret-env-XYZ", 1);
  setenv("AWS_REGION", "sa-east-1", 1);
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
  CHECK_EQ_INT(aws_profile_load(&p, &err), 0);
  CHECK_EQ_STR(p.access_key_id, "AKIDENV");
  CHECK_EQ_STR(p.secret_access_key, "secret-env-XYZ");
  CHECK(p.session_token == NULL);
  CHECK_EQ_STR(p.region, "sa-east-1");
  CHECK_EQ_STR(p.endpoint_url, "http://127.0.0.1:1");
  CHECK(p.s3_endpoint_url == NULL, "AWS_ENDPOINT_URL beats the profile's s3 endpoint");
  aws_profile_free(&p);

  /* a named profile that is nowhere: an error naming it and the files, no secret */
  clear_aws_env();
  setenv("AWS_PROFILE", "nosuch", 1);
  CHECK_EQ_INT(aws_profile_load(&p, &err), SIC_ENOTFOUND);
  CHECK(strstr(err.msg, "'nosuch'") && strstr(err.msg, "/.aws/credentials"), "%s", err.msg);
  CHECK(!strstr(err.msg, "XYZ"), "%s", err.msg);

  /* no HOME files at all: nothing, not an error */
  clear_aws_env();
  setenv("HOME", "/nonexistent-sic-home", 1);
  CHECK_EQ_INT(aws_profile_load(&p, &err), 0);
  CHECK(p.access_key_id == NULL && p.region == NULL && !p.found);
  aws_profile_free(&p);
}

static void test_aws_files_and_errors(void) {
  aws_profile p;
  sic_err err = {0};
  char creds[600], config[600];
  snprintf(creds, sizeof creds, "%s/other-credentials", home);
  snprintf(config, sizeof config, "%s/other-config", home);
  write_text(creds, "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = secret-ci-XYZ\n");
  write_text(config, "[profile ci]\nregion = eu-north-1\n");
  clear_aws_env();
  setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
  setenv("AWS_CONFIG_FILE", config, 1);
  setenv("AWS_PROFILE", "ci", 1);
  CHECK_EQ_INT(aws_profile_load(&p, &err), 0);
  CHECK_EQ_STR(p.access_key_id, "AKIDCI");
  CHECK_EQ_STR(p.region, "eu-north-1");
  aws_profile_free(&p);

  /* a broken line: file and line named, the value never */
  write_text(creds, "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key secret-broken-XYZ\n");
  CHECK_EQ_INT(aws_profile_load(&p, &err), SIC_EFORMAT);
  CHECK(strstr(err.msg, "other-credentials: line 3"), "%s", err.msg);
  CHECK(!strstr(err.msg, "broken"), "%s", err.msg);
  write_text(creds, "[ci\naws_access_key_id = AKIDCI\n");
  CHECK_EQ_INT(aws_profile_load(&p, &err), SIC_EFORMAT);
  CHECK(strstr(err.msg, "line 1") && strstr(err.msg, "']'"), "%s", err.msg);
  write_text(creds, "[ci]\naws_access_key_id = AKIDCI\n");
  CHECK_EQ_INT(aws_profile_load(&p, &err), SIC_EINVAL);
  CHECK(strstr(err.msg, "without aws_secret_access_key"), "%s", err.msg);

  /* through sic_source_open: s3:// signs with the profile's keys in its region */
  write_text(creds, "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = secret-ci-XYZ\n");
  sic_source *s = NULL;
  CHECK_EQ_INT(sic_source_open("s3://bucket", NULL, &s, &err), 0);
  if (s) {
    CHECK_EQ_STR(s->auth.user, "AKIDCI");
    CHECK_EQ_STR(s->auth.sigv4, "aws:amz:eu-north-1:s3");
    sic_source_free(s);
  }
  unsetenv("AWS_PROFILE");
  unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  unsetenv("AWS_CONFIG_FILE");
}

/* ---- Azure Shared Key ---- */

static void test_azure_shared_key(void) {
  /* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?", HMAC-SHA256
   * 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843 (here in base64) */
  char sig[64];
  CHECK_EQ_INT(az_shared_key_signature((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", sig), 0);
  CHECK_EQ_STR(sig, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");

  /* the Blob service's layout: verb, eleven standard headers (Range the last), the x-ms-*
   * headers sorted and lower-cased, then /account + path + sorted, decoded query parameters */
  const char *headers[] = {"Range: bytes=0-99", "x-ms-version: 2021-08-06",
                           "x-ms-date: Sun, 06 Dec 2026 23:00:00 GMT", "X-Ms-Client-Request-Id:  abc ", NULL};
  char *sts = az_string_to_sign("myaccount", "GET",
                                "https://myaccount.blob.core.windows.net/mycontainer/a%20b.log?restype=container&comp=list"
                                "&prefix=x%2Fy&marker=",
                                headers);
  CHECK_EQ_STR(sts, "GET\n\n\n\n\n\n\n\n\n\n\nbytes=0-99\n"
                    "x-ms-client-request-id:abc\nx-ms-date:Sun, 06 Dec 2026 23:00:00 GMT\nx-ms-version:2021-08-06\n"
                    "/myaccount/mycontainer/a%20b.log\ncomp:list\nmarker:\nprefix:x/y\nrestype:container");
  free(sts);
  /* a path-style endpoint (Azurite) holds the account in the path as well */
  const char *plain[] = {"x-ms-version: 2021-08-06", NULL};
  sts = az_string_to_sign("devstoreaccount1", "GET", "http://127.0.0.1:10000/devstoreaccount1/logs/k", plain);
  CHECK_EQ_STR(sts, "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/logs/k");
  free(sts);

  http_auth a = {0};
  sic_err err = {0};
  CHECK_EQ_INT(az_shared_key_auth(&a, "acct", "bm90IGJhc2U2NA@@", &err), SIC_EINVAL);
  CHECK(!strstr(err.msg, "bm90"), "%s", err.msg);
  http_auth_free(&a);
  CHECK_EQ_INT(az_shared_key_auth(&a, "acct", "SmVmZQ==", &err), 0); /* "Jefe" */
  CHECK_EQ_INT(a.password_len, 4);
  CHECK(a.sign != NULL && !memcmp(a.password, "Jefe", 4));
  char *date = NULL, *line = NULL;
  CHECK_EQ_INT(a.sign(&a, "https://acct.blob.core.windows.net/c/k", plain, &date, &line), 0);
  CHECK(date && !strncmp(date, "x-ms-date: ", 11) && strstr(date, " GMT"), "%s", date ? date : "");
  CHECK(line && !strncmp(line, "Authorization: SharedKey acct:", 30) && strlen(line) == 30 + 44, "%s", line ? line : "");
  free(date);
  free(line);
  http_auth_free(&a);
}

static void test_azure_connection_string(void) {
  az_conn c;
  sic_err err = {0};
  CHECK_EQ_INT(az_conn_parse("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5==;EndpointSuffix=core.chinacloudapi.cn",
                             &c, &err), 0);
  CHECK_EQ_STR(c.account, "acct");
  CHECK_EQ_STR(c.key, "a2V5=="); /* '=' inside a value kept */
  CHECK_EQ_STR(c.blob_endpoint, "https://acct.blob.core.chinacloudapi.cn");
  az_conn_free(&c);
  CHECK_EQ_INT(az_conn_parse("BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;SharedAccessSignature=sv=1&sig=x;", &c, &err), 0);
  CHECK_EQ_STR(c.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  CHECK_EQ_STR(c.sas, "sv=1&sig=x");
  CHECK(c.account == NULL);
  az_conn_free(&c);
  CHECK_EQ_INT(az_conn_parse("UseDevelopmentStorage=true", &c, &err), 0);
  CHECK_EQ_STR(c.account, "devstoreaccount1");
  CHECK_EQ_STR(c.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  az_conn_free(&c);
  CHECK_EQ_INT(az_conn_parse("AccountName=acct;c2VjcmV0LWtleQ", &c, &err), SIC_EINVAL);
  CHECK(strstr(err.msg, "item 2") && !strstr(err.msg, "c2Vj"), "%s", err.msg);
}

/* ---- zip central directories ---- */

static uint8_t *read_all(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)len + 1);
  *n = buf ? fread(buf, 1, (size_t)len, f) : 0;
  fclose(f);
  return buf;
}

static void test_zip_directory(void) {
  char path[600];
  snprintf(path, sizeof path, "%s/t.zip", home);
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  CHECK(z != NULL);
  if (!z) return;
  static char text[5000];
  for (size_t i = 0; i < sizeof text - 1; i++) text[i] = (char)('a' + i % 7);
  zip_dir_add(z, "eventlog_v2_app-1", ZIP_FL_ENC_UTF_8);
  zip_source_t *a = zip_source_buffer(z, text, sizeof text - 1, 0);
  zip_int64_t ia = zip_file_add(z, "eventlog_v2_app-1/events_1_app-1", a, ZIP_FL_ENC_UTF_8);
  zip_source_t *b = zip_source_buffer(z, "stored\n", 7, 0);
  zip_int64_t ib = zip_file_add(z, "app-2.inprogress", b, ZIP_FL_ENC_UTF_8);
  zip_set_file_compression(z, (zip_uint64_t)ia, ZIP_CM_DEFLATE, 9);
  zip_set_file_compression(z, (zip_uint64_t)ib, ZIP_CM_STORE, 0);
  zip_set_archive_comment(z, "made by test_sources_auth", 25);
  CHECK_EQ_INT(zip_close(z), 0);

  size_t n = 0;
  uint8_t *all = read_all(path, &n);
  CHECK(all && n > 100);
  if (!all) return;
  sic_err err = {0};
  zip_directory_loc loc;
  /* the last 100 bytes: the end record and comment are there, the directory is not all there */
  size_t tail = 100;
  CHECK_EQ_INT(zip_find_directory(all + n - tail, tail, (int64_t)(n - tail), (int64_t)n, &loc, &err), 0);
  CHECK_EQ_INT(loc.entries, 3);
  CHECK(loc.cd_offset > 0 && loc.cd_offset + loc.cd_size <= (int64_t)n);
  zip_directory d;
  CHECK_EQ_INT(zip_parse_directory(all + loc.cd_offset, (size_t)loc.cd_size, loc.entries, (int64_t)n, &d, &err), 0);
  CHECK_EQ_INT(d.n, 2); /* the directory entry is left out */
  if (d.n == 2) {
    CHECK_EQ_STR(d.items[0].name, "eventlog_v2_app-1/events_1_app-1");
    CHECK_EQ_INT(d.items[0].method, 8);
    CHECK_EQ_INT(d.items[0].usize, sizeof text - 1);
    CHECK(d.items[0].csize < d.items[0].usize);
    CHECK_EQ_STR(d.items[1].name, "app-2.inprogress");
    CHECK_EQ_INT(d.items[1].method, 0);
    CHECK_EQ_INT(d.items[1].csize, 7);
    CHECK(!memcmp(all + d.items[1].local_offset, "PK\3\4", 4));
  }
  zip_directory_free(&d);

  /* damaged: no end record; a directory claiming more members than it holds; one cut short */
  CHECK_EQ_INT(zip_find_directory(all, 40, 0, (int64_t)n, &loc, &err), SIC_EFORMAT);
  CHECK(strstr(err.msg, "not a zip"), "%s", err.msg);
  CHECK_EQ_INT(zip_find_directory(all + n - tail, tail, (int64_t)(n - tail), (int64_t)n, &loc, &err), 0);
  CHECK_EQ_INT(zip_parse_directory(all + loc.cd_offset, (size_t)loc.cd_size, 1000, (int64_t)n, &d, &err), SIC_EFORMAT);
  CHECK_EQ_INT(zip_parse_directory(all + loc.cd_offset, (size_t)loc.cd_size - 10, loc.entries, (int64_t)n, &d, &err),
               SIC_EFORMAT);
  CHECK(d.items == NULL && d.n == 0);
  /* a directory pointing past the archive's end */
  CHECK_EQ_INT(zip_find_directory(all + n - tail, tail, (int64_t)(n - tail), loc.cd_offset + 10, &loc, &err), SIC_EFORMAT);
  free(all);
  unlink(path);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* A zip64 archive's end (as the APPNOTE lays it out: central directory, zip64 end record,
 * its locator, the classic end record with 0xFFFF.. fields), made here byte by byte: one
 * member whose sizes and offset are in the zip64 extra field. */
static void test_zip64_directory(void) {
  uint8_t buf[512] = {0};
  const char *name = "eventlog_v2_a/events_1_a";
  size_t nl = strlen(name), at = 0;
  uint64_t base = 5000000000ULL; /* the directory starts past 4 GiB */
  /* central directory entry with a zip64 extra field (usize, csize, local offset) */
  put32(buf, 0x02014b50);
  put16(buf + 10, 8);
  put32(buf + 16, 0x1234abcd);
  put32(buf + 20, 0xFFFFFFFFu);
  put32(buf + 24, 0xFFFFFFFFu);
  put16(buf + 28, (uint16_t)nl);
  put16(buf + 30, 28);
  put32(buf + 42, 0xFFFFFFFFu);
  memcpy(buf + 46, name, nl);
  uint8_t *x = buf + 46 + nl;
  put16(x, 1);
  put16(x + 2, 24);
  put64(x + 4, 6000000000ULL); /* usize */
  put64(x + 12, 4500000000ULL); /* csize */
  put64(x + 20, 123);          /* local header offset */
  size_t cd_size = 46 + nl + 28;
  at = cd_size;
  uint8_t *z = buf + at; /* zip64 end record */
  put32(z, 0x06064b50);
  put64(z + 4, 44);
  put64(z + 24, 1);
  put64(z + 32, 1);
  put64(z + 40, cd_size);
  put64(z + 48, base);
  at += 56;
  uint8_t *l = buf + at; /* locator */
  put32(l, 0x07064b50);
  put64(l + 8, base + cd_size);
  put32(l + 16, 1);
  at += 20;
  uint8_t *e = buf + at; /* classic end record */
  put32(e, 0x06054b50);
  put16(e + 8, 0xFFFF);
  put16(e + 10, 0xFFFF);
  put32(e + 12, 0xFFFFFFFFu);
  put32(e + 16, 0xFFFFFFFFu);
  at += 22;
  int64_t size = (int64_t)(base + at);
  sic_err err = {0};
  zip_directory_loc loc;
  CHECK_EQ_INT(zip_find_directory(buf, at, (int64_t)base, size, &loc, &err), 0);
  CHECK_EQ_INT(loc.entries, 1);
  CHECK_EQ_INT(loc.cd_offset, (int64_t)base);
  CHECK_EQ_INT(loc.cd_size, (int64_t)cd_size);
  zip_directory d;
  CHECK_EQ_INT(zip_parse_directory(buf, cd_size, 1, size, &d, &err), 0);
  CHECK_EQ_INT(d.n, 1);
  if (d.n == 1) {
    CHECK_EQ_STR(d.items[0].name, name);
    CHECK_EQ_INT(d.items[0].usize, 6000000000LL);
    CHECK_EQ_INT(d.items[0].csize, 4500000000LL);
    CHECK_EQ_INT(d.items[0].local_offset, 123);
    CHECK_EQ_INT(d.items[0].crc, 0x1234abcd);
  }
  zip_directory_free(&d);
  /* the extra field cut short: refused */
  put16(x + 2, 16);
  CHECK_EQ_INT(zip_parse_directory(buf, cd_size, 1, size, &d, &err), SIC_EFORMAT);
  CHECK(strstr(err.msg, "zip64"), "%s", err.msg);
  /* a locator pointing outside the tail */
  put64(l + 8, 7);
  CHECK_EQ_INT(zip_find_directory(buf, at, (int64_t)base, size, &loc, &err), SIC_EFORMAT);
}

int main(void) {
  setup_aws_home();
  test_aws_profiles();
  test_aws_files_and_errors();
  test_azure_shared_key();
  test_azure_connection_string();
  test_zip_directory();
  test_zip64_directory();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", home);
  return CHECK_RESULT();
}
