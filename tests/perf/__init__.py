"""The benchmark: the role against one module call, a per-pool loop and Aiven's CLI, on the local emulator.

    python -m tests.perf [--pools N] [--services S] [--latency-ms L] [--json FILE] [--scenarios a,b]
                         [--limited-pools N] [--limited-services S] [--rate-limit N] [--rate-limit-window W]

Numbers, not assertions: the targets are reported as PASS or MISS; the process fails
only when a scenario could not run.
"""
