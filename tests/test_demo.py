"""`servflow demo`: the main job on the bundled sample logs, as the README's first command runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mining import store
from mining.run import latest_run_id
from optimization import candidates_for_run
from servflow import demo


def test_demo_mines_both_sample_logs_and_names_the_stored_top_candidates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.duckdb"
    assert demo.run(db) == 0
    out = capsys.readouterr().out
    assert out.count("What to change first (optimization candidates):") == 2
    with store.connect(db, read_only=True) as con:
        for name in ("telecom", "helpdesk"):
            run_id = latest_run_id(con, name)
            assert run_id is not None
            found = candidates_for_run(con, run_id)
            assert found is not None and found.automation and found.restructuring
            first = found.automation[0]
            assert f"  {first.id} {first.activity} [{first.kind}], score {first.score:.2f}" in out
            top = found.restructuring[0]
            assert f"  {top.id} {top.kind}: " in out
            assert f"`servflow candidates {name} --db {db}`" in out
    assert (tmp_path / "demo_snapshot.duckdb").is_file()
