-- bench/run's wrk script: wrk ... -s wrk.lua URL -- [EXTRA_HEADERS]
-- adds EXTRA_HEADERS headers x-bench-1: 1 ... to the request, and prints
-- one machine-readable line at the end (latencies in microseconds).

function init(args)
    local n = tonumber(args[1] or "0") or 0
    for i = 1, n do
        wrk.headers["x-bench-" .. i] = tostring(i)
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d "
        .. "p99_us=%d errors=%d non2xx3xx=%d\n",
        summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.timeout, e.status))
end
