-- wrk script for P4: GETs one console page with the session cookie; done() writes P1's JSON summary.
-- Environment: P4_COOKIE (the Cookie header), P4_RESULT (where the JSON goes).

wrk.headers["Cookie"] = os.getenv("P4_COOKIE")

function done(summary, latency, requests)
  local e = summary.errors
  local f = assert(io.open(os.getenv("P4_RESULT"), "w"))
  f:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99)))
  f:close()
end
