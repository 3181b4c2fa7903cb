"""Alerts: due reminders and escalations against known truth, real delivery, idempotency, effect."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alerts_support import T1, T7, SmtpServer, WebhookServer, at, load_export

from mining import store
from mining.errors import InputError
from mining.ingest import IngestOptions, ingest_file
from servflow.alerts import (
    alert_config_from_mapping,
    alert_effect,
    deliver_alerts,
    find_due_alerts,
    smtp_sender,
    webhook_sender,
)
from servflow.cli import main

H = 3600.0


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def _last_events(csv_path: Path) -> dict[str, tuple[str, datetime, datetime]]:
    """ticket -> (last activity, last event time, first event time), straight from the CSV."""
    events: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            events[row["ticket_id"]].append((_utc(row["timestamp"]), row["activity"]))
    out = {}
    for ticket, items in events.items():
        items.sort(key=lambda item: item[0])
        out[ticket] = (items[-1][1], items[-1][0], items[0][0])
    return out


@pytest.fixture(scope="module")
def generated(telecom):
    db, truth = telecom(7, 2000)
    return db, truth, _last_events(db.with_suffix(".csv"))


def test_exactly_the_stalled_tickets_are_due_and_closed_ones_never(generated, telecom) -> None:
    db, truth, last = generated
    with store.connect(db, read_only=True) as con:
        report = find_due_alerts(con, "telecom")
    assert report.as_of == _utc(truth["as_of"])
    injected = {t for b in truth["breakpoints"] for t in b["case_ids"]}
    assert len(injected) == 123
    assert report.tickets("remind") == injected
    closed = {t for t, (activity, _, _) in last.items() if activity in truth["end_activities"]}
    assert len(closed) == 2000 - 123 and not closed & report.tickets()
    # each alert names the ticket's real last activity and is routed to the team that takes the
    # next step there (the back office after a dispatch, the callback team after closing)
    holders = {"派单至后台": "后台支撑", "结单": "质检回访组"}
    for alert in report.alerts:
        assert alert.activity == last[alert.ticket][0]
        assert alert.team == holders[alert.activity]
        assert alert.source == "learned"

    # switched off, the same log has no stalled ticket and nothing is due
    db_off, _ = telecom(7, 2000, "breakpoint")
    with store.connect(db_off, read_only=True) as con:
        assert find_due_alerts(con, "telecom").alerts == ()


def test_escalation_only_past_the_second_limit(generated) -> None:
    db, truth, last = generated
    config = alert_config_from_mapping({"escalate_factor": 20})
    with store.connect(db, read_only=True) as con:
        report = find_due_alerts(con, "telecom", config)
    as_of = _utc(truth["as_of"])
    limits = {
        r.activity: (r.remind_after_s, r.escalate_after_s) for r in report.rules.rules if r.activity
    }
    expected: dict[str, set[str]] = {"remind": set(), "escalate": set()}
    for ticket, (activity, last_ts, _) in last.items():
        if activity in truth["end_activities"]:
            continue
        idle = (as_of - last_ts).total_seconds()
        remind, escalate = limits[activity]
        assert escalate == 20 * remind
        if idle > remind:
            expected["remind"].add(ticket)
        if idle > escalate:
            expected["escalate"].add(ticket)
    assert report.tickets("remind") == expected["remind"]
    assert report.tickets("escalate") == expected["escalate"]
    # the second limit splits the stalled tickets: some only reminded, some escalated
    assert 0 < len(expected["escalate"]) < len(expected["remind"])
    for alert in report.alerts:
        assert alert.waited_s > alert.threshold_s


def test_sla_warning_at_80_percent_of_the_target(generated) -> None:
    db, truth, last = generated
    as_of = _utc(truth["as_of"])
    config = alert_config_from_mapping(
        {"learn": False, "sla": {"attribute": "ticket_type", "default_h": 1000, "warn_at": 0.8}}
    )
    with store.connect(db, read_only=True) as con:
        report = find_due_alerts(con, "telecom", config)
    ages = {
        t: (as_of - first).total_seconds()
        for t, (activity, _, first) in last.items()
        if activity not in truth["end_activities"]
    }
    assert {a.kind for a in report.alerts} == {"sla"}
    assert report.tickets("remind") == {t for t, age in ages.items() if age > 800 * H}
    assert report.tickets("escalate") == {t for t, age in ages.items() if age > 1000 * H}
    assert 0 < len(report.tickets("escalate")) < len(report.tickets("remind")) < len(ages)


def test_mining_run_thresholds_are_used_and_the_cli_lists_them(generated, tmp_path, capsys):
    from mining.run import MiningOptions, mine_log

    db, truth, _ = generated
    copy = tmp_path / "mined.duckdb"
    shutil.copyfile(db, copy)
    with store.connect(copy) as con:
        run = mine_log(con, "telecom", MiningOptions(conformance=False))
        stored = dict(
            con.execute(
                "SELECT activity, threshold_s FROM run_breakpoints WHERE run_id = ?", [run.run_id]
            ).fetchall()
        )
    assert main(["alerts", "telecom", "--db", str(copy), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rules = {r["activity"]: r for r in data["rules"] if r["kind"] == "idle"}
    for activity, threshold in stored.items():
        assert rules[activity]["remind_after_s"] == pytest.approx(threshold)
        assert rules[activity]["source"].startswith(f"breakpoints run {run.run_id}")
    assert "归档" not in rules  # an end activity never alerts
    tickets = {a["ticket"] for team in data["teams"] for a in team["alerts"]}
    injected = {t for b in truth["breakpoints"] for t in b["case_ids"]}
    assert tickets == injected

    # once the optimization step stored time-limit rules with the run, they take over
    from optimization.candidates import compute_and_store

    with store.connect(copy) as con:
        limits = {
            c.rule.after_activity: c.rule
            for c in compute_and_store(con, run.run_id).automation
            if c.rule is not None
        }
        report = find_due_alerts(con, "telecom")
    assert {"派单至后台", "结单"} <= set(limits)
    for rule in report.rules.rules:
        if rule.activity in limits:
            limit = limits[rule.activity]
            assert rule.source.startswith(f"optimization run {run.run_id}")
            assert (rule.remind_after_s, rule.escalate_after_s, rule.team) == (
                limit.remind_after_s,
                limit.escalate_after_s,
                limit.remind_team,
            )
    assert report.tickets("remind") == injected
    for alert in report.alerts:
        limit = limits[alert.activity]
        expected = limit.remind_after_s if alert.level == "remind" else limit.escalate_after_s
        assert alert.threshold_s == expected


def test_bad_configuration_is_rejected_naming_the_key(tmp_path, capsys) -> None:
    with pytest.raises(InputError, match=r"rules\[0\]\.escalate_after_h must not be below"):
        alert_config_from_mapping(
            {"rules": [{"activity": "A", "remind_after_h": 5, "escalate_after_h": 1}]}
        )
    with pytest.raises(InputError, match=r"recipients\.bo\.email: 'not-an-address'"):
        alert_config_from_mapping({"recipients": {"bo": {"email": ["not-an-address"]}}})
    with pytest.raises(InputError, match=r"supervisor 'boss' has no entry"):
        alert_config_from_mapping({"recipients": {"bo": {"email": "a@b.cn", "supervisor": "boss"}}})
    bad = tmp_path / "alerts.toml"
    bad.write_text('[recipients."后台"]\nlanguage = "fr"\nemail = ["a@b.cn"]\n', encoding="utf-8")
    db = tmp_path / "x.duckdb"
    store.connect(db).close()
    assert main(["alerts", "t", "--db", str(db), "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "recipients.后台.language" in err


def test_delivery_once_per_level_retry_after_failure_drop_moved_on_and_effect(tmp_path) -> None:
    smtp, hook = SmtpServer().start(), WebhookServer().start()
    try:
        config = alert_config_from_mapping(
            {
                "learn": False,
                "end_activities": ["归档"],
                "rules": [{"activity": "派单至后台", "remind_after_h": 4, "escalate_after_h": 24}],
                "recipients": {
                    "后台支撑": {
                        "email": ["bo@example.com", "bo2@example.com"],
                        "webhook": hook.url,
                        "language": "zh",
                        "supervisor": "后台主管",
                    },
                    "后台主管": {"email": ["lead@example.com"], "language": "en"},
                },
            }
        )
        senders = {
            "email": smtp_sender("127.0.0.1", smtp.port, "servflow@example.com", timeout=5),
            "webhook": webhook_sender(timeout=5),
        }
        con = store.connect(tmp_path / "db.duckdb")
        load_export(con, tmp_path, 1)

        def run(when: str):
            report = find_due_alerts(con, "tickets", config, as_of=at(when))
            return report, deliver_alerts(con, report, config, senders, run=when)

        # 1. T2 has waited 29 h (reminder and escalation), T1 6 h (reminder); T4, T7 are in time
        report, done = run("10 15:00")
        assert {(a.ticket, a.level) for a in report.alerts} == {
            ("T2", "remind"),
            ("T2", "escalate"),
            (T1, "remind"),
        }
        assert (done.sent, done.failed, done.already_sent) == (5, 0, 0)
        team_mail, lead_mail = sorted(smtp.mails, key=lambda m: len(m.recipients), reverse=True)
        assert team_mail.recipients == ["bo@example.com", "bo2@example.com"]
        assert team_mail.subject == "【servflow】tickets：2 张工单需要处理（提醒 2，升级 0）"
        assert "派单至后台" in team_mail.html and "后台支撑" in team_mail.html
        assert "T1&lt;img src=x onerror=alert(1)&gt;" in team_mail.html
        assert "<img" not in team_mail.html
        assert lead_mail.recipients == ["lead@example.com"]
        assert (
            lead_mail.subject
            == "[servflow] tickets: 1 tickets need action (0 reminders, 1 escalations)"
        )
        assert (
            "Escalation" in lead_mail.html
            and "T2" in lead_mail.html
            and T1[:2] not in lead_mail.html
        )
        [post] = hook.posts
        text = post["markdown"]["content"]
        assert post["msgtype"] == "markdown" and "派单至后台" in text and "T2" in text
        assert "T1&lt;img src=x onerror=alert\\(1\\)&gt;" in text

        # 2. the same run again (a retry or a backfill) sends nothing
        _, again = run("10 15:00")
        assert (again.sent, again.failed, again.already_sent, again.deliveries) == (0, 0, 5, ())
        assert (len(smtp.mails), len(hook.posts)) == (2, 1)

        # 3. T4 and T7 fall due while the chat server is down: e-mail goes, chat is recorded failed
        hook.stop()
        _, third = run("10 20:00")
        assert (third.sent, third.failed) == (2, 2)
        assert [m.recipients for m in smtp.mails[2:]] == [["bo@example.com", "bo2@example.com"]]
        assert "T4" in smtp.mails[2].html and "T7 **紧急**" in smtp.mails[2].html
        failed = con.execute(
            "SELECT ticket, outcome FROM sent_alerts WHERE channel = 'webhook' AND run = '10 20:00'"
        ).fetchall()
        assert sorted(failed) == [("T4", "failed"), (T7, "failed")]

        # 4. T4 and T1 moved on meanwhile; the chat server is back: T7 is retried, T4 dropped
        load_export(con, tmp_path, 2)
        hook.start()
        _, fourth = run("10 22:00")
        assert (fourth.sent, fourth.failed, fourth.dropped) == (1, 0, 1)
        [retry] = hook.posts[1:]
        assert "T7 \\*\\*紧急\\*\\* \\[x\\]\\(http://e.vil\\)" in retry["markdown"]["content"]
        assert "T4" not in retry["markdown"]["content"]
        assert len(smtp.mails) == 3
        outcomes = dict(
            con.execute("SELECT outcome, count(*) FROM sent_alerts GROUP BY outcome").fetchall()
        )
        assert outcomes == {"sent": 5 + 2 + 1, "failed": 2, "dropped": 1}

        # 5. effect: T1 moved 3 h, T4 1 h, T7 5 h after their reminders (T2 still waits);
        # before the rule, T5 and T6 moved 8 h and 6 h after passing the same 4 h limit
        load_export(con, tmp_path, 3)
        [effect] = alert_effect(con, "tickets")
        assert (effect.rule, effect.first_alert) == ("idle:派单至后台", at("10 15:00"))
        assert (effect.alerted_waits, effect.alerted_progressed) == (4, 3)
        assert effect.alerted_median_s == 3 * H
        assert (effect.baseline_waits, effect.baseline_progressed) == (2, 2)
        assert effect.baseline_median_s == 7 * H
        assert effect.median_change_s == -4 * H
        con.close()
        assert main(["alerts", "tickets", "--db", str(tmp_path / "db.duckdb"), "--effect"]) == 0
    finally:
        smtp.stop()
        hook.stop()


def test_due_as_of_is_judged_on_everything_loaded(tmp_path) -> None:
    # a ticket that moved on after as_of is not waiting at as_of (like the break-point analysis)
    con = store.connect(tmp_path / "db.duckdb")
    load_export(con, tmp_path, 3)
    config = alert_config_from_mapping(
        {
            "learn": False,
            "end_activities": ["归档"],
            "rules": [{"activity": "派单至后台", "remind_after_h": 4, "escalate_after_h": 24}],
        }
    )
    report = find_due_alerts(con, "tickets", config, as_of=at("10 15:00") + timedelta(hours=5))
    assert report.tickets() == {"T2"}
    con.close()


def test_the_documented_example_configuration_is_valid() -> None:
    from servflow.alerts import read_alert_config

    config = read_alert_config(Path(__file__).resolve().parents[1] / "docs/alerts.example.toml")
    assert [r.ticket_type for r in config.rules] == ["投诉", None]
    assert config.supervisor_for("Field technicians").name == "后台主管"
    assert config.recipient_for("一线客服").name == "值班组"  # the default recipient
    assert config.sla is not None and config.sla.target_for("报障") == 48 * H


def test_an_sla_attribute_the_log_lacks_is_rejected(generated) -> None:
    db, _, _ = generated
    config = alert_config_from_mapping(
        {"sla": {"attribute": "工单类型", "targets_h": {"投诉": 72}}}
    )
    with (
        store.connect(db, read_only=True) as con,
        pytest.raises(InputError, match="no case attribute '工单类型'"),
    ):
        find_due_alerts(con, "telecom", config)


def test_terminal_output_escapes_control_characters_from_the_log(tmp_path, capsys) -> None:
    path = tmp_path / "ctl.csv"
    path.write_text(
        "case,activity,time,team\n"
        '"A\x1b[2J","派单\nforged line",2024-01-01 08:00,"T\u202e"\n'
        "B,close,2024-01-01 09:00,T\n",
        encoding="utf-8",
    )
    db = tmp_path / "c.duckdb"
    with store.connect(db) as con:
        ingest_file(con, path, IngestOptions(log_name="ctl", fail_on=None))
    config = tmp_path / "alerts.json"
    config.write_text(
        json.dumps(
            {
                "learn": False,
                "end_activities": ["close"],
                "rules": [
                    {"activity": "派单\nforged line", "remind_after_h": 1, "escalate_after_h": 2}
                ],
            }
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert (
        main(["alerts", "ctl", "--db", str(db), "--config", str(config), "--as-of", "2024-01-02"])
        == 0
    )
    out = capsys.readouterr().out
    assert "A\\x1b[2J" in out and "派单\\nforged line" in out and "T\\u202e" in out
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", out)
    assert not any(line.startswith("forged line") for line in out.splitlines())
