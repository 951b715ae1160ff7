from tests.threads import one_thread  # noqa: F401  (autouse: one torch thread)
