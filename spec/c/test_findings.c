/* Typed findings across the C/Lua boundary: one run of the orchestration graph gives the
 * sic.findings/1 document, the rendering asked for and the typed fields (findings, rule
 * errors, the cost agent's figures) that sic analyze, --store and the HTTP copilot read. */
#include <unistd.h>

#include "check.h"
#include "gen/gen.h"
#include "json/scan.h"
#include "lua/lua_host.h"
#include "model/model.h"

/* Entries of the top-level "findings" array of a sic.findings/1 document, -1 if unreadable. */
static int64_t json_findings(const char *json) {
  sic_jscan s;
  sic_jiter it, arr;
  sic_jstr key;
  sic_json_init(&s, json, strlen(json));
  if (sic_json_obj_begin(&s, &it) < 0) return -1;
  while (sic_json_obj_next(&s, &it, &key) == 1) {
    if (key.len == 8 && !memcmp(key.p, "findings", 8)) {
      int64_t n = 0;
      if (sic_json_arr_begin(&s, &arr) < 0) return -1;
      while (sic_json_arr_next(&s, &arr) == 1) {
        if (sic_json_skip(&s) < 0) return -1;
        n++;
      }
      return n;
    }
    if (sic_json_skip(&s) < 0) return -1;
  }
  return -1;
}

int main(void) {
  char path[] = "/tmp/sic_findings_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  sic_components_init();
  sic_gen_opts go;
  sic_gen_opts_default(&go);
  go.tasks = 400;
  sic_err err = {0};
  sic_app *app = NULL;
  CHECK(sic_gen_write_file(path, &go, NULL, &err) == 0, "%s", err.msg);
  CHECK(sic_app_load_path(path, NULL, &app, &err) == 0, "%s", err.msg);
  unlink(path);
  if (!app) return CHECK_RESULT();

  sic_findings text, json;
  CHECK(sic_lua_run_graph(app, NULL, "text", &text, &err) == 0, "%s", err.msg);
  CHECK(sic_lua_run_graph(app, NULL, "json", &json, &err) == 0, "%s", err.msg);
  CHECK(text.rendered && strstr(text.rendered, "["), "the text rendering comes with the run");
  CHECK(json.rendered == NULL, "json asks for no rendering");
  CHECK(text.json && strstr(text.json, "\"schema\": \"sic.findings/1\""), "the document comes with every run");
  /* The typed list is the document's list. */
  CHECK(json.n > 0, "the generated application has planted problems");
  CHECK_EQ_INT(json.json ? json_findings(json.json) : -1, json.n);
  CHECK_EQ_INT(text.n, json.n);
  CHECK_EQ_INT(json.nerrors, 0);
  for (int64_t i = 0; i < json.n; i++) {
    CHECK(json.items[i].id[0] && json.items[i].severity[0] && json.items[i].title[0], "finding %" PRId64, i);
    CHECK(strstr(json.json, json.items[i].id) != NULL, "%s in the document", json.items[i].id);
  }
  /* The cost agent's figures are typed (or -1 when it could not price the run). */
  CHECK(json.run_usd == -1 || json.run_usd > 0, "run_usd %g", json.run_usd);
  CHECK(json.savings_usd == -1 || json.savings_usd >= 0, "savings_usd %g", json.savings_usd);
  sic_findings_free(&text);
  sic_findings_free(&json);
  /* An unknown format is an error and leaves nothing to free. */
  sic_findings bad;
  CHECK(sic_lua_run_graph(app, NULL, "yaml", &bad, &err) == SIC_EINVAL);
  CHECK(bad.json == NULL && bad.items == NULL);
  sic_app_free(app);
  return CHECK_RESULT();
}
