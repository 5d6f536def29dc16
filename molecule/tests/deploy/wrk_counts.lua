-- Counts every response by status, by the version the app reports and by the host that answered (X-App-Host), and
-- prints them as JSON at the end.
-- Each connection waits 40 ms between requests: about 190 requests a second per site over 8 connections, a request
-- every 5 ms that catches any gap, while the run under test keeps the CPU it needs.
local threads = {}

function delay()
  return 40
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  versions = {}
  hosts = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local version = body:match('"version":%s*"([^"]+)"')
  if version then
    versions[version] = (versions[version] or 0) + 1
  end
  local host = headers["X-App-Host"]
  if host then
    hosts[host] = (hosts[host] or 0) + 1
  end
end

local function merge(into, from)
  for key, count in pairs(from) do
    into[tostring(key)] = (into[tostring(key)] or 0) + count
  end
end

local function json(map)
  local parts = {}
  for key, count in pairs(map) do
    table.insert(parts, string.format('"%s": %d', key, count))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local all_statuses, all_versions, all_hosts = {}, {}, {}
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_versions, thread:get("versions"))
    merge(all_hosts, thread:get("hosts"))
  end
  local errors = summary.errors
  io.write(string.format(
    'WSGI_STACK_LOAD {"requests": %d, "statuses": %s, "versions": %s, "hosts": %s, "errors": {"connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d}, "p99_ms": %.1f, "duration_s": %.1f}\n',
    summary.requests, json(all_statuses), json(all_versions), json(all_hosts), errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(99) / 1000, summary.duration / 1e6))
end
