"""Filtered exports without a stored run: mine the filtered log in a scratch database.

When a pack is asked for with a filter that no stored run of the log used (the dashboard's
filters, `servflow export --where ...`), the log is copied into a scratch DuckDB file beside
nothing else, mined there with the parameters of a stored run of the log and the requested
filter, and the pack is written from that scratch run. The source database is only read
(attached read-only), so this works on a published snapshot; the scratch file is deleted
afterwards. The manifest says the run was computed for the export and names the stored run
whose parameters it used.

>>> options_from_json({"sla_targets_s": [["投诉", 3600.0]], "kpi_columns": None}, None).sla_targets_s
(('投诉', 3600.0),)
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from mining import store
from mining.filters import LogFilter
from servflow.export.common import ExportError

__all__ = ["database_file", "mined_scratch", "options_from_json"]


def _names(value: Any) -> tuple[str, ...] | None:
    return tuple(str(v) for v in value) if value is not None else None


def options_from_json(data: dict[str, Any], flt: LogFilter | None) -> Any:
    """The `MiningOptions` stored as a run's `options` JSON, with `flt` as its filter."""
    from mining.kpis import KpiColumns
    from mining.run import MiningOptions

    columns = data.get("kpi_columns")
    kpi_columns = None
    if columns:
        fields: dict[str, Any] = {
            k: (_names(v) if isinstance(v, list) else v) for k, v in columns.items()
        }
        kpi_columns = KpiColumns(**fields)
    as_of = data.get("as_of")
    reference = data.get("reference_model")
    defaults = MiningOptions()
    return MiningOptions(
        flt=flt,
        as_of=datetime.fromisoformat(str(as_of)) if as_of else None,
        sla_targets_s=tuple((str(n), float(s)) for n, s in data.get("sla_targets_s") or ()),
        sla_attribute=data.get("sla_attribute"),
        default_sla_s=data.get("default_sla_s"),
        end_activities=_names(data.get("end_activities")),
        idle_threshold_s=data.get("idle_threshold_s"),
        reference_model=Path(reference) if reference else None,
        conformance=bool(data.get("conformance", defaults.conformance)),
        conformance_max_variants=int(
            data.get("conformance_max_variants") or defaults.conformance_max_variants
        ),
        variants_kept=int(data.get("variants_kept") or defaults.variants_kept),
        kpi_columns=kpi_columns,
    )


def database_file(con: duckdb.DuckDBPyConnection) -> Path:
    """The file of the connection's database (an in-memory database has none)."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    )
    found = rows.fetchall()
    if not found or not found[0][0]:
        raise ExportError(
            "a filtered export without a stored run needs a database file to copy the log "
            "from; this connection is to an in-memory database. Mine the log with the filter "
            "first, or export without it."
        )
    return Path(str(found[0][0]))


@contextmanager
def mined_scratch(
    con: duckdb.DuckDBPyConnection, log_name: str, options: Any
) -> Iterator[tuple[duckdb.DuckDBPyConnection, int]]:
    """A scratch database holding `log_name` mined with `options`: (connection, run id)."""
    from mining.run import mine_log

    source = database_file(con)
    log_id = store.log_id_for(con, log_name)
    folder = Path(tempfile.mkdtemp(prefix="servflow-export-scratch-"))
    try:
        with store.connect(folder / "scratch.duckdb") as scratch:
            quoted = str(source).replace("'", "''")
            scratch.execute(f"ATTACH '{quoted}' AS sf_source (READ_ONLY)")
            try:
                with store.transaction(scratch):
                    store.run_sql(scratch, "export_copy_log", log_id=log_id)
            finally:
                scratch.execute("DETACH sf_source")
            run = mine_log(scratch, log_name, options)
            yield scratch, run.run_id
    finally:
        shutil.rmtree(folder, ignore_errors=True)
