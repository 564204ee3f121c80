-- wrk script: rotate over a pre-built request list (see bench/request_lists.py).
-- Usage: wrk ... -s rotate.lua URL -- TOKENS_FILE REQUESTS_FILE
-- Requests are formatted once in init() so that request() costs a table
-- lookup: at nginx speeds the load generator's core must not be the limit.

local prepared = {}
local count = 0
local position = 0

function init(args)
  local tokens = {}
  for line in io.lines(args[1]) do
    tokens[#tokens + 1] = line
  end
  for line in io.lines(args[2]) do
    local token, path, range = line:match("^(%d*)\t([^\t]+)\t(.*)$")
    local headers = {}
    if token ~= "" then
      headers["Authorization"] = "Bearer " .. tokens[tonumber(token)]
    end
    if range ~= "" then
      headers["Range"] = range
    end
    count = count + 1
    prepared[count] = wrk.format("GET", path, headers)
  end
  if count == 0 then
    error("empty request list: " .. args[2])
  end
end

function request()
  -- Wraps around when exhausted; the harness compares the request count with
  -- the list length to tell whether a "never repeat" list was repeated.
  position = position % count + 1
  return prepared[position]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "bytes": %d, "duration_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
