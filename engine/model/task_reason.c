/* "Task End Reason" of a TaskEnd: the reason class, the task status it implies, and the
 * error message exactly as the History Server shows it (TaskEndReason.toErrorString in
 * Spark: ExceptionFailure's full stack trace, or class + description + stack frames for
 * logs older than Spark 1.2; FetchFailed, ExecutorLostFailure, TaskCommitDenied, ... texts). */
#include <stdio.h>
#include <string.h>

#include "model/builder.h"

#define FOR_MEMBERS(s, it, k) for (int r_; (r_ = sic_json_obj_next((s), (it), (k))) > 0;)

/* "Stack Trace": [{"Declaring Class","Method Name","File Name","Line Number"}] appended as
 * Java prints StackTraceElement, one per line, indented as ExceptionFailure does. */
static void append_stack(sic_jscan *s, char *buf, size_t cap, size_t *len) {
  sic_jiter it, in;
  sic_jstr k, cls = {0}, meth = {0}, file = {0};
  int64_t line = -1;
  if (sic_json_peek(s) != SIC_JT_ARRAY) { sic_json_skip(s); return; }
  sic_json_arr_begin(s, &it);
  int first = 1;
  while (sic_json_arr_next(s, &it) > 0) {
    if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_json_skip(s); continue; }
    cls.len = meth.len = file.len = 0;
    line = -1;
    sic_json_obj_begin(s, &in);
    FOR_MEMBERS(s, &in, &k) {
      if (SIC_KEY(&k, "Declaring Class") && sic_json_peek(s) == SIC_JT_STRING) sic_json_str(s, &cls);
      else if (SIC_KEY(&k, "Method Name") && sic_json_peek(s) == SIC_JT_STRING) sic_json_str(s, &meth);
      else if (SIC_KEY(&k, "File Name") && sic_json_peek(s) == SIC_JT_STRING) sic_json_str(s, &file);
      else if (SIC_KEY(&k, "Line Number") && sic_json_peek(s) == SIC_JT_NUMBER) sic_json_i64(s, &line);
      else sic_json_skip(s);
    }
    if (*len + cls.len + meth.len + file.len + 48 >= cap) continue;
    if (!first) buf[(*len)++] = '\n';
    first = 0;
    memcpy(buf + *len, "        ", 8);
    *len += 8;
    *len += sic_json_unescape(&cls, buf + *len);
    buf[(*len)++] = '.';
    *len += sic_json_unescape(&meth, buf + *len);
    if (line == -2) *len += (size_t)snprintf(buf + *len, cap - *len, "(Native Method)");
    else if (file.len && line >= 0) {
      buf[(*len)++] = '(';
      *len += sic_json_unescape(&file, buf + *len);
      *len += (size_t)snprintf(buf + *len, cap - *len, ":%lld)", (long long)line);
    } else if (file.len) {
      buf[(*len)++] = '(';
      *len += sic_json_unescape(&file, buf + *len);
      buf[(*len)++] = ')';
    } else *len += (size_t)snprintf(buf + *len, cap - *len, "(Unknown Source)");
  }
}

/* The members of a "Task End Reason" object (which ones exist depends on the reason). */
typedef struct reason_fields {
  sic_jstr reason;             /* "Reason": class name, p == NULL when absent */
  char stack[8192];            /* "Stack Trace" frames as Java prints them */
  size_t stack_len;            /* bytes used in stack */
  sic_sid cls, desc, full;     /* ExceptionFailure: "Class Name", "Description", "Full Stack Trace" */
  sic_sid kill;                /* TaskKilled: "Kill Reason" */
  sic_sid msg;                 /* FetchFailed: "Message" */
  sic_sid loss, exec;          /* ExecutorLostFailure: "Loss Reason", "Executor ID" */
  int32_t by_app;              /* ExecutorLostFailure: "Exit Caused By App" */
  sic_sid bm_exec, bm_host;    /* FetchFailed: "Block Manager Address" executor and host */
  int64_t bm_port;             /* ... and port */
  int64_t shuffle, map_id, reduce; /* FetchFailed: "Shuffle ID", "Map ID", "Reduce ID" */
  int64_t map_index;           /* FetchFailed: "Map Index" (Spark 3.0+), -2 when absent */
  int64_t job, part, att;      /* TaskCommitDenied: "Job ID", "Partition ID", "Attempt Number" */
} reason_fields;

