/* AWS shared configuration: ~/.aws/credentials and ~/.aws/config, read the way the AWS CLI
 * and SDKs document them (facts of the format, written here from scratch):
 *
 *   credentials  [NAME] sections; aws_access_key_id, aws_secret_access_key, aws_session_token
 *   config       [default] and [profile NAME] sections; region, endpoint_url, the same three
 *                keys, and nested service sections ("s3 =" followed by indented
 *                "endpoint_url = ..." lines), of which s3's endpoint_url is used
 *
 * Files: AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, else ~/.aws/credentials and
 * ~/.aws/config ($HOME). Profile: AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
 * Environment variables win over both files, key by key (keys as a pair: an access key id from
 * the environment is never paired with a secret from a file). Messages name a file, a line and
 * a profile, never a value. */
#include "sources/source_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AWS_FILE_MAX (1u << 20) /* a bigger credentials or config file is refused */

static void free_secret(char *p) {
  if (!p) return;
  memset(p, 0, strlen(p));
  free(p);
}

void aws_profile_free(aws_profile *p) {
  if (!p) return;
  free(p->access_key_id);
  free_secret(p->secret_access_key);
  free_secret(p->session_token);
  free(p->region);
  free(p->endpoint_url);
  free(p->s3_endpoint_url);
  memset(p, 0, sizeof *p);
}

/* [start, end) without surrounding blanks. */
static void trim(const char **start, const char **end) {
  while (*start < *end && isspace((unsigned char)**start)) (*start)++;
  while (*end > *start && isspace((unsigned char)(*end)[-1])) (*end)--;
}

/* Does the header text [a, b) (inside the brackets) name profile in this file style? */
static int header_matches(const char *a, const char *b, const char *profile, int config_style) {
  trim(&a, &b);
  size_t n = (size_t)(b - a), pl = strlen(profile);
  if (config_style) {
    if (!strcmp(profile, "default") && n == 7 && !memcmp(a, "default", 7)) return 1;
    if (n < 8 || memcmp(a, "profile", 7) || !isspace((unsigned char)a[7])) return 0;
    a += 8;
    trim(&a, &b);
    n = (size_t)(b - a);
  }
  return n == pl && !memcmp(a, profile, pl);
}

/* Store value [a, b) in *slot unless it is set already (the first occurrence wins). */
static int take(char **slot, const char *a, const char *b) {
  if (*slot) return 0;
  *slot = strndup(a, (size_t)(b - a));
  return *slot ? 0 : SIC_ENOMEM;
}

static int key_is(const char *a, const char *b, const char *key) {
  size_t n = strlen(key);
  return (size_t)(b - a) == n && !strncasecmp(a, key, n);
}

int aws_profile_parse(const char *text, size_t len, const char *file, const char *profile, int config_style,
                      aws_profile *p, sic_err *err) {
  const char *end = text + len, *line = text;
  int in_section = 0, in_s3 = 0;
  long lineno = 0;
  while (line < end) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol) eol = end;
    lineno++;
    const char *a = line, *b = eol;
    int indented = a < b && (*a == ' ' || *a == '\t');
    line = eol < end ? eol + 1 : end;
    trim(&a, &b);
    if (a == b || *a == '#' || *a == ';') continue;
    if (memchr(a, 0, (size_t)(b - a)))
      return sic_err_set(err, SIC_EFORMAT, "%s: line %ld: a NUL byte (not a text file?)", file, lineno);
    if (*a == '[') {
      const char *close = memchr(a, ']', (size_t)(b - a));
      if (!close) return sic_err_set(err, SIC_EFORMAT, "%s: line %ld: section header without ']'", file, lineno);
      in_section = header_matches(a + 1, close, profile, config_style);
      if (in_section) p->found = 1;
      in_s3 = 0;
      continue;
    }
    const char *eq = memchr(a, '=', (size_t)(b - a));
    if (!eq) return sic_err_set(err, SIC_EFORMAT, "%s: line %ld: expected KEY = VALUE or [section]", file, lineno);
    if (!in_section) continue;
    const char *ka = a, *kb = eq, *va = eq + 1, *vb = b;
    trim(&ka, &kb);
    trim(&va, &vb);
    if (!indented) in_s3 = 0;
    if (!indented && va == vb) { /* "s3 =": a nested section of indented lines follows */
      in_s3 = key_is(ka, kb, "s3");
      continue;
    }
    int rc = 0;
    if (indented && in_s3) {
      if (key_is(ka, kb, "endpoint_url")) rc = take(&p->s3_endpoint_url, va, vb);
    } else if (indented) {
      continue; /* another service's nested setting */
    } else if (key_is(ka, kb, "aws_access_key_id")) rc = take(&p->access_key_id, va, vb);
    else if (key_is(ka, kb, "aws_secret_access_key")) rc = take(&p->secret_access_key, va, vb);
    else if (key_is(ka, kb, "aws_session_token")) rc = take(&p->session_token, va, vb);
    else if (key_is(ka, kb, "region")) rc = take(&p->region, va, vb);
    else if (key_is(ka, kb, "endpoint_url")) rc = take(&p->endpoint_url, va, vb);
    if (rc) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  return 0;
}

