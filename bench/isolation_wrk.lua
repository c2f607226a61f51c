-- wrk script for the isolation benchmark (issue 18): replays pre-signed Twilio webhooks, each call's
-- steps in order on one connection, and times every answer itself.
--
-- Run with as many threads as connections (-t N -c N): each thread has ONE connection, so a call's
-- menu step is sent only once its /voice/incoming was answered, as Twilio does.
--
-- Environment (set by bench/isolation.py):
--   ISO_REQUESTS  file of "path<TAB>signature<TAB>urlencoded body" lines, ISO_STEPS lines per call
--   ISO_STEPS     lines (webhooks) per call, e.g. 2: /voice/incoming, then the language menu
--   ISO_FIRST     first call (0-based) this run may use
--   ISO_COUNT     how many calls this run may use (thread t takes every N-th call)
--   ISO_THREADS   the -t given to wrk
--   ISO_RESULT    where done() writes one line per answer, "step<TAB>latency_us<TAB>status<TAB>ok",
--                 then "#sent<TAB>n<TAB>available<TAB>overrun", "#errors<TAB>connect<TAB>read<TAB>write<TAB>status<TAB>timeout"
--                 "#ranout<TAB>threads that used all their calls", "#summary<TAB>duration_us<TAB>requests"
--                 and "#waiting<TAB>us" per request still unanswered when wrk stopped (how long it had waited)
-- wrk's own percentiles are corrected for coordinated omission (it adds synthetic samples), so
-- latencies are measured here: from the moment request() hands the request to wrk to the moment
-- response() sees the whole answer (a monotonic clock through LuaJIT's FFI). ok = 1 when the
-- answer is a 200 with Content-Type text/xml and a TwiML <Response>.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } iso_timespec;
int clock_gettime(int clk_id, iso_timespec *tp);
]]
local ts = ffi.new("iso_timespec")
local CLOCK_MONOTONIC = 1

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  local path = os.getenv("ISO_REQUESTS")
  local steps = tonumber(os.getenv("ISO_STEPS"))
  local first = tonumber(os.getenv("ISO_FIRST"))
  local count = tonumber(os.getenv("ISO_COUNT"))
  local nthreads = tonumber(os.getenv("ISO_THREADS"))
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  reqs, kinds = {}, {}
  local i = 0
  for line in io.lines(path) do
    local call = math.floor(i / steps)
    if call >= first + count then break end
    if call >= first and (call - first) % nthreads == tid - 1 then
      local url_path, sig, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      headers["X-Twilio-Signature"] = sig
      reqs[#reqs + 1] = wrk.format("POST", url_path, headers, body)
      kinds[#kinds + 1] = i % steps + 1
    end
    i = i + 1
  end
  navail = #reqs
  n = 0
  overrun = 0
  started = 0
  -- wrk calls request() once on the first thread right after init(), only to check what it returns:
  -- answer that call without using up a request (else the first call's /voice/incoming is never sent)
  verified = tid ~= 1
  step_of = {}
  lat = {}
  status_of = {}
  ok_of = {}
end

function request()
  if not verified then
    verified = true
    return reqs[1]
  end
  n = n + 1
  started = now_us()
  if n >= #reqs then
    wrk.thread:stop()
    if n > #reqs then
      overrun = overrun + 1 -- sent while stopping: a repeat of the last call's last step
      return reqs[#reqs]
    end
  end
  return reqs[n]
end

function response(status, headers, body)
  local took = now_us() - started
  local k = #lat + 1
  lat[k] = took
  step_of[k] = kinds[math.min(n, #kinds)]
  status_of[k] = status
  local kind = headers["Content-Type"] or headers["content-type"] or ""
  local good = status == 200 and kind:find("text/xml", 1, true) ~= nil and body ~= nil
      and body:find("<Response", 1, true) ~= nil
  ok_of[k] = good and 1 or 0
end

function done(summary, latency, requests)
  local f = assert(io.open(os.getenv("ISO_RESULT"), "w"))
  local sent, avail, over, ranout = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    local l, s, st, o = t:get("lat"), t:get("step_of"), t:get("status_of"), t:get("ok_of")
    for i = 1, #l do
      f:write(string.format("%d\t%d\t%d\t%d\n", s[i], l[i], st[i], o[i]))
    end
    sent = sent + math.min(t:get("n"), t:get("navail"))
    avail = avail + t:get("navail")
    over = over + t:get("overrun")
    if t:get("n") >= t:get("navail") then ranout = ranout + 1 end
  end
  -- a request sent but not answered when wrk stopped: how long it had waited by then (it waits longer)
  local stopped = now_us()
  for _, t in ipairs(threads) do
    if math.min(t:get("n"), t:get("navail")) > #t:get("lat") then
      f:write(string.format("#waiting\t%d\n", stopped - t:get("started")))
    end
  end
  local e = summary.errors
  f:write(string.format("#sent\t%d\t%d\t%d\n", sent, avail, over))
  f:write(string.format("#errors\t%d\t%d\t%d\t%d\t%d\n", e.connect, e.read, e.write, e.status, e.timeout))
  f:write(string.format("#ranout\t%d\n", ranout))
  f:write(string.format("#summary\t%d\t%d\n", summary.duration, summary.requests))
  f:close()
end