static void read_block_manager(sic_builder *b, sic_jscan *s, reason_fields *f) {
  sic_jiter in;
  sic_jstr kk;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_json_skip(s); return; }
  sic_json_obj_begin(s, &in);
  FOR_MEMBERS(s, &in, &kk) {
    if (SIC_KEY(&kk, "Executor ID")) sic_rd_sid(b, s, &f->bm_exec);
    else if (SIC_KEY(&kk, "Host")) sic_rd_sid(b, s, &f->bm_host);
    else if (SIC_KEY(&kk, "Port")) sic_rd_i64(b, s, &f->bm_port);
    else sic_json_skip(s);
  }
}

/* Reads the object into f; returns 0, or -1 when it is not an object or the JSON is broken. */
static int read_fields(sic_builder *b, sic_jscan *s, reason_fields *f) {
  sic_jiter it;
  sic_jstr k;
  memset(&f->reason, 0, sizeof f->reason);
  f->stack_len = 0;
  f->cls = f->desc = f->full = f->kill = f->msg = f->loss = f->exec = f->bm_exec = f->bm_host = -1;
  f->by_app = 1;
  f->bm_port = f->shuffle = f->map_id = f->reduce = f->job = f->part = f->att = -1;
  f->map_index = -2;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return -1; }
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_KEY(&k, "Reason") && sic_json_peek(s) == SIC_JT_STRING) sic_json_str(s, &f->reason);
    else if (SIC_KEY(&k, "Class Name")) sic_rd_sid(b, s, &f->cls);
    else if (SIC_KEY(&k, "Description")) sic_rd_sid(b, s, &f->desc);
    else if (SIC_KEY(&k, "Full Stack Trace")) sic_rd_sid(b, s, &f->full);
    else if (SIC_KEY(&k, "Stack Trace")) append_stack(s, f->stack, sizeof f->stack, &f->stack_len);
    else if (SIC_KEY(&k, "Kill Reason")) sic_rd_sid(b, s, &f->kill);
    else if (SIC_KEY(&k, "Message")) sic_rd_sid(b, s, &f->msg);
    else if (SIC_KEY(&k, "Loss Reason")) sic_rd_sid(b, s, &f->loss);
    else if (SIC_KEY(&k, "Executor ID")) sic_rd_sid(b, s, &f->exec);
    else if (SIC_KEY(&k, "Exit Caused By App")) sic_rd_bool(b, s, &f->by_app);
    else if (SIC_KEY(&k, "Shuffle ID")) sic_rd_i64(b, s, &f->shuffle);
    else if (SIC_KEY(&k, "Map ID")) sic_rd_i64(b, s, &f->map_id);
    else if (SIC_KEY(&k, "Map Index")) sic_rd_i64(b, s, &f->map_index);
    else if (SIC_KEY(&k, "Reduce ID")) sic_rd_i64(b, s, &f->reduce);
    else if (SIC_KEY(&k, "Job ID")) sic_rd_i64(b, s, &f->job);
    else if (SIC_KEY(&k, "Partition ID")) sic_rd_i64(b, s, &f->part);
    else if (SIC_KEY(&k, "Attempt Number")) sic_rd_i64(b, s, &f->att);
    else if (SIC_KEY(&k, "Block Manager Address")) read_block_manager(b, s, f);
    else sic_json_skip(s);
  }
  return s->err ? -1 : 0;
}

