"""The views: one widget per file, each drawing what the session's events carry."""
