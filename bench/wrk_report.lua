-- wrk prints 50/75/90/99% latencies; this adds the p95 (and p50, max) in microseconds.
done = function(summary, latency, requests)
  io.write(string.format("BENCH p50_us=%d p95_us=%d max_us=%d requests=%d errors=%d\n",
    latency:percentile(50.0), latency:percentile(95.0), latency.max, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