/* The whole file into *text (NULL when it does not exist); 0 or SIC_E*. */
static int read_small_file(const char *path, char **text, size_t *len, sic_err *err) {
  *text = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return errno == ENOENT || errno == ENOTDIR ? 0 : sic_err_set(err, SIC_EIO, "%s: %s", path, strerror(errno));
  char *buf = malloc(AWS_FILE_MAX + 1);
  size_t n = buf ? fread(buf, 1, AWS_FILE_MAX + 1, f) : 0;
  int bad = ferror(f);
  fclose(f);
  if (!buf) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  if (bad || n > AWS_FILE_MAX) {
    memset(buf, 0, n);
    free(buf);
    return sic_err_set(err, SIC_EFORMAT, "%s: %s", path, bad ? "read failed" : "larger than 1 MiB: not an AWS file");
  }
  buf[n] = 0;
  *text = buf;
  *len = n;
  return 0;
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* One file's settings for the profile, merged under what p already holds. */
static int load_file(const char *path, const char *profile, int config_style, aws_profile *p, sic_err *err) {
  char *text;
  size_t len;
  int rc = read_small_file(path, &text, &len, err);
  if (rc || !text) return rc;
  rc = aws_profile_parse(text, len, path, profile, config_style, p, err);
  memset(text, 0, len); /* it holds secrets */
  free(text);
  return rc;
}

static int file_path(char *out, size_t cap, const char *env, const char *home_rel) {
  const char *v = env_nonempty(env);
  if (v) return snprintf(out, cap, "%s", v) < (int)cap;
  const char *home = env_nonempty("HOME");
  if (!home) return 0;
  return snprintf(out, cap, "%s/%s", home, home_rel) < (int)cap;
}

/* Replace *slot with value when value is set (environment wins). */
static int override(char **slot, const char *value, int secret) {
  if (!value) return 0;
  char *copy = strdup(value);
  if (!copy) return SIC_ENOMEM;
  if (secret) free_secret(*slot);
  else free(*slot);
  *slot = copy;
  return 0;
}

int aws_profile_load(aws_profile *p, sic_err *err) {
  memset(p, 0, sizeof *p);
  const char *profile = env_nonempty("AWS_PROFILE");
  if (!profile) profile = env_nonempty("AWS_DEFAULT_PROFILE");
  int named = profile != NULL;
  if (!profile) profile = "default";
  char creds[4096], config[4096];
  int have_creds = file_path(creds, sizeof creds, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  int have_config = file_path(config, sizeof config, "AWS_CONFIG_FILE", ".aws/config");
  int rc = 0;
  /* the credentials file first: its keys win over the config file's */
  if (have_creds) rc = load_file(creds, profile, 0, p, err);
  if (!rc && have_config) rc = load_file(config, profile, 1, p, err);
  if (rc) goto error;
  if (named && !p->found) {
    rc = sic_err_set(err, SIC_ENOTFOUND, "AWS profile '%s' (AWS_PROFILE) is in neither %s nor %s", profile,
                     have_creds ? creds : "~/.aws/credentials", have_config ? config : "~/.aws/config");
    goto error;
  }
  if (p->access_key_id && !p->secret_access_key) {
    rc = sic_err_set(err, SIC_EINVAL, "AWS profile '%s': aws_access_key_id without aws_secret_access_key", profile);
    goto error;
  }
  /* the environment wins; its keys come as a pair, never mixed with a file's */
  const char *id = env_nonempty("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    free(p->access_key_id);
    free_secret(p->secret_access_key);
    free_secret(p->session_token);
    p->access_key_id = p->secret_access_key = p->session_token = NULL;
    if (override(&p->access_key_id, id, 0) || override(&p->secret_access_key, secret, 1) ||
        override(&p->session_token, env_nonempty("AWS_SESSION_TOKEN"), 1))
      goto nomem;
  }
  const char *region = env_nonempty("AWS_REGION");
  if (!region) region = env_nonempty("AWS_DEFAULT_REGION");
  const char *endpoint = env_nonempty("AWS_ENDPOINT_URL_S3");
  if (!endpoint) endpoint = env_nonempty("AWS_ENDPOINT_URL");
  if (override(&p->region, region, 0)) goto nomem;
  if (endpoint) {
    free(p->s3_endpoint_url);
    p->s3_endpoint_url = NULL;
    if (override(&p->endpoint_url, endpoint, 0)) goto nomem;
  }
  return 0;
nomem:
  rc = sic_err_set(err, SIC_ENOMEM, "out of memory");
error:
  aws_profile_free(p);
  return rc;
}
