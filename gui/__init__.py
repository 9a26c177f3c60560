"""The studio window: Qt views over the core's events, and the worker thread."""
