-- The lpeg log4j grammar of the knowledge-base log loader (scripts/lib/loaders/log4j.lua).
--
local log4j = dofile((os.getenv("SIC_SOURCE_DIR") or ".") .. "/scripts/lib/loaders/log4j.lua")

describe("log4j loader", function()
  it("parses the layouts Spark and users write", function()
    local r = log4j.parse_line("23/11/07 10:59:24.335 main INFO DriverLogger: Added a local log appender")
    assert.are.same({ "23/11/07 10:59:24.335", "main", "INFO", "DriverLogger", "Added a local log appender" },
      { r.ts, r.thread, r.level, r.logger, r.msg })
    r = log4j.parse_line("23/11/07 10:59:24 INFO SparkContext: Running Spark version 3.3.0")
    assert.are.same({ "INFO", "SparkContext", "Running Spark version 3.3.0" }, { r.level, r.logger, r.msg })
    assert.is_nil(r.thread)
    r = log4j.parse_line("2023-11-07 10:59:24,335 WARN  org.apache.spark.scheduler.TaskSetManager - Lost task 1.0")
    assert.are.same({ "WARN", "org.apache.spark.scheduler.TaskSetManager", "Lost task 1.0" }, { r.level, r.logger, r.msg })
    r = log4j.parse_line("2023-11-07T10:59:24.335Z ERROR Executor: Exception in task 0.0")
    assert.are.same({ "2023-11-07T10:59:24.335Z", "ERROR", "Executor" }, { r.ts, r.level, r.logger })
    r = log4j.parse_line("24/01/02 03:04:05 Executor task launch worker for task 0.0 in stage 1.0 (TID 7) WARN BlockManager: slow")
    assert.are.same({ "Executor task launch worker for task 0.0 in stage 1.0 (TID 7)", "WARN", "BlockManager", "slow" },
      { r.thread, r.level, r.logger, r.msg })
  end)

  it("does not take continuation lines for records", function()
    assert.is_nil(log4j.parse_line("\tat org.apache.spark.Foo.bar(Foo.scala:10)"))
    assert.is_nil(log4j.parse_line("Caused by: java.io.IOException: disk full"))
    assert.is_nil(log4j.parse_line("!Exec <CollectLimitExec> cannot run on GPU"))
    assert.is_nil(log4j.parse_line("INFO not a timestamp: hello"))
  end)

  it("folds stack traces into the record and keeps line numbers", function()
    local text = table.concat({
      "preamble without a timestamp",
      "23/11/07 10:59:24 INFO A: one",
      "23/11/07 10:59:25 ERROR B: boom",
      "java.lang.RuntimeException: x",
      "\tat a.b.C(C.java:1)",
      "23/11/07 10:59:26 INFO A: two",
    }, "\n")
    local records, orphans = log4j.parse(text)
    assert.are.equal(3, #records)
    assert.are.equal(1, orphans)
    assert.are.equal("boom\njava.lang.RuntimeException: x\n\tat a.b.C(C.java:1)", records[2].msg)
    assert.are.same({ 3, 5 }, { records[2].line, records[2].last_line })
    local chunks = log4j.chunks(text, "driver.log")
    assert.are.equal(3, #chunks) -- INFO window, the ERROR on its own, the next INFO window
    assert.are.equal("driver.log > ERROR B line 3", chunks[2].heading)
  end)

  it("refuses a file with no record at all", function()
    local chunks, err = log4j.chunks("just\nsome\ntext\n", "notes.log")
    assert.is_nil(chunks)
    assert.truthy(err:find("no log4j record", 1, true))
  end)
end)
