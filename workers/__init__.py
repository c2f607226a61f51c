"""Background work on RQ: jobs, queues, the outbox relay and the worker entry point."""
