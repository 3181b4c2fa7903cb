"""Which source column is the case id, the activity, the timestamp ...

Auto-detection matches the usual names (XES/pm4py keys, `Case ID`, `Activity`, `Timestamp`,
`Resource`, Chinese headers ...) after normalisation; explicit options always win. Every
column that is not mapped stays as a case or event attribute.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from mining.errors import InputError

__all__ = ["ColumnMapping", "resolve_mapping"]

ROLES = ("case", "activity", "timestamp", "start_timestamp", "resource", "team", "lifecycle")
REQUIRED = ("case", "activity", "timestamp")

# Normalised names, in order of preference. Normalisation: NFKC, lower case, and every
# character that is not a letter or digit (any script) removed.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "case": (
        "caseconceptname",
        "caseid",
        "case",
        "caseidentifier",
        "casekey",
        "caseno",
        "casenumber",
        "ticketid",
        "ticket",
        "ticketno",
        "ticketnumber",
        "incidentid",
        "incident",
        "requestid",
        "orderid",
        "workorderid",
        "traceid",
        "processinstanceid",
        "instanceid",
        "工单号",
        "工单编号",
        "工单id",
        "工单",
        "案例id",
        "案例编号",
        "流水号",
        "单号",
    ),
    "activity": (
        "conceptname",
        "activity",
        "activityname",
        "activitylabel",
        "eventname",
        "event",
        "action",
        "step",
        "stepname",
        "task",
        "taskname",
        "operation",
        "eventtype",
        "活动",
        "活动名称",
        "环节",
        "环节名称",
        "步骤",
        "操作",
        "动作",
        "节点",
        "节点名称",
    ),
    "timestamp": (
        "timetimestamp",
        "timestamp",
        "completetimestamp",
        "endtimestamp",
        "completetime",
        "completiontime",
        "endtime",
        "eventtime",
        "time",
        "datetime",
        "date",
        "eventdate",
        "occurredat",
        "createdat",
        "completedat",
        "时间",
        "完成时间",
        "结束时间",
        "发生时间",
        "操作时间",
        "处理时间",
        "时间戳",
    ),
    "start_timestamp": (
        "starttimestamp",
        "starttime",
        "timestart",
        "startdate",
        "startedat",
        "开始时间",
    ),
    "resource": (
        "orgresource",
        "resource",
        "agent",
        "agentid",
        "user",
        "userid",
        "performer",
        "handler",
        "employee",
        "operator",
        "staff",
        "assignee",
        "executor",
        "资源",
        "处理人",
        "坐席",
        "坐席工号",
        "工号",
        "操作人",
        "员工",
    ),
    "team": (
        "orggroup",
        "team",
        "group",
        "workgroup",
        "resourcegroup",
        "department",
        "queue",
        "supportgroup",
        "assignmentgroup",
        "unit",
        "班组",
        "部门",
        "团队",
        "组",
        "处理部门",
        "队列",
    ),
    "lifecycle": ("lifecycletransition", "lifecycle", "transition", "eventlifecycle", "生命周期"),
}


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\W_]+", "", text)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Source column name for each canonical role (None: the log has no such column)."""

    case: str
    activity: str
    timestamp: str
    start_timestamp: str | None = None
    resource: str | None = None
    team: str | None = None
    lifecycle: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {role: getattr(self, role) for role in ROLES}

    @property
    def mapped_columns(self) -> set[str]:
        return {c for c in self.as_dict().values() if c is not None}


def resolve_mapping(
    columns: Sequence[str], explicit: dict[str, str | None], source: str
) -> ColumnMapping:
    """Map roles to columns: explicit names first (must exist), then auto-detected ones.

    `explicit` maps a role to a column name; an empty string switches the role off.
    """
    available = list(columns)
    chosen: dict[str, str | None] = {}
    for role in ROLES:
        wanted = explicit.get(role)
        if wanted == "":
            chosen[role] = None
        elif wanted is not None:
            chosen[role] = _find_explicit(wanted, available, role, source)
    taken = {c for c in chosen.values() if c is not None}
    by_norm: dict[str, str] = {}
    for column in available:
        by_norm.setdefault(normalise(column), column)
    for role in ROLES:
        if role in chosen:
            continue
        chosen[role] = None
        for synonym in SYNONYMS[role]:
            match = by_norm.get(synonym)
            if match is not None and match not in taken:
                chosen[role] = match
                taken.add(match)
                break
    missing = [role for role in REQUIRED if chosen[role] is None]
    if missing:
        options = ", ".join(f"--{role.replace('_', '-')} COLUMN" for role in missing)
        raise InputError(
            f"{source}: cannot tell which column is the {' and the '.join(missing)} "
            f"(columns found: {_listing(available)}). Name it with {options}."
        )
    return ColumnMapping(**chosen)  # type: ignore[arg-type]


def _find_explicit(wanted: str, available: list[str], role: str, source: str) -> str:
    if wanted in available:
        return wanted
    folded = [c for c in available if c.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise InputError(
        f"{source}: there is no column {wanted!r} for the {role.replace('_', ' ')} "
        f"(columns found: {_listing(available)}). Check the spelling of --{role.replace('_', '-')}."
    )


def _listing(columns: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:30])
    return shown + (f" and {len(columns) - 30} more" if len(columns) > 30 else "")
