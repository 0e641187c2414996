"""The benchmark: the role against one module call, a per-pool loop and Aiven's CLI, on the local emulator.

    python -m tests.perf [--pools N] [--services S] [--latency-ms L] [--json FILE] [--scenarios a,b]
                         [--limited-pools N] [--limited-services S]
                         [--rate-limit N] [--rate-limit-window W] [--rate-limit-shape window|bucket]

Numbers, not assertions: the targets are reported as PASS or MISS; the process fails
only when a scenario could not run.

role_cold_limited is the role cold on 500 pools over 10 services under the emulator's
default limiter, production's: 120 requests per 60 s per user, window shaped (a burst of
120 passes, then every request is refused, with the wait only in the 429's text, until 60 s
after the window's first request). Its row reports the requests, those refused (429) and
their share, the seconds, and the ratio of the seconds to the least time the limit imposes:
for R requests let through at N per window of W s, (ceil(R/N) - 1) x W + the last burst's
requests at the role's unthrottled pace (role_cold less baseline, per request, from the same
run; 0 when those did not run, a lower bound). The --rate-limit options override the
emulator's defaults (make bench-smoke: 10 per 2 s); with --rate-limit-shape bucket the least
time is that of a token bucket, max(0, (R - N) / N x W). Targets: under 2 % refused, at most
1.1x that least time.
"""
