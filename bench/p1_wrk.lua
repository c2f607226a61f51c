-- wrk script for P1: replays pre-signed Twilio webhooks, each one once.
--
-- Environment (set by p1_voice_incoming.py):
--   P1_REQUESTS  file of "signature<TAB>urlencoded body" lines, one call per line
--   P1_FIRST     first line (0-based) this run may use
--   P1_COUNT     how many lines this run may use (split across wrk threads)
--   P1_THREADS   the -t given to wrk
--   P1_PATH      request path, e.g. /voice/incoming
--   P1_RESULT    where done() writes its JSON summary
-- A thread that runs out of requests stops (so no call is sent twice); the
-- driver sizes P1_COUNT so that does not happen within the run's duration.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  local path = os.getenv("P1_REQUESTS")
  local first = tonumber(os.getenv("P1_FIRST"))
  local count = tonumber(os.getenv("P1_COUNT"))
  local nthreads = tonumber(os.getenv("P1_THREADS"))
  local url_path = os.getenv("P1_PATH")
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  reqs = {}
  local i = 0
  for line in io.lines(path) do
    if i >= first + count then break end
    if i >= first and (i - first) % nthreads == tid - 1 then
      local sig, body = line:match("^([^\t]+)\t(.*)$")
      headers["X-Twilio-Signature"] = sig
      reqs[#reqs + 1] = wrk.format("POST", url_path, headers, body)
    end
    i = i + 1
  end
  navail = #reqs
  n = 0
  overrun = 0
end

function request()
  n = n + 1
  if n >= #reqs then
    wrk.thread:stop()
    if n > #reqs then
      overrun = overrun + 1 -- sent while stopping: a repeat of the last call
      return reqs[#reqs]
    end
  end
  return reqs[n]
end

function done(summary, latency, requests)
  local sent, over, avail = 0, 0, 0
  for _, t in ipairs(threads) do
    local navail = t:get("navail")
    sent = sent + math.min(t:get("n"), navail)
    over = over + t:get("overrun")
    avail = avail + navail
  end
  local e = summary.errors
  local f = assert(io.open(os.getenv("P1_RESULT"), "w"))
  f:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, ' ..
    '"p50": %d, "p90": %d, "p95": %d, "p99": %d, "p99_9": %d}, ' ..
    '"sent": %d, "available": %d, "overrun": %d}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9),
    sent, avail, over))
  f:close()
end
