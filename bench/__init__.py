"""Benchmarks of servflow against pm4py and against a plain DuckDB scan (see bench/README.md).

Run with `.venv/bin/python -m bench.run`; nothing here is collected by pytest.
"""
