"""Benchmarks and evaluations of ``cleaner`` on real news; run each from the repository root
as ``python -m bench.NAME`` (the Makefile's ``eval``, ``bench`` and ``identical`` targets)."""
