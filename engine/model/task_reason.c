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

void sic_read_end_reason(sic_builder *b, sic_jscan *s, sic_end_reason *er) {
  sic_jiter it, in;
  sic_jstr k, kk, reason = {0};
  char stack[8192];
  size_t stack_len = 0;
  sic_sid cls = -1, desc = -1, full = -1, kill = -1, msg = -1, loss = -1, bm_exec = -1, bm_host = -1, exec = -1;
  int64_t shuffle = -1, map_id = -1, map_index = -2, reduce = -1, job = -1, part = -1, att = -1, bm_port = -1;
  int32_t by_app = 1;
  er->reason = er->error = -1;
  er->status = SIC_TASK_UNKNOWN;
  er->success = er->resubmitted = 0;
  if (sic_json_peek(s) != SIC_JT_OBJECT) { sic_bad_field(b, s, "an object"); sic_json_skip(s); return; }
  sic_json_obj_begin(s, &it);
  FOR_MEMBERS(s, &it, &k) {
    if (SIC_KEY(&k, "Reason") && sic_json_peek(s) == SIC_JT_STRING) sic_json_str(s, &reason);
    else if (SIC_KEY(&k, "Class Name")) sic_rd_sid(b, s, &cls);
    else if (SIC_KEY(&k, "Description")) sic_rd_sid(b, s, &desc);
    else if (SIC_KEY(&k, "Full Stack Trace")) sic_rd_sid(b, s, &full);
    else if (SIC_KEY(&k, "Stack Trace")) append_stack(s, stack, sizeof stack, &stack_len);
    else if (SIC_KEY(&k, "Kill Reason")) sic_rd_sid(b, s, &kill);
    else if (SIC_KEY(&k, "Message")) sic_rd_sid(b, s, &msg);
    else if (SIC_KEY(&k, "Loss Reason")) sic_rd_sid(b, s, &loss);
    else if (SIC_KEY(&k, "Executor ID")) sic_rd_sid(b, s, &exec);
    else if (SIC_KEY(&k, "Exit Caused By App")) sic_rd_bool(b, s, &by_app);
    else if (SIC_KEY(&k, "Shuffle ID")) sic_rd_i64(b, s, &shuffle);
    else if (SIC_KEY(&k, "Map ID")) sic_rd_i64(b, s, &map_id);
    else if (SIC_KEY(&k, "Map Index")) sic_rd_i64(b, s, &map_index);
    else if (SIC_KEY(&k, "Reduce ID")) sic_rd_i64(b, s, &reduce);
    else if (SIC_KEY(&k, "Job ID")) sic_rd_i64(b, s, &job);
    else if (SIC_KEY(&k, "Partition ID")) sic_rd_i64(b, s, &part);
    else if (SIC_KEY(&k, "Attempt Number")) sic_rd_i64(b, s, &att);
    else if (SIC_KEY(&k, "Block Manager Address") && sic_json_peek(s) == SIC_JT_OBJECT) {
      sic_json_obj_begin(s, &in);
      FOR_MEMBERS(s, &in, &kk) {
        if (SIC_KEY(&kk, "Executor ID")) sic_rd_sid(b, s, &bm_exec);
        else if (SIC_KEY(&kk, "Host")) sic_rd_sid(b, s, &bm_host);
        else if (SIC_KEY(&kk, "Port")) sic_rd_i64(b, s, &bm_port);
        else sic_json_skip(s);
      }
    } else sic_json_skip(s);
  }
  if (s->err || !reason.p) return;
  /* "Success" ends almost every task: intern it once */
  if (SIC_KEY(&reason, "Success")) {
    if (b->sid_success < 0) b->sid_success = sic_intern(b, "Success", 7);
    er->reason = b->sid_success;
  } else {
    er->reason = sic_intern_jstr(b, &reason);
  }
  sic_app *a = b->app;
  char buf[16384];
  int n = -1;
#define S(x) ((x) >= 0 ? sic_str(a, x) : "null")
  if (SIC_KEY(&reason, "Success")) { er->status = SIC_TASK_SUCCESS; er->success = 1; return; }
  er->resubmitted = SIC_KEY(&reason, "Resubmitted");
  if (SIC_KEY(&reason, "TaskKilled")) {
    er->status = SIC_TASK_KILLED;
    er->error = kill >= 0 ? kill : sic_intern(b, "unknown reason", 14);
    return;
  }
  er->status = SIC_TASK_FAILED;
  if (SIC_KEY(&reason, "ExceptionFailure")) {
    if (full >= 0) { er->error = full; return; }
    n = snprintf(buf, sizeof buf, "%s: %s\n%.*s", S(cls), desc >= 0 ? sic_str(a, desc) : "", (int)stack_len, stack);
  } else if (SIC_KEY(&reason, "FetchFailed")) {
    char bm[512] = "null";
    if (bm_exec >= 0 || bm_host >= 0)
      snprintf(bm, sizeof bm, "BlockManagerId(%s, %s, %lld, None)", S(bm_exec), S(bm_host), (long long)bm_port);
    if (map_index != -2)
      n = snprintf(buf, sizeof buf, "FetchFailed(%s, shuffleId=%lld, mapIndex=%lld, mapId=%lld, reduceId=%lld, message=\n%s\n)",
                   bm, (long long)shuffle, (long long)map_index, (long long)map_id, (long long)reduce, S(msg));
    else
      n = snprintf(buf, sizeof buf, "FetchFailed(%s, shuffleId=%lld, mapId=%lld, reduceId=%lld, message=\n%s\n)", bm,
                   (long long)shuffle, (long long)map_id, (long long)reduce, S(msg));
  } else if (SIC_KEY(&reason, "ExecutorLostFailure")) {
    n = snprintf(buf, sizeof buf, "ExecutorLostFailure (executor %s exited %s)%s%s", S(exec),
                 by_app ? "caused by one of the running tasks" : "unrelated to the running tasks",
                 loss >= 0 ? " Reason: " : "", loss >= 0 ? sic_str(a, loss) : "");
  } else if (SIC_KEY(&reason, "TaskResultLost")) {
    n = snprintf(buf, sizeof buf, "TaskResultLost (result lost from block manager)");
  } else if (SIC_KEY(&reason, "Resubmitted")) {
    n = snprintf(buf, sizeof buf, "Resubmitted (resubmitted due to lost executor)");
  } else if (SIC_KEY(&reason, "TaskCommitDenied")) {
    n = snprintf(buf, sizeof buf, "TaskCommitDenied (Driver denied task commit) for job: %lld, partition: %lld, attemptNumber: %lld",
                 (long long)job, (long long)part, (long long)att);
  } else if (SIC_KEY(&reason, "UnknownReason")) {
    n = snprintf(buf, sizeof buf, "UnknownReason");
  } else {
    er->status = SIC_TASK_UNKNOWN;
  }
#undef S
  if (n >= 0) er->error = sic_intern(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}
