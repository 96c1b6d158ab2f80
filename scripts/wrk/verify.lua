-- wrk script of the verification load test (scripts/bench-verify.sh). Each request verifies
-- the next QR text of the file $WRK_QR_FILE, and wrk's threads start at different places in it:
--   WRK_MODE=api    POST /api/v1/verify {"qr": "<text>"}
--   WRK_MODE=batch  POST /api/v1/verify {"items": [{"qr": ...} × $WRK_BATCH]}
--   WRK_MODE=page   GET the QR's own link /V/<payload> (what a phone opens), in Russian
-- WRK_DELAY_MS > 0: each connection pauses that long after every response, which offers a
-- fixed load of about connections / delay instead of as much as the server takes.
-- done() prints one RESULT line for the script to read.

local mode = os.getenv("WRK_MODE") or "api"
local batch = tonumber(os.getenv("WRK_BATCH") or "100")
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")

local texts = {}
for line in io.lines(os.getenv("WRK_QR_FILE")) do
  texts[#texts + 1] = line
end
local i = 0
local json = { ["Content-Type"] = "application/json" }
local russian = { ["Accept-Language"] = "ru" }

local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  i = (offset or 0) % #texts
end

local function nextText()
  i = i % #texts + 1
  return texts[i]
end

function request()
  if mode == "page" then
    return wrk.format("GET", nextText():match("(/V/.*)$"), russian)
  elseif mode == "batch" then
    local items = {}
    for k = 1, batch do
      items[k] = '{"qr":"' .. nextText() .. '"}'
    end
    return wrk.format("POST", "/api/v1/verify", json, '{"items":[' .. table.concat(items, ",") .. "]}")
  end
  return wrk.format("POST", "/api/v1/verify", json, '{"qr":"' .. nextText() .. '"}')
end

if pause > 0 then
  function delay()
    return pause
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT mode=%s requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    mode, summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
