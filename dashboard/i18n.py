"""The dashboard's own words in English and Chinese. Labels from the log are never translated.

>>> text("tickets", "zh")
'工单数'
>>> text("run_of", "en", run=3)
'Mining run 3'
"""

from __future__ import annotations

from typing import Literal

__all__ = ["LANGUAGES", "Lang", "has_text", "text"]

Lang = Literal["en", "zh"]
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}

STRINGS: dict[str, tuple[str, str]] = {
    # navigation
    "overview": ("Overview", "概览"),
    "process_map": ("Process map", "流程图"),
    "variants": ("Variants", "流程变体"),
    "findings": ("Bottlenecks and break points", "堵点与断点"),
    "conformance": ("Conformance", "合规性"),
    "candidates": ("Candidates", "优化建议"),
    "export": ("Export", "导出"),
    "alerts": ("Alerts", "提醒与升级"),
    "data": ("Data", "数据"),
    "language": ("Language", "语言"),
    # sidebar and filters
    "log": ("Log", "日志"),
    "filters": ("Filters", "筛选"),
    "period": ("Tickets started between", "工单开始时间"),
    "filter_attributes": ("Filter by case attribute", "按工单属性筛选"),
    "values_of": ("Values of {name}", "{name} 的取值"),
    "filter_teams": (
        "Tickets a team worked on (any of them)",
        "经手班组(任一)",
    ),
    "top_variants": ("Only the most common variants (0 = all)", "仅最常见的变体(0 = 全部)"),
    "refresh": ("Reload data", "刷新数据"),
    "snapshot_from": ("Data published {when} UTC", "数据发布于 {when} UTC"),
    "filtered_out_all": (
        "No tickets match these filters. Widen the filters in the sidebar.",
        "没有符合筛选条件的工单,请放宽侧边栏中的筛选条件。",
    ),
    # empty states
    "no_snapshot": (
        "No data to show yet. Load a log and mine it (`servflow ingest FILE` then `servflow mine LOG`),"
        " or upload a log on the Data page.",
        "暂无数据。请先导入并分析日志(`servflow ingest 文件`,然后 `servflow mine 日志名`),"
        "或在“数据”页面上传日志。",
    ),
    "no_logs": (
        "The database holds no logs yet. Upload one on the Data page or run `servflow ingest FILE`.",
        "数据库中还没有日志。请在“数据”页面上传,或运行 `servflow ingest 文件`。",
    ),
    "not_mined": (
        "This log has not been mined yet: run `servflow mine LOG`, or use 'Mine now' on the Data page.",
        "该日志尚未分析:请运行 `servflow mine 日志名`,或在“数据”页面点击“立即分析”。",
    ),
    "stale_run": (
        "New data was loaded after this mining run: mine the log again to include it.",
        "本次分析之后又导入了新数据:请重新分析以包含这些数据。",
    ),
    "run_of": ("Mining run {run}", "分析批次 {run}"),
    "run_status": (
        "Mining run {run} of {mined} UTC, data as of {as_of} UTC",
        "分析批次 {run}({mined} UTC),数据截至 {as_of} UTC",
    ),
    # overview
    "tickets": ("Tickets", "工单数"),
    "events": ("Events", "事件数"),
    "period_shown": ("Period", "时间范围"),
    "median_lead": ("Median lead time", "处理时长中位数"),
    "p90_lead": ("P90 lead time", "处理时长 P90"),
    "rework_share": ("Tickets with rework", "有返工的工单"),
    "stalled": ("Stalled tickets", "停滞工单"),
    "sla_breaches": ("SLA breaches", "超时工单"),
    "scorecard": ("Service-quality scorecard", "服务质量评分卡"),
    "scorecard_scope": (
        "Computed by the mining run over the run's tickets; 'not available' where the log cannot tell.",
        "由分析批次对其全部工单计算;日志无法支持的指标显示“不可用”。",
    ),
    "weekly_trend": ("Tickets and lead time per week", "每周工单数与处理时长"),
    "lead_distribution": ("Lead-time distribution (hours)", "处理时长分布(小时)"),
    "quality_latest": ("Data quality of the latest load", "最近一次导入的数据质量"),
    "not_available": ("not available", "不可用"),
    # scorecard measures (mining.kpis names)
    "kpi_responsiveness": ("Responsiveness", "响应时长"),
    "kpi_resolution_rate": ("Resolution rate", "解决率"),
    "kpi_resolution_time": ("Resolution time", "解决时长"),
    "kpi_lead_time": ("Lead time", "处理时长"),
    "kpi_first_contact_resolution": ("First-contact resolution", "首次接触解决率"),
    "kpi_reopen_rate": ("Reopen rate", "重开率"),
    "kpi_repeat_contact_rate": ("Repeat contacts", "重复联系率"),
    "kpi_escalation_rate": ("Escalation rate", "升级率"),
    "kpi_satisfaction": ("Satisfaction", "满意度"),
    # columns
    "col_kpi": ("Measure", "指标"),
    "col_value": ("Value", "数值"),
    "col_definition": ("Definition", "定义"),
    "col_note": ("Note", "说明"),
    "col_activity": ("Activity", "环节"),
    "col_source": ("From", "从"),
    "col_target": ("To", "到"),
    "col_count": ("Count", "次数"),
    "col_cases": ("Tickets", "工单数"),
    "col_share": ("Share", "占比"),
    "col_median": ("Median", "中位数"),
    "col_mean": ("Mean", "平均"),
    "col_p90": ("P90", "P90"),
    "col_week": ("Week", "周"),
    "col_steps": ("Steps", "步骤"),
    "col_variant": ("Variant", "变体"),
    "col_case": ("Ticket", "工单"),
    "col_events": ("Events", "事件数"),
    "col_start": ("Start", "开始"),
    "col_end": ("Last event", "最后事件"),
    "col_lead": ("Lead time", "处理时长"),
    "col_where": ("Now at", "当前环节"),
    "col_time": ("Time (UTC)", "时间 (UTC)"),
    "col_started": ("Started (UTC)", "开始时间 (UTC)"),
    "col_resource": ("Handled by", "处理人"),
    "col_team": ("Team", "班组"),
    "col_lifecycle": ("Lifecycle", "生命周期"),
    "col_delay_share": ("Share of added delay", "新增延误占比"),
    "col_delay_per_case": ("Added delay per ticket", "每单新增延误"),
    "col_extra_time": ("Extra time", "额外耗时"),
    "col_repetitions": ("Repetitions", "重复次数"),
    "col_level": ("Level", "层级"),
    "col_pair": ("Bouncing between", "往返于"),
    "col_dropout": ("Drop-out share", "流失占比"),
    "col_idle": ("Median idle", "空闲中位数"),
    "col_type": ("Ticket type", "工单类型"),
    "col_target_time": ("Target", "时限"),
    "col_breached": ("Breached", "超时"),
    "col_fitness": ("Fitness", "拟合度"),
    "col_kind": ("Kind", "类型"),
    "col_score": ("Score", "得分"),
    "col_rationale": ("Rationale", "理由"),
    "col_hours_saved": ("Hours saved / month", "每月节省工时"),
    "col_lead_change": ("Lead time change per ticket", "每单处理时长变化"),
    "col_per_month": ("Executions / month", "每月执行次数"),
    "col_name": ("Name", "名称"),
    "col_loads": ("Loads", "导入次数"),
    "col_first": ("First event", "最早事件"),
    "col_last": ("Last event", "最晚事件"),
    "col_severity": ("Severity", "严重程度"),
    "col_finding": ("Finding", "问题"),
    "col_message": ("Details", "详情"),
    "col_rows_read": ("Rows read", "读取行数"),
    "col_rows_loaded": ("Rows loaded", "导入行数"),
    "col_rows_rejected": ("Rows rejected", "拒绝行数"),
    "col_file": ("File", "文件"),
    "col_loaded_at": ("Loaded at (UTC)", "导入时间 (UTC)"),
    "col_load": ("Load", "批次"),
    "col_row": ("Row", "行号"),
    "col_reason": ("Reason", "原因"),
    "col_criterion": ("Criterion", "标准"),
    "col_evidence": ("Evidence", "依据"),
    # process map
    "map_measure": ("Show on the edges", "连线显示"),
    "frequency": ("Frequency", "频次"),
    "performance": ("Waiting time", "等待时间"),
    "perf_stat": ("Waiting time statistic", "等待时间统计量"),
    "activities_slider": ("Activities shown (%)", "显示的环节 (%)"),
    "paths_slider": ("Paths shown (%)", "显示的路径 (%)"),
    "map_caption": (
        "{cases} tickets, {events} events; {nodes} of {all_nodes} activities and {edges} of "
        "{all_edges} paths shown. Darker = more frequent (activities) or slower (paths).",
        "{cases} 张工单,{events} 个事件;显示 {nodes}/{all_nodes} 个环节、{edges}/{all_edges} 条路径。"
        "颜色越深表示越频繁(环节)或越慢(路径)。",
    ),
    "map_edges": ("Paths of the map", "流程图中的路径"),
    "map_empty": ("No paths to draw under these filters.", "当前筛选条件下没有可绘制的路径。"),
    # variants, drill-down
    "pick_variant": ("Pick a variant to see its tickets", "选择变体以查看其工单"),
    "tickets_behind": ("Tickets behind this finding", "该问题涉及的工单"),
    "tickets_found": (
        "{total} tickets (the {shown} with the longest lead time are listed)",
        "共 {total} 张工单(列出处理时长最长的 {shown} 张)",
    ),
    "pick_ticket": ("Pick a ticket to see its events", "选择工单以查看其事件"),
    "ticket_events": ("Events of the ticket, in order", "工单事件(按时间顺序)"),
    "stuck_at": ("Last step and since when (UTC)", "最后环节及时间 (UTC)"),
    "pick_finding": ("Pick a finding to see the tickets behind it", "选择一项以查看相关工单"),
    "none_found": ("Nothing found in this mining run.", "本次分析未发现此类问题。"),
    # findings tabs
    "bottlenecks": ("Bottlenecks", "堵点"),
    "rework": ("Rework", "返工"),
    "pingpong": ("Ping-pong", "来回推诿"),
    "breakpoints": ("Break points", "断点"),
    "sla": ("SLA", "时限"),
    "bottlenecks_help": (
        "Hand-overs ranked by the delay they add to all tickets: how often times how much longer "
        "than the log's usual hand-over.",
        "按对全部工单造成的新增延误排序的交接:发生次数 × 超出常规交接时长的部分。",
    ),
    "breakpoints_help": (
        "Tickets still open and idle for longer than is normal after their last activity.",
        "仍未关闭且在最后环节之后空闲时间超过常规水平的工单。",
    ),
    "sla_help": (
        "Lead time against the target of the ticket type; open tickets count up to the run's "
        "as-of time.",
        "按工单类型时限衡量处理时长;未结工单计算到分析截止时间。",
    ),
    "sla_none": (
        "No SLA targets were configured for this run (`servflow mine LOG --sla TYPE=HOURS`).",
        "本次分析未配置时限(`servflow mine 日志名 --sla 类型=小时`)。",
    ),
    # conformance
    "reference_model": ("Reference model", "参考模型"),
    "model_run": ("Model discovered by the mining run", "分析批次发现的模型"),
    "model_file": ("A model file", "模型文件"),
    "model_upload": ("Upload a BPMN or PNML file", "上传 BPMN 或 PNML 文件"),
    "model_choose": ("Model file", "模型文件"),
    "no_model_files": (
        "No model files found in the models folder ({folder}).",
        "模型文件夹({folder})中没有模型文件。",
    ),
    "log_fitness": ("Log fitness", "日志拟合度"),
    "fitting_share": ("Fitting tickets", "完全拟合的工单"),
    "deviations": ("Most frequent deviations", "最常见的偏差"),
    "variant_fitness": ("Fitness per variant", "各变体拟合度"),
    "conformance_none": (
        "The mining run has no conformance result (it ran with --no-conformance).",
        "本次分析没有合规性结果(使用了 --no-conformance)。",
    ),
    "check_failed": ("The model could not be checked:", "无法检查该模型:"),
    # candidates
    "automation": ("Automation candidates", "自动化建议"),
    "restructuring": ("Restructuring candidates", "流程重构建议"),
    "already_automated": ("Already automated", "已自动化"),
    "too_rare": ("Too rare to judge (not scored)", "执行次数太少,无法评判(未评分)"),
    "judgement_work": ("Judgement work, not proposed", "需人工判断的工作(不建议自动化)"),
    "col_executions": ("Executions", "执行次数"),
    "candidates_missing": (
        "Candidate ranking is not available in this installation.",
        "当前安装不包含优化建议功能。",
    ),
    "candidates_none": (
        "No candidates are stored for this run; mine the log again to rank them.",
        "本次分析没有存储优化建议;请重新分析日志。",
    ),
    "pick_candidate": ("Pick a candidate", "选择一项建议"),
    "whatif": ("What if: lead time before and after", "假设分析:优化前后的处理时长"),
    "before": ("Before", "优化前"),
    "after": ("After", "优化后"),
    "estimate_range": ("Range of the estimate (median)", "估计区间(中位数)"),
    "changed_cases": ("Tickets changed", "受影响工单"),
    "work_hours": ("Work hours", "工时"),
    "assumptions": ("Assumptions", "假设"),
    "criteria": ("Criteria", "评估标准"),
    # export
    "export_intro": (
        "An audit pack of the current log and filters: flow diagrams, findings and their provenance.",
        "按当前日志和筛选条件导出审计包:流程图、分析结果及其来源。",
    ),
    "export_missing": (
        "Audit-pack export is not available in this installation.",
        "当前安装不包含审计包导出功能。",
    ),
    "export_build": ("Build the audit pack", "生成审计包"),
    "export_failed": ("The audit pack was not written:", "审计包未生成:"),
    "export_download": ("Download the audit pack (ZIP)", "下载审计包 (ZIP)"),
    "export_files": ("Files in the pack", "审计包中的文件"),
    "export_formats": ("Formats", "格式"),
    # data
    "stored_logs": ("Stored logs", "已存储的日志"),
    "loads": ("Loads and their data quality", "导入记录与数据质量"),
    "rejected_rows": ("Rejected rows", "被拒绝的行"),
    "upload": ("Upload a log", "上传日志"),
    "upload_help": (
        "CSV, TSV, XES, Parquet or JSON lines, up to {mb} MB. It is loaded the same way as "
        "`servflow ingest`.",
        "支持 CSV、TSV、XES、Parquet 或 JSON lines,最大 {mb} MB,导入方式与 `servflow ingest` 相同。",
    ),
    "upload_disabled": (
        "Uploads are switched off for this dashboard (read-only deployment).",
        "此看板已关闭上传(只读部署)。",
    ),
    "upload_too_big": ("The file is larger than {mb} MB.", "文件超过 {mb} MB。"),
    "column_mapping": ("Column mapping", "列映射"),
    "role_case": ("Ticket id column", "工单号列"),
    "role_activity": ("Activity column", "环节列"),
    "role_timestamp": ("Timestamp column", "时间列"),
    "role_resource": ("Resource column", "处理人列"),
    "role_team": ("Team column", "班组列"),
    "role_start_timestamp": ("Start timestamp column", "开始时间列"),
    "role_lifecycle": ("Lifecycle column", "生命周期列"),
    "detected": ("(detected)", "(自动识别)"),
    "none_column": ("(none)", "(无)"),
    "log_name": ("Log name", "日志名称"),
    "timestamp_format": ("Timestamp format (optional, e.g. %d/%m/%Y %H:%M)", "时间格式(可选)"),
    "timezone": ("Time zone of naive timestamps", "无时区时间的时区"),
    "fail_on": ("Stop the load at data-quality severity", "数据质量达到此级别时停止导入"),
    "load_button": ("Load", "导入"),
    "loaded": (
        "Loaded: {events} new events of {cases} new tickets.",
        "已导入:{events} 个新事件,{cases} 张新工单。",
    ),
    "already_loaded": (
        "This file was already loaded; nothing added.",
        "该文件已导入过,未新增数据。",
    ),
    "load_failed": ("The file was not loaded:", "文件未导入:"),
    "mine_now": ("Mine now", "立即分析"),
    "mined": ("Mined: run {run} is published.", "分析完成:批次 {run} 已发布。"),
    "mine_failed": ("Mining failed:", "分析失败:"),
    "file_columns": ("{rows} rows, columns: ", "{rows} 行,列:"),
    # alerts
    "alerts_intro": (
        "Tickets that waited past a time limit: a reminder goes to the team holding the ticket, "
        "an escalation to its supervisor. The rules come from the alert configuration "
        "($SERVFLOW_ALERTS) or are learned from the log's normal waits. The sidebar filters do not apply here: alerts "
        "cover every ticket of the log.",
        "超过时限的工单:提醒发给持有工单的班组,升级发给其主管。规则来自提醒配置"
        "($SERVFLOW_ALERTS),或从日志的正常等待时长中学习得到。侧栏筛选不作用于此页:提醒覆盖日志中的全部工单。",
    ),
    "alerts_due": ("Due now", "当前待提醒"),
    "alerts_as_of": (
        "As of {as_of} (UTC): {waiting} tickets waiting.",
        "截至 {as_of} (UTC):{waiting} 张工单在等待。",
    ),
    "alerts_tickets_due": ("Tickets due", "待提醒工单"),
    "alerts_reminders": ("Due for a reminder", "待提醒"),
    "alerts_escalations": ("Due for an escalation", "待升级"),
    "alerts_nothing_due": ("Nothing is due.", "当前没有需要提醒的工单。"),
    "alerts_team_tickets": ("{team}: {n} tickets", "{team}:{n} 张工单"),
    "alerts_no_team": ("(no team)", "(无班组)"),
    "alerts_config_failed": (
        "The alert configuration or the log cannot be used for alerts:",
        "提醒配置或日志无法用于提醒:",
    ),
    "level_remind": ("reminder", "提醒"),
    "level_escalate": ("escalation", "升级"),
    "level_sla": ("SLA {level}", "SLA {level}"),
    "col_rule": ("Rule", "规则"),
    "col_alert_level": ("Level", "级别"),
    "col_last_activity": ("Last activity", "最后环节"),
    "col_holder": ("Held by", "持有班组"),
    "col_last_team": ("Last worked by", "最后处理班组"),
    "col_waiting_since": ("Waiting since (UTC)", "等待起始 (UTC)"),
    "col_waited": ("Waited", "已等待"),
    "col_limit": ("Limit", "时限"),
    "col_rule_source": ("Rule from", "规则来源"),
    "alerts_sent": ("Alerts sent", "已发送的提醒"),
    "alerts_sent_caption": (
        "Every delivery attempt recorded, newest first: sent, failed (retried on the next run) or "
        "dropped (the ticket moved on).",
        "记录的每次发送尝试(最新在前):已发送、失败(下次运行重试)或已放弃(工单已推进)。",
    ),
    "alerts_no_history": (
        "No alert has been sent for this log yet.",
        "该日志尚未发送过提醒。",
    ),
    "col_channel": ("Channel", "渠道"),
    "col_recipient": ("Recipient", "接收方"),
    "col_attempted": ("Attempted at (UTC)", "发送时间 (UTC)"),
    "col_outcome": ("Outcome", "结果"),
    "col_error": ("Error", "错误"),
    "alerts_effect": ("Do the rules help?", "规则是否有效?"),
    "alerts_effect_caption": (
        "Median time from a reminder to the ticket's next step, against waits at the same step "
        "that passed the same limit before the rule sent its first reminder. Negative change: "
        "tickets move sooner with the rule.",
        "从提醒到工单下一步的中位时长,对比规则首次提醒之前在同一环节超过同一时限的等待。"
        "变化为负:有规则后工单推进更快。",
    ),
    "alerts_no_effect": (
        "Not enough history yet: no reminder has been delivered for this log, so there is no "
        "effect to measure.",
        "历史数据不足:该日志尚未送达过提醒,暂无法衡量效果。",
    ),
    "col_first_alert": ("First reminder (UTC)", "首次提醒 (UTC)"),
    "col_alerted": ("Reminded waits (moved on)", "被提醒的等待(已推进)"),
    "col_alerted_median": ("Median after reminder", "提醒后中位时长"),
    "col_baseline": ("Waits before the rule (moved on)", "规则前的等待(已推进)"),
    "col_baseline_median": ("Median before", "规则前中位时长"),
    "col_change": ("Change", "变化"),
    # access
    "login_needed": ("Please log in to see the dashboard.", "请登录后查看看板。"),
    "login": ("Log in", "登录"),
    "logout": ("Log out", "退出登录"),
    "not_allowed": (
        "Your account is not allowed to see this dashboard. Ask its administrator for access.",
        "您的账号无权查看此看板,请联系管理员。",
    ),
    "internal_error": (
        "Something went wrong while preparing this page. The details are in the server log.",
        "页面生成出错,详情见服务器日志。",
    ),
}


def has_text(key: str) -> bool:
    return key in STRINGS


def text(key: str, lang: Lang = "en", **values: object) -> str:
    """The string `key` in `lang`, with `{name}` placeholders filled from `values`."""
    en, zh = STRINGS[key]
    template = zh if lang == "zh" else en
    return template.format(**values) if values else template
