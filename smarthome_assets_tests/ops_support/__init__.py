"""Code locations and helpers for the operations tests (real daemon, real instance)."""
