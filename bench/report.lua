-- Prints one JSON line when wrk ends: requests, throughput, latency percentiles and every kind of error.
-- It defines no request() or response(), so wrk keeps its fast path and measures the server, not Lua.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WSGI_STACK_BENCH {"requests": %d, "duration_s": %.3f, "requests_per_s": %.1f, "p50_ms": %.2f, ' ..
    '"p99_ms": %.2f, "errors": {"status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
