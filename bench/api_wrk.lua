-- wrk script for bench/api_reports.py: POSTs pre-generated JSON reports, each one once.
--
-- Environment (set by api_reports.py through p1_voice_incoming.run_wrk):
--   P1_REQUESTS  file of JSON bodies, one report per line (each with its own idempotency key)
--   P1_FIRST, P1_COUNT, P1_THREADS, P1_PATH, P1_RESULT  as in p1_wrk.lua
--   API_TOKEN    the bearer token
-- A thread that runs out of reports stops, so no idempotency key is sent twice.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  local first = tonumber(os.getenv("P1_FIRST"))
  local count = tonumber(os.getenv("P1_COUNT"))
  local nthreads = tonumber(os.getenv("P1_THREADS"))
  local url_path = os.getenv("P1_PATH")
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer " .. os.getenv("API_TOKEN")}
  reqs = {}
  local i = 0
  for line in io.lines(os.getenv("P1_REQUESTS")) do
    if i >= first + count then break end
    if i >= first and (i - first) % nthreads == tid - 1 then
      reqs[#reqs + 1] = wrk.format("POST", url_path, headers, line)
    end
    i = i + 1
  end
  navail = #reqs
  n = 0
  overrun = 0
  created = 0
end

function request()
  n = n + 1
  if n >= #reqs then
    wrk.thread:stop()
    if n > #reqs then
      overrun = overrun + 1 -- sent while stopping: a repeat of the last report
      return reqs[#reqs]
    end
  end
  return reqs[n]
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  end
end

function done(summary, latency, requests)
  local sent, over, avail, made = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    local navail = t:get("navail")
    sent = sent + math.min(t:get("n"), navail)
    over = over + t:get("overrun")
    avail = avail + navail
    made = made + t:get("created")
  end
  local e = summary.errors
  local f = assert(io.open(os.getenv("P1_RESULT"), "w"))
  f:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, ' ..
    '"p50": %d, "p90": %d, "p95": %d, "p99": %d, "p99_9": %d}, ' ..
    '"sent": %d, "available": %d, "overrun": %d, "created": %d}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9),
    sent, avail, over, made))
  f:close()
end
