"""Benchmarks of the scrutiny questions bot: ``python -m bench`` (see bench/README.md)."""
