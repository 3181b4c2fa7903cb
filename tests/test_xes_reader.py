"""The XES reader: real logs against pm4py and the README figures, hostile and broken input."""

from __future__ import annotations

import gzip
import os
import re
import socket
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from lxml import etree

from mining.errors import HostileInputError, InputError
from mining.ingest.xes import _XesCollector, read_xes


def _shared_logs() -> Path:
    override = os.environ.get("SERVFLOW_SHARED_LOGS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1] / ".." / "shared" / "logs"


def _real_log(name: str) -> Path:
    path = _shared_logs() / name
    bundled = Path(__file__).resolve().parents[1] / "sample_logs" / name
    if not path.is_file() and bundled.is_file():
        return bundled
    if not path.is_file():
        pytest.skip(f"{name} not found in {_shared_logs()} (set SERVFLOW_SHARED_LOGS)")
    return path


def _xes(body: str, *, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return f'{prolog}<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n{body}\n</log>\n'


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


ONE_TRACE = """
<trace><string key="concept:name" value="c1"/>
  <event><string key="concept:name" value="open"/>
    <date key="time:timestamp" value="2024-03-01T10:00:00+01:00"/></event>
</trace>"""

PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "/usr/sbin/nologin", "daemon:")


# --- real logs -----------------------------------------------------------------------------------


@pytest.mark.slow  # importing pm4py and its own XES read take most of the time
def test_helpdesk_matches_readme_and_pm4py() -> None:
    import pm4py

    path = _real_log("helpdesk.xes.gz")
    table = read_xes(path)
    assert table.num_rows == 21_348
    assert pc.count_distinct(table.column("case:concept:name")).as_py() == 4_580
    assert table.column("__row").to_pylist() == list(range(1, 21_349))
    assert table.schema.field("time:timestamp").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("case:concept:name").type == pa.string()

    ours = Counter(
        zip(
            table.column("case:concept:name").to_pylist(),
            table.column("concept:name").to_pylist(),
            table.column("time:timestamp").to_pylist(),
            table.column("org:resource").to_pylist(),
            strict=True,
        )
    )
    frame = pm4py.read_xes(str(path))
    theirs = Counter(
        zip(
            frame["case:concept:name"].tolist(),
            frame["concept:name"].tolist(),
            frame["time:timestamp"].dt.to_pydatetime().tolist(),
            frame["org:resource"].tolist(),
            strict=True,
        )
    )
    assert ours == theirs


def test_bpic2013_incidents_counts_and_columns() -> None:
    path = _real_log("bpic2013_incidents.xes.gz")
    table = read_xes(path)
    assert table.num_rows == 65_533
    assert pc.count_distinct(table.column("case:concept:name")).as_py() == 7_554
    for column in ("lifecycle:transition", "org:group", "org:resource", "concept:name"):
        assert table.column(column).null_count == 0
    assert "Wait - User" in set(table.column("lifecycle:transition").to_pylist())

    # The first event's timestamp, read from the raw text, comes out converted to UTC.
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        text = handle.read(4_000_000)
    first_trace = text[text.index("<trace>") :]
    event = first_trace[first_trace.index("<event>") :]
    raw = re.search(r'<date key="time:timestamp" value="([^"]+)"', event)
    assert raw is not None
    expected = datetime.fromisoformat(raw.group(1)).astimezone(UTC)
    assert expected.utcoffset() == timedelta(0)
    assert raw.group(1).endswith(("+01:00", "+02:00"))
    assert table.column("time:timestamp")[0].as_py() == expected


# --- hostile input -------------------------------------------------------------------------------


def _assert_refused(path: Path, *, cap: int | None = None) -> HostileInputError:
    with pytest.raises(HostileInputError) as caught:
        if cap is None:
            read_xes(path)
        else:
            read_xes(path, max_decompressed_bytes=cap)
    message = str(caught.value)
    assert str(path) in message
    for marker in PASSWD_MARKERS:
        assert marker not in message
    return caught.value


@pytest.fixture
def listening_port() -> object:
    """A local TCP port nobody should ever connect to: proves no URL is fetched."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    yield server
    server.close()


def _no_connection(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


@pytest.mark.parametrize("compress", [False, True], ids=["xes", "xes.gz"])
def test_external_entity_to_local_file_is_refused(tmp_path: Path, compress: bool) -> None:
    text = _xes(
        '<trace><string key="concept:name" value="&xxe;"/>'
        '<event><string key="concept:name" value="&xxe;"/></event></trace>',
        prolog='<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
    )
    path = tmp_path / ("xxe.xes.gz" if compress else "xxe.xes")
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    error = _assert_refused(path)
    assert "XES files never need a DTD" in str(error)
    assert "XXE" in str(error)


def test_external_entity_and_dtd_urls_are_never_fetched(
    tmp_path: Path, listening_port: socket.socket
) -> None:
    url = f"http://127.0.0.1:{listening_port.getsockname()[1]}/evil.dtd"
    entity = _write(
        tmp_path,
        "xxe_http.xes",
        _xes(
            '<trace><string key="concept:name" value="&remote;"/></trace>',
            prolog=f'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY remote SYSTEM "{url}">]>',
        ),
    )
    external_dtd = _write(
        tmp_path, "dtd_http.xes", _xes(ONE_TRACE, prolog=f'<!DOCTYPE log SYSTEM "{url}">\n')
    )
    parameter_entity = _write(
        tmp_path,
        "pe_http.xes",
        _xes(ONE_TRACE, prolog=f'<!DOCTYPE log [<!ENTITY % pe SYSTEM "{url}"> %pe;]>\n'),
    )
    for path in (entity, external_dtd, parameter_entity):
        _assert_refused(path)
    assert _no_connection(listening_port)


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    prolog = '<?xml version="1.0"?>\n<!DOCTYPE log [\n' + "\n".join(lines) + "\n]>\n"
    body = '<trace><string key="concept:name" value="&lol9;"/></trace>'
    error = _assert_refused(_write(tmp_path, "laughs.xes", _xes(body, prolog=prolog)))
    assert "entity" in str(error).lower()


@pytest.mark.parametrize(
    "prolog",
    [
        "<!DOCTYPE log>\n",
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- exported -->\n<!DOCTYPE log>\n',
        '<!ENTITY stray "x">\n',
        "<!-- a comment that is long: " + "x" * 5000 + " -->\n<!DOCTYPE log>",
    ],
    ids=["plain", "after-declaration-and-comment", "stray-entity", "after-long-comment"],
)
def test_doctype_anywhere_in_the_prolog_is_refused(tmp_path: Path, prolog: str) -> None:
    _assert_refused(_write(tmp_path, "doctype.xes", _xes(ONE_TRACE, prolog=prolog)))


def test_doctype_hidden_by_a_byte_order_mark_or_utf16_is_refused(tmp_path: Path) -> None:
    text = _xes(ONE_TRACE, prolog="<!DOCTYPE log>\n")
    bom8 = tmp_path / "bom8.xes"
    bom8.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    utf16 = tmp_path / "utf16.xes"
    utf16.write_bytes(text.encode("utf-16"))  # with its byte-order mark
    utf16_plain = tmp_path / "utf16le.xes"
    utf16_plain.write_bytes(
        ('<?xml version="1.0" encoding="UTF-16LE"?>' + text).encode("utf-16-le")
    )
    for path in (bom8, utf16, utf16_plain):
        _assert_refused(path)


def test_encodings_that_could_hide_a_doctype_are_not_read(tmp_path: Path) -> None:
    # In UTF-7, "+ADw-" is "<": a byte-level check would miss "+ADw-!DOCTYPE".
    path = tmp_path / "utf7.xes"
    path.write_bytes(
        b'<?xml version="1.0" encoding="UTF-7"?>\n+ADw-!DOCTYPE log+AD4-\n<log></log>\n'
    )
    with pytest.raises(InputError, match="UTF-7") as caught:
        read_xes(path)
    assert str(path) in str(caught.value)


def test_parser_itself_stops_at_a_doctype(tmp_path: Path) -> None:
    # Second line of defence, below the prolog check: the parser target refuses DTDs too.
    path = tmp_path / "direct.xes"
    parser = etree.XMLParser(
        target=_XesCollector(path),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    with pytest.raises(HostileInputError, match=r"direct\.xes"):
        parser.feed(
            b'<!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<log><trace><string key="concept:name" value="&xxe;"/></trace></log>'
        )
        parser.close()


def test_entity_reference_without_a_dtd_is_malformed_not_resolved(tmp_path: Path) -> None:
    body = '<trace><string key="concept:name" value="&xxe;"/><event/></trace>'
    path = _write(tmp_path, "undeclared.xes", _xes(body))
    with pytest.raises(InputError) as caught:
        read_xes(path)
    assert "line" in str(caught.value)
    assert not any(marker in str(caught.value) for marker in PASSWD_MARKERS)


def test_gzip_bomb_over_the_cap_is_refused(tmp_path: Path) -> None:
    padding = " " * (8 * 1024 * 1024)
    path = tmp_path / "bomb.xes.gz"
    path.write_bytes(gzip.compress(_xes(ONE_TRACE + padding).encode("utf-8")))
    assert path.stat().st_size < 100_000
    error = _assert_refused(path, cap=1024 * 1024)
    assert "1,048,576" in str(error)
    assert "bomb" in str(error)
    # The same file under a cap it fits in is an ordinary log.
    assert read_xes(path, max_decompressed_bytes=16 * 1024 * 1024).num_rows == 1


def test_plain_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.xes", _xes(ONE_TRACE + " " * 3000))
    error = _assert_refused(path, cap=2000)
    assert "2,000" in str(error)


# --- broken input --------------------------------------------------------------------------------


def test_truncated_file_names_file_and_line(tmp_path: Path) -> None:
    text = _xes(ONE_TRACE * 3)
    path = _write(tmp_path, "truncated.xes", text[: len(text) // 2])
    with pytest.raises(InputError) as caught:
        read_xes(path)
    assert not isinstance(caught.value, HostileInputError)
    assert str(path) in str(caught.value)
    assert re.search(r"line \d+", str(caught.value))


def test_mismatched_tag_names_its_line(tmp_path: Path) -> None:
    text = _xes(ONE_TRACE + "\n<trace><event></trace>")
    path = _write(tmp_path, "mismatch.xes", text)
    line = text.splitlines().index("<trace><event></trace>") + 1
    with pytest.raises(InputError, match=rf"mismatch\.xes: .*line {line}\b"):
        read_xes(path)


def test_truncated_gzip_is_an_input_error(tmp_path: Path) -> None:
    data = gzip.compress(_xes(ONE_TRACE * 50).encode("utf-8"))
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: len(data) - 20])
    with pytest.raises(InputError, match=r"cut\.xes\.gz"):
        read_xes(path)


@pytest.mark.parametrize(
    "text",
    [_xes(""), _xes('<trace><string key="concept:name" value="c1"/></trace>')],
    ids=["no-traces", "traces-without-events"],
)
def test_log_without_events_is_refused(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, "empty.xes", text)
    with pytest.raises(InputError, match=r"empty\.xes: no events"):
        read_xes(path)


def test_empty_file_and_non_xes_files_are_input_errors(tmp_path: Path) -> None:
    empty = _write(tmp_path, "zero.xes", "")
    csv = _write(tmp_path, "table.xes", "case,activity\n1,a\n")
    other_root = _write(tmp_path, "other.xes", '<?xml version="1.0"?><html><body/></html>')
    for path in (empty, csv, other_root):
        with pytest.raises(InputError) as caught:
            read_xes(path)
        assert str(path) in str(caught.value)
    with pytest.raises(InputError, match="no such file"):
        read_xes(tmp_path / "missing.xes")


def test_trace_without_concept_name_names_the_trace(tmp_path: Path) -> None:
    body = ONE_TRACE + '<trace><string key="channel" value="app"/><event/></trace>'
    path = _write(tmp_path, "nameless.xes", _xes(body))
    with pytest.raises(InputError, match=r"nameless\.xes: trace 2 .*concept:name"):
        read_xes(path)


def test_bad_typed_value_names_event_and_attribute(tmp_path: Path) -> None:
    body = ONE_TRACE.replace("</event>", '<int key="cost" value="twelve"/></event>')
    path = _write(tmp_path, "badint.xes", _xes(body))
    with pytest.raises(InputError, match=r"badint\.xes: event 1 .*'cost'.*'twelve'"):
        read_xes(path)


# --- values and types ----------------------------------------------------------------------------


TYPED = """
<trace>
  <string key="concept:name" value="T-1"/>
  <int key="priority" value="2"/>
  <boolean key="vip" value="true"/>
  <event>
    <string key="concept:name" value="受理"/>
    <string key="org:resource" value="张伟"/>
    <date key="time:timestamp" value="2013-03-31T01:30:00+01:00"/>
    <int key="count" value="-7"/>
    <float key="cost" value="12.5"/>
    <boolean key="auto" value="false"/>
    <id key="ticket" value="00042"/>
    <string key="mixed" value="x"/>
    <list key="tags"><values><string key="t" value="a"/></values></list>
    <container key="box"><string key="inner" value="b"/></container>
    <string key="note" value="outer"><string key="meta" value="nested"/></string>
  </event>
  <event>
    <string key="concept:name" value="派单"/>
    <date key="time:timestamp" value="2013-03-31T03:30:00.250+02:00"/>
    <int key="count" value="+3"/>
    <float key="cost" value="1e3"/>
    <boolean key="auto" value="1"/>
    <int key="mixed" value="5"/>
  </event>
</trace>
<trace>
  <string key="concept:name" value="T-2"/>
  <event>
    <string key="concept:name" value="结单"/>
    <date key="time:timestamp" value="2013-10-27T02:30:00Z"/>
  </event>
  <event>
    <string key="concept:name" value="回访"/>
    <date key="time:timestamp" value="2013-10-27T03:30:00.1234567"/>
  </event>
</trace>"""


def test_typed_attributes_come_out_typed(tmp_path: Path) -> None:
    table = read_xes(_write(tmp_path, "typed.xes", _xes(TYPED)))
    schema = table.schema
    assert schema.field("case:concept:name").type == pa.string()
    assert schema.field("case:priority").type == pa.int64()
    assert schema.field("case:vip").type == pa.bool_()
    assert schema.field("count").type == pa.int64()
    assert schema.field("cost").type == pa.float64()
    assert schema.field("auto").type == pa.bool_()
    assert schema.field("ticket").type == pa.string()
    assert schema.field("mixed").type == pa.string()  # string in one event, int in another
    assert schema.field("time:timestamp").type == pa.timestamp("us", tz="UTC")
    assert "tags" not in schema.names and "box" not in schema.names and "meta" not in schema.names

    rows = table.to_pylist()
    assert [r["__row"] for r in rows] == [1, 2, 3, 4]
    assert [r["case:concept:name"] for r in rows] == ["T-1", "T-1", "T-2", "T-2"]
    assert [r["case:priority"] for r in rows] == [2, 2, None, None]
    assert [r["concept:name"] for r in rows] == ["受理", "派单", "结单", "回访"]
    assert [r["org:resource"] for r in rows] == ["张伟", None, None, None]
    assert [r["count"] for r in rows] == [-7, 3, None, None]
    assert [r["cost"] for r in rows] == [12.5, 1000.0, None, None]
    assert [r["auto"] for r in rows] == [False, True, None, None]
    assert [r["ticket"] for r in rows] == ["00042", None, None, None]
    assert [r["mixed"] for r in rows] == ["x", "5", None, None]
    assert rows[0]["note"] == "outer"
    utc = [r["time:timestamp"] for r in rows]
    assert utc == [
        datetime(2013, 3, 31, 0, 30, tzinfo=UTC),  # +01:00, before the switch to summer time
        datetime(2013, 3, 31, 1, 30, 0, 250_000, tzinfo=UTC),  # +02:00, after it
        datetime(2013, 10, 27, 2, 30, tzinfo=UTC),
        datetime(2013, 10, 27, 3, 30, 0, 123_456, tzinfo=UTC),  # naive: taken as UTC
    ]


def test_chinese_labels_survive_gzip_without_the_gz_name(tmp_path: Path) -> None:
    body = """
<trace><string key="concept:name" value="工单-001"/><string key="渠道" value="微信"/>
  <event><string key="concept:name" value="满意度回访"/><string key="org:resource" value="李娜"/>
    <string key="org:group" value="投诉处理组"/>
    <date key="time:timestamp" value="2024-05-01T09:00:00+08:00"/></event>
</trace>"""
    path = tmp_path / "tickets.xes"  # gzip content, plain name: detected by magic bytes
    path.write_bytes(gzip.compress(_xes(body).encode("utf-8")))
    row = read_xes(path).to_pylist()[0]
    assert row["case:concept:name"] == "工单-001"
    assert row["case:渠道"] == "微信"
    assert row["concept:name"] == "满意度回访"
    assert row["org:resource"] == "李娜"
    assert row["org:group"] == "投诉处理组"
    assert row["time:timestamp"] == datetime(2024, 5, 1, 1, 0, tzinfo=UTC)


def test_gbk_encoded_file_is_read(tmp_path: Path) -> None:
    text = _xes(ONE_TRACE.replace("open", "受理"), prolog='<?xml version="1.0" encoding="GBK"?>\n')
    path = tmp_path / "gbk.xes"
    path.write_bytes(text.encode("gbk"))
    assert read_xes(path).column("concept:name").to_pylist() == ["受理"]


def test_namespace_free_file_with_trace_attributes_after_events(tmp_path: Path) -> None:
    text = (
        "<log><trace><event><string key='concept:name' value='a'/></event>"
        "<string key='concept:name' value='late'/></trace></log>"
    )
    row = read_xes(_write(tmp_path, "bare.xes", text)).to_pylist()
    assert row == [{"case:concept:name": "late", "concept:name": "a", "__row": 1}]


def test_many_events_keep_order_and_late_columns(tmp_path: Path) -> None:
    # More events than one internal batch: a column that first appears late, a trace attribute
    # present only in early traces, and the row order must all survive the batching.
    traces = []
    for number in range(1, 14_001):
        extra = '<string key="region" value="north"/>' if number <= 10 else ""
        late = '<string key="late" value="yes"/>' if number > 13_990 else ""
        events = "".join(
            f'<event><string key="concept:name" value="a{step}"/>{late}</event>'
            for step in range(5)
        )
        traces.append(
            f'<trace><string key="concept:name" value="t{number}"/>{extra}{events}</trace>'
        )
    table = read_xes(_write(tmp_path, "many.xes", _xes("\n".join(traces))))
    assert table.num_rows == 70_000
    assert table.column("__row").to_pylist() == list(range(1, 70_001))
    assert table.column("case:concept:name")[69_999].as_py() == "t14000"
    assert table.column("concept:name")[69_999].as_py() == "a4"
    assert table.column("case:region").null_count == 70_000 - 50
    assert table.column("late").null_count == 70_000 - 50
    assert table.column("late")[69_950].as_py() == "yes"


def test_progress_reports_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "progress.xes.gz"
    path.write_bytes(gzip.compress(_xes(ONE_TRACE).encode("utf-8")))
    seen: list[tuple[int, int]] = []
    read_xes(path, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (path.stat().st_size, path.stat().st_size)


def test_offsets_other_than_utc_and_positive(tmp_path: Path) -> None:
    body = ONE_TRACE.replace("2024-03-01T10:00:00+01:00", "2024-03-01T10:00:00-05:30")
    value = read_xes(_write(tmp_path, "west.xes", _xes(body))).column("time:timestamp")[0]
    expected = datetime(2024, 3, 1, 10, 0, tzinfo=timezone(-timedelta(hours=5, minutes=30)))
    assert value.as_py() == expected
