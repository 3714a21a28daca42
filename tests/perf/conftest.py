from tests.perf.org import org  # noqa: F401  (the organisation the performance tests measure)
