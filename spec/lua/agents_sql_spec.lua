-- SQL-plan rules (scripts/rules/sql_rules.lua) and the broadcast config rule on a small
-- synthetic Spark 3.5 log whose plan holds one of each problem: a cartesian product, a scan
-- whose filter was not pushed down, a row-at-a-time Python UDF, a sort-merge join with an
-- 8 MiB side, the same table scanned by two executions, broadcast joins disabled. (None of the
-- real logs has these operators with enough rows.)
local T = require "spec_helper"
local cjson = require "cjson"

local LOG = [==[
{"Event": "SparkListenerLogStart", "Spark Version": "3.5.0"}
{"Event": "SparkListenerApplicationStart", "App Name": "sqltest", "App ID": "app-sql-1", "Timestamp": 1000, "User": "u"}
{"Event": "SparkListenerEnvironmentUpdate", "JVM Information": {}, "Spark Properties": {"spark.sql.adaptive.enabled": "true", "spark.sql.autoBroadcastJoinThreshold": "-1"}, "Hadoop Properties": {}, "System Properties": {}, "Classpath Entries": {}}
{"Event": "SparkListenerExecutorAdded", "Timestamp": 1000, "Executor ID": "1", "Executor Info": {"Host": "h1", "Total Cores": 4, "Log Urls": {}}}
{"Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart", "executionId": 0, "description": "q", "details": "", "physicalPlanDescription": "", "sparkPlanInfo": {"nodeName": "Project", "simpleString": "Project [a#1]", "children": [{"nodeName": "CartesianProduct", "simpleString": "CartesianProduct", "children": [{"nodeName": "Filter", "simpleString": "Filter (a#1 > 5)", "children": [{"nodeName": "Scan parquet db.t", "simpleString": "FileScan parquet db.t[a#1] Batched: true, DataFilters: [], Format: Parquet, Location: InMemoryFileIndex[file:/data/t], PartitionFilters: [], PushedFilters: [], ReadSchema: struct<a:int>", "children": [], "metadata": {}, "metrics": [{"name": "number of output rows", "accumulatorId": 2, "metricType": "sum"}, {"name": "size of files read", "accumulatorId": 3, "metricType": "size"}]}], "metadata": {}, "metrics": [{"name": "number of output rows", "accumulatorId": 4, "metricType": "sum"}]}, {"nodeName": "BatchEvalPython", "simpleString": "BatchEvalPython [f(a#1)#5], [pythonUDF0#6]", "children": [{"nodeName": "Scan parquet db.t", "simpleString": "FileScan parquet db.t[a#1] Batched: true, DataFilters: [], Format: Parquet, Location: InMemoryFileIndex[file:/data/t], PartitionFilters: [], PushedFilters: [], ReadSchema: struct<a:int>", "children": [], "metadata": {}, "metrics": [{"name": "number of output rows", "accumulatorId": 7, "metricType": "sum"}, {"name": "size of files read", "accumulatorId": 8, "metricType": "size"}]}], "metadata": {}, "metrics": []}, {"nodeName": "SortMergeJoin", "simpleString": "SortMergeJoin [a#1], [b#2], Inner", "children": [{"nodeName": "Exchange", "simpleString": "Exchange hashpartitioning(a#1, 200), ENSURE_REQUIREMENTS, [plan_id=1]", "children": [], "metadata": {}, "metrics": [{"name": "data size", "accumulatorId": 10, "metricType": "size"}]}, {"nodeName": "Exchange", "simpleString": "Exchange hashpartitioning(b#2, 200), ENSURE_REQUIREMENTS, [plan_id=2]", "children": [], "metadata": {}, "metrics": [{"name": "data size", "accumulatorId": 11, "metricType": "size"}]}], "metadata": {}, "metrics": [{"name": "number of output rows", "accumulatorId": 12, "metricType": "sum"}]}], "metadata": {}, "metrics": [{"name": "number of output rows", "accumulatorId": 1, "metricType": "sum"}]}], "metadata": {}, "metrics": []}, "time": 1100, "modifiedConfigs": {}}
{"Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart", "executionId": 1, "description": "q2", "details": "", "physicalPlanDescription": "", "sparkPlanInfo": {"nodeName": "Project", "simpleString": "Project [a#1]", "children": [{"nodeName": "Scan parquet db.t", "simpleString": "FileScan parquet db.t[a#1] Batched: true, DataFilters: [], Format: Parquet, Location: InMemoryFileIndex[file:/data/t], PartitionFilters: [], PushedFilters: [], ReadSchema: struct<a:int>", "children": [], "metadata": {}, "metrics": [{"name": "number of output rows", "accumulatorId": 20, "metricType": "sum"}, {"name": "size of files read", "accumulatorId": 21, "metricType": "size"}]}], "metadata": {}, "metrics": []}, "time": 1150, "modifiedConfigs": {}}
{"Event": "SparkListenerJobStart", "Job ID": 0, "Submission Time": 1200, "Stage Infos": [{"Stage ID": 0, "Stage Attempt ID": 0, "Stage Name": "s", "Number of Tasks": 1, "RDD Info": [], "Parent IDs": [], "Details": "", "Accumulables": [], "Resource Profile Id": 0}], "Stage IDs": [0], "Properties": {"spark.sql.execution.id": "0"}}
{"Event": "SparkListenerStageSubmitted", "Stage Info": {"Stage ID": 0, "Stage Attempt ID": 0, "Stage Name": "s", "Number of Tasks": 1, "RDD Info": [], "Parent IDs": [], "Details": "", "Submission Time": 1200, "Accumulables": [], "Resource Profile Id": 0}, "Properties": {"spark.sql.execution.id": "0"}}
{"Event": "SparkListenerTaskStart", "Stage ID": 0, "Stage Attempt ID": 0, "Task Info": {"Task ID": 0, "Index": 0, "Attempt": 0, "Launch Time": 1300, "Executor ID": "1", "Host": "h1", "Locality": "PROCESS_LOCAL", "Speculative": false, "Getting Result Time": 0, "Finish Time": 0, "Failed": false, "Killed": false, "Accumulables": []}}
{"Event": "SparkListenerTaskEnd", "Stage ID": 0, "Stage Attempt ID": 0, "Task Type": "ResultTask", "Task End Reason": {"Reason": "Success"}, "Task Info": {"Task ID": 0, "Index": 0, "Attempt": 0, "Launch Time": 1300, "Executor ID": "1", "Host": "h1", "Locality": "PROCESS_LOCAL", "Speculative": false, "Getting Result Time": 0, "Finish Time": 5300, "Failed": false, "Killed": false, "Accumulables": [{"ID": 1, "Name": "x", "Update": "50000000", "Value": "50000000", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 2, "Name": "x", "Update": "10000", "Value": "10000", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 3, "Name": "x", "Update": "629145600", "Value": "629145600", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 4, "Name": "x", "Update": "5000", "Value": "5000", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 7, "Name": "x", "Update": "200000", "Value": "200000", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 8, "Name": "x", "Update": "629145600", "Value": "629145600", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 10, "Name": "x", "Update": "8388608", "Value": "8388608", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 11, "Name": "x", "Update": "943718400", "Value": "943718400", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 12, "Name": "x", "Update": "1000", "Value": "1000", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 20, "Name": "x", "Update": "10000", "Value": "10000", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}, {"ID": 21, "Name": "x", "Update": "629145600", "Value": "629145600", "Internal": false, "Count Failed Values": true, "Metadata": "sql"}]}, "Task Metrics": {"Executor Run Time": 3900, "JVM GC Time": 0}}
{"Event": "SparkListenerStageCompleted", "Stage Info": {"Stage ID": 0, "Stage Attempt ID": 0, "Stage Name": "s", "Number of Tasks": 1, "RDD Info": [], "Parent IDs": [], "Details": "", "Submission Time": 1200, "Completion Time": 5400, "Accumulables": [], "Resource Profile Id": 0}}
{"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": 5500, "Job Result": {"Result": "JobSucceeded"}}
{"Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd", "executionId": 0, "time": 5600}
{"Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd", "executionId": 1, "time": 5600}
{"Event": "SparkListenerApplicationEnd", "Timestamp": 6000}
]==]

