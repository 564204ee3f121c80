"""Benchmark harness for the media gateway (issue 5): `python bench/run.py`."""
