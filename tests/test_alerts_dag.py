"""The alerts DAG under `dag.test()`: digests through Airflow's SMTP notifier and a chat webhook,
nothing twice, a failed delivery recorded and sent by the next run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_support import make_template, new_airflow_home, run_dag
from alerts_support import T1, T7, SmtpServer, WebhookServer, load_export

from mining import store

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def airflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("airflow-template-alerts"))


def test_alerts_dag_sends_each_alert_once_and_retries_a_failed_delivery(
    airflow_template: Path, tmp_path: Path
) -> None:
    home = new_airflow_home(airflow_template, tmp_path / "airflow")
    db = tmp_path / "servflow.duckdb"
    with store.connect(db) as con:
        load_export(con, tmp_path, 1)  # the export as of 2024-05-10 14:00
    smtp, hook = SmtpServer().start(), WebhookServer().start()
    alerts = {
        "learn": False,
        "end_activities": ["归档"],
        "from": "servflow@example.com",
        "rules": [{"activity": "派单至后台", "remind_after_h": 4, "escalate_after_h": 24}],
        "recipients": {
            "后台支撑": {
                "email": ["bo@example.com"],
                "webhook": hook.url,
                "language": "zh",
                "supervisor": "后台主管",
            },
            "后台主管": {"email": ["lead@example.com"], "language": "en"},
        },
    }
    env = {
        "AIRFLOW_VAR_SERVFLOW_CONFIG": json.dumps(
            {
                "database": str(db),
                "reports": str(tmp_path / "reports"),
                "logs": [{"name": "tickets"}],
            }
        ),
        "AIRFLOW_VAR_SERVFLOW_ALERTS": json.dumps(alerts, ensure_ascii=False),
        "AIRFLOW_CONN_SERVFLOW_SMTP": json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp.port,
                "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 0, "timeout": 5},
            }
        ),
    }
    try:
        # the daily run after the export: as of its last event (14:00), T2 waited 28 h, T1 5 h
        first = run_dag(home, "servflow_alerts", "2024-05-11T01:00:00+00:00", env=env)
        assert first.state == "success", first.output[-4000:]
        by_to = {tuple(m.recipients): m for m in smtp.mails}
        assert set(by_to) == {("bo@example.com",), ("lead@example.com",)}
        team = by_to[("bo@example.com",)]
        assert team.subject == "【servflow】tickets：2 张工单需要处理（提醒 2，升级 0）"
        assert "T1&lt;img src=x onerror=alert(1)&gt;" in team.html and "<img" not in team.html
        assert "T2" in team.html and "派单至后台" in team.html
        lead = by_to[("lead@example.com",)]
        assert "Escalation" in lead.html and "T2" in lead.html and T1[:2] not in lead.html
        [post] = hook.posts
        assert "派单至后台" in post["markdown"]["content"]

        # the next export arrives (T1 and T4 moved on) while the mail server is down: T7 is due,
        # the chat message goes out, the e-mail is recorded as failed and the run fails
        with store.connect(db) as con:
            load_export(con, tmp_path, 2)
        smtp.stop()
        down = run_dag(home, "servflow_alerts", "2024-05-12T01:00:00+00:00", env=env)
        assert down.state == "failed"
        assert down.task_states == {"send_alerts": "success", "check_deliveries": "failed"}
        [chat] = hook.posts[1:]  # T7 only: what was sent before (T1, T2) is not sent again
        assert T7 in chat["markdown"]["content"].replace("\\", "")
        assert "T2" not in chat["markdown"]["content"] and len(smtp.mails) == 2
        with store.connect(db, read_only=True) as con:
            rows = con.execute(
                "SELECT ticket, channel, outcome FROM sent_alerts ORDER BY attempted_at, channel"
            ).fetchall()
        assert rows[-2:] == [(T7, "email", "failed"), (T7, "webhook", "sent")]

        # the mail server is back: the next run delivers the e-mail, and only that
        smtp.start()
        back = run_dag(home, "servflow_alerts", "2024-05-13T01:00:00+00:00", env=env)
        assert back.state == "success", back.output[-4000:]
        [retried] = smtp.mails[2:]
        assert retried.recipients == ["bo@example.com"]
        assert "T7 **紧急**" in retried.html and "T4" not in retried.html
        assert len(hook.posts) == 2
        with store.connect(db, read_only=True) as con:
            outcomes = dict(
                con.execute("SELECT outcome, count(*) FROM sent_alerts GROUP BY outcome").fetchall()
            )
        assert outcomes == {"sent": 5 + 1 + 1, "failed": 1}
    finally:
        smtp.stop()
        hook.stop()