/* The failure text of a failed task (TaskFailedReason.toErrorString); -1 for unknown reasons. */
static int format_failure(const sic_app *a, const reason_fields *f, char *buf, size_t cap) {
#define S(x) ((x) >= 0 ? sic_str(a, x) : "null")
  const sic_jstr *r = &f->reason;
  if (SIC_KEY(r, "ExceptionFailure")) /* logs before Spark 1.2 have no Full Stack Trace */
    return snprintf(buf, cap, "%s: %s\n%.*s", S(f->cls), f->desc >= 0 ? sic_str(a, f->desc) : "", (int)f->stack_len,
                    f->stack);
  if (SIC_KEY(r, "FetchFailed")) {
    char bm[512] = "null";
    if (f->bm_exec >= 0 || f->bm_host >= 0)
      snprintf(bm, sizeof bm, "BlockManagerId(%s, %s, %lld, None)", S(f->bm_exec), S(f->bm_host), (long long)f->bm_port);
    if (f->map_index != -2)
      return snprintf(buf, cap, "FetchFailed(%s, shuffleId=%lld, mapIndex=%lld, mapId=%lld, reduceId=%lld, message=\n%s\n)",
                      bm, (long long)f->shuffle, (long long)f->map_index, (long long)f->map_id, (long long)f->reduce,
                      S(f->msg));
    return snprintf(buf, cap, "FetchFailed(%s, shuffleId=%lld, mapId=%lld, reduceId=%lld, message=\n%s\n)", bm,
                    (long long)f->shuffle, (long long)f->map_id, (long long)f->reduce, S(f->msg));
  }
  if (SIC_KEY(r, "ExecutorLostFailure"))
    return snprintf(buf, cap, "ExecutorLostFailure (executor %s exited %s)%s%s", S(f->exec),
                    f->by_app ? "caused by one of the running tasks" : "unrelated to the running tasks",
                    f->loss >= 0 ? " Reason: " : "", f->loss >= 0 ? sic_str(a, f->loss) : "");
  if (SIC_KEY(r, "TaskResultLost")) return snprintf(buf, cap, "TaskResultLost (result lost from block manager)");
  if (SIC_KEY(r, "Resubmitted")) return snprintf(buf, cap, "Resubmitted (resubmitted due to lost executor)");
  if (SIC_KEY(r, "TaskCommitDenied"))
    return snprintf(buf, cap, "TaskCommitDenied (Driver denied task commit) for job: %lld, partition: %lld, attemptNumber: %lld",
                    (long long)f->job, (long long)f->part, (long long)f->att);
  if (SIC_KEY(r, "UnknownReason")) return snprintf(buf, cap, "UnknownReason");
  return -1;
#undef S
}

void sic_read_end_reason(sic_builder *b, sic_jscan *s, sic_end_reason *er) {
  reason_fields f;
  er->reason = er->error = -1;
  er->status = SIC_TASK_UNKNOWN;
  er->success = er->resubmitted = 0;
  if (read_fields(b, s, &f) < 0 || !f.reason.p) return;
  const sic_jstr *r = &f.reason;
  if (SIC_KEY(r, "Success")) { /* ends almost every task: interned once */
    if (b->sid_success < 0) b->sid_success = sic_intern(b, "Success", 7);
    er->reason = b->sid_success;
    er->status = SIC_TASK_SUCCESS;
    er->success = 1;
    return;
  }
  er->reason = sic_intern_jstr(b, r);
  er->resubmitted = SIC_KEY(r, "Resubmitted");
  if (SIC_KEY(r, "TaskKilled")) { /* the History Server shows the kill reason itself */
    er->status = SIC_TASK_KILLED;
    er->error = f.kill >= 0 ? f.kill : sic_intern(b, "unknown reason", 14);
    return;
  }
  if (SIC_KEY(r, "ExceptionFailure") && f.full >= 0) {
    er->status = SIC_TASK_FAILED;
    er->error = f.full;
    return;
  }
  char buf[16384];
  int n = format_failure(b->app, &f, buf, sizeof buf);
  if (n < 0) return; /* a reason this engine does not know: status UNKNOWN, no text */
  er->status = SIC_TASK_FAILED;
  er->error = sic_intern(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}
