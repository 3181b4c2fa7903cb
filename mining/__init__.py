"""Event-log storage, ingest and process mining on DuckDB.

Submodules are imported on use so that `import mining` stays light:
`mining.store` (the DuckDB connection), `mining.ingest` (loading logs),
`mining.quality` (data-quality checks) and the analysis modules.
"""

__all__: list[str] = []