local function analyze(extra)
  local path = T.write_file(os.tmpname(), LOG)
  local argv = { "analyze", path, "--format", "json" }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  local r = T.run_sic(argv)
  os.remove(path)
  assert.equal(0, r.code, r.stderr)
  local doc = cjson.decode(r.stdout)
  local by = {}
  for _, f in ipairs(doc.applications[1].findings.findings) do by[f.id] = f end
  return by, doc
end

describe("SQL plan rules", function()
  it("find each planted operator problem with its numbers and a concrete change", function()
    local by = analyze()
    assert.equal(50000000, by["sql.cartesian"].evidence.output_rows)
    assert.equal("CartesianProduct", by["sql.cartesian"].evidence.operator)
    local smj = by["sql.smj_could_broadcast"].evidence
    assert.equal(8 * 1048576, smj.small_bytes)
    assert.equal(900 * 1048576, smj.large_bytes)
    assert.equal("left", smj.small_side)
    assert.equal("12m", by["sql.smj_could_broadcast"].recommendation.config["spark.sql.autoBroadcastJoinThreshold"])
    assert.matches("Filter %(a#1 > 5%)", by["sql.filter_not_pushed"].evidence.filter)
    assert.equal(600 * 1048576, by["sql.filter_not_pushed"].evidence.bytes_read)
    assert.equal("BatchEvalPython", by["sql.python_udf"].evidence.operators)
    assert.equal(200000, by["sql.python_udf"].evidence.rows)
    local rep = by["sql.repeated_scan"].evidence
    assert.equal("file:/data/t", rep.location)
    assert.equal(3, rep.scans)
    assert.same({ 0, 1 }, rep.executions)
    assert.equal("10m", by["config.broadcast_disabled"].recommendation.config["spark.sql.autoBroadcastJoinThreshold"])
    assert.is_nil(by["sql.exploding_join"]) -- the join's 1000 output rows are not an explosion
  end)

  it("respect threshold overrides", function()
    local by = analyze({ "--set", "rule.sql.python_udf.min_rows=1e6", "--set", "rule.sql.repeated_scan.min_scans=4" })
    assert.is_nil(by["sql.python_udf"])
    assert.is_nil(by["sql.repeated_scan"])
    assert.is_not_nil(by["sql.cartesian"])
  end)

  it("list the plan with operator times and rows in the sql layer", function()
    local _, doc = analyze()
    local plans = doc.applications[1].findings.state.sql.plans
    assert.equal(2, #plans)
    local names = {}
    for _, n in ipairs(plans[1].nodes) do names[#names + 1] = n.name end
    assert.is_true(table.concat(names, ","):find("CartesianProduct,Filter", 1, true) ~= nil)
  end)
end)
