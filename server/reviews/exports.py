"""The review sheet (考核表) as XLSX or CSV, made by a background job.

XLSX in the layout leads already keep by hand: a summary sheet with a row per
manager and, for each weighted indicator, 权重 / 目标值 / 实际值 / 得分, then the
weighted score and the rank; the monitored indicators' values; a bar chart of the
weighted scores and a line chart of the monthly trend; detail sheets of visits,
complaints, warnings and campaign outcomes; the definitions and the period's weights.
Numbers are numbers (a percentage is a number formatted as %), the header is frozen.

Written row by row in XlsxWriter's constant_memory mode from server-side cursors, so
memory stays flat however many visits there are (bench/export_memory.py). Phone
numbers and birthdays are masked unless an admin asks; a text that a spreadsheet
would read as a formula (=, +, -, @, tab, CR) is escaped with a leading quote. Every
export is recorded: who, when, what, how many rows (and in the audit trail).
"""

import csv
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import xlsxwriter
from sqlalchemy.orm import aliased
from xlsxwriter.worksheet import Worksheet

from server.audit.services import record
from server.auth.models import Role, User
from server.campaigns.models import Campaign, CampaignTarget
from server.complaints.models import Complaint, ComplaintCategory
from server.customers.models import Customer, Tier
from server.errors import invalid
from server.extensions import db
from server.jobs.models import Job
from server.jobs.services import Progress, handler, submit
from server.privacy import access, masking
from server.privacy.models import AccessKind
from server.replica import replica_reads
from server.reviews.indicators import UNITS
from server.reviews.models import ReviewExport
from server.reviews.scoring import NAMES
from server.reviews.services import Review, Scope, period_of, resolve_scope, review, trend
from server.timeutil import local_zone
from server.visits.models import Visit
from server.warnings.models import ChurnWarning

STREAM_BATCH = 1000
RULE_NOTE = (
    "得分 = 权重 * min(max((实际值 - 保底值) / (目标值 - 保底值), 0), 封顶倍数); "
    "无数据的指标不计分, 加权得分按有数据的权重折算为百分制. 定义见 docs/indicators.md.",
    "Score = weight * min(max((actual - floor) / (target - floor), 0), cap); an indicator "
    "without data scores nothing, and the weighted score is out of the weights that had "
    "data, scaled to 100. Definitions: docs/indicators.md.",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_575  # below the header


def request_export(user: User, args: dict) -> Job:
    """Check what is asked (scope, period, masking) now; the job does the writing."""
    if args["unmasked"] and user.role != Role.ADMIN:
        raise invalid("unmasked", "Only an admin may export phone numbers and birthdays in full.")
    scope = resolve_scope(user, team_id=args.get("team_id"))
    period = period_of(
        period_id=args.get("period_id"),
        starts_on=args.get("starts_on"),
        ends_on=args.get("ends_on"),
    )
    params = {
        "user_id": user.id,
        "team_id": scope.team.id if scope.team else None,
        "starts_on": period.starts_on,
        "ends_on": period.ends_on,
        "period_id": period.stored.id if period.stored else None,
        "format": args["format"],
        "language": args["language"],
        "unmasked": args["unmasked"],
    }
    return submit("review_export", params, user)


def list_exports(user: User, limit: int = 100) -> list[dict]:
    """Earlier exports, newest first: a lead's own, an admin's everyone's."""
    stmt = sa.select(ReviewExport, User, Job).join(User, User.id == ReviewExport.user_id)
    stmt = stmt.outerjoin(Job, Job.id == ReviewExport.job_id)
    if user.role != Role.ADMIN:
        stmt = stmt.where(ReviewExport.user_id == user.id)
    rows = db.session.execute(stmt.order_by(ReviewExport.at.desc()).limit(limit)).all()
    return [{"export": export, "user": who, "job": job} for export, who, job in rows]


# --- cell safety --------------------------------------------------------------------


def safe_text(value: str) -> str:
    """A text no spreadsheet will run as a formula (OWASP's CSV injection advice)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def mask_phone(phone: str | None, unmasked: bool) -> str | None:
    return phone if unmasked else masking.mask_phone(phone)


def mask_birthday(day: date | None, unmasked: bool) -> str | None:
    if day is None:
        return None
    return day.isoformat() if unmasked else masking.hide_date(day)


# --- the job ------------------------------------------------------------------------


@handler("review_export")
def _run_export(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    # Every read of the export (the scope, the figures, the detail sheets) goes to the
    # replica when there is one, so the sheet is one view of the data; the progress,
    # the export's record and the audit event are written to the primary.
    with replica_reads():
        user = db.session.get_one(User, uuid.UUID(params["user_id"]))
        team_id = uuid.UUID(params["team_id"]) if params["team_id"] else None
        scope = resolve_scope(user, team_id=team_id)
        period = period_of(
            period_id=uuid.UUID(params["period_id"]) if params["period_id"] else None,
            starts_on=date.fromisoformat(params["starts_on"]),
            ends_on=date.fromisoformat(params["ends_on"]),
        )
        zh = params["language"] == "zh-CN"
        progress.checkpoint(5, "figures")
        result = review(scope, period)
        team_name = scope.team.name if scope.team else "all"
        stem = f"review-{team_name}-{period.name}".replace("/", "-")
        if params["format"] == "csv":
            name = f"{stem}.csv"
            rows = _write_csv(progress.file(name), result, zh)
        else:
            name = f"{stem}.xlsx"
            points = trend(scope, until=period.ends_on)
            progress.checkpoint(30, "trend")
            rows = _write_xlsx(
                progress.file(name), result, points, zh, params["unmasked"], progress
            )
    db.session.add(
        ReviewExport(
            user_id=user.id,
            format=params["format"],
            scope={
                "kind": scope.kind,
                "team_id": params["team_id"],
                "starts_on": params["starts_on"],
                "ends_on": params["ends_on"],
            },
            rows=rows,
            unmasked=params["unmasked"],
            job_id=job.id,
        )
    )
    record(
        "reviews.export",
        actor=user,
        target_type="job",
        target_id=job.id,
        details={
            "format": params["format"],
            "team_id": params["team_id"],
            "starts_on": params["starts_on"],
            "ends_on": params["ends_on"],
            "rows": rows,
            "unmasked": params["unmasked"],
        },
    )
    if params["unmasked"]:
        # Customers' phones and birthdays in full: one access-log row for the file.
        access.record(
            user,
            AccessKind.EXPORT,
            fields=["phone", "birthday"],
            count=rows,
            ref=str(job.id),
        )
    return {"file": name, "rows": rows}


def _label(code: str, zh: bool) -> str:
    return NAMES[code][0 if zh else 1]


def _summary_columns(result: Review, zh: bool) -> tuple[list[str], list[tuple[str, str]]]:
    """The header texts, and (indicator, part) for each figure column."""
    parts = ("权重", "目标值", "实际值", "得分") if zh else ("Weight", "Target", "Actual", "Score")
    header = ["客户经理" if zh else "Manager", "团队" if zh else "Team"]
    columns: list[tuple[str, str]] = []
    for entry in result.period.scorecard:
        code = entry["indicator"]
        if entry["weight"] > 0:
            for key, text in zip(("weight", "target", "actual", "score"), parts, strict=True):
                header.append(f"{_label(code, zh)} {text}")
                columns.append((code, key))
    for entry in result.period.scorecard:
        if entry["weight"] == 0:
            header.append(_label(entry["indicator"], zh))
            columns.append((entry["indicator"], "actual"))
    header += ["加权得分" if zh else "Weighted score", "排名" if zh else "Rank"]
    return header, columns


def _summary_rows(result: Review) -> Iterator[tuple[str, str, dict, float | None, int | None]]:
    teams = {g.team.id: g.team.name for g in result.teams if g.team}
    for r in result.managers:
        yield (
            r.manager.display_name,
            teams.get(r.manager.team_id, "") if r.manager.team_id else "",
            {"figures": r.figures, "scores": r.scored.scores},
            r.scored.total,
            r.rank,
        )


def _cell(entry: dict, code: str, key: str, data: dict) -> float | None:
    if key == "weight":
        return entry["weight"]
    if key == "target":
        return entry.get("target")
    if key == "score":
        return data["scores"].get(code)
    return data["figures"][code].value


def _entries(result: Review) -> dict[str, dict]:
    return {entry["indicator"]: entry for entry in result.period.scorecard}


def _write_csv(path, result: Review, zh: bool) -> int:
    header, columns = _summary_columns(result, zh)
    entries = _entries(result)
    # With a byte-order mark, Excel opens UTF-8 Chinese correctly.
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        rows = 0
        for name, team, data, total, rank in _summary_rows(result):
            values: list[Any] = [safe_text(name), safe_text(team)]
            for code, key in columns:
                value = _cell(entries[code], code, key, data)
                if value is not None and key in ("target", "actual") and UNITS[code] == "ratio":
                    value = round(value * 100, 2)  # percentages, as the header's "%" says
                values.append("" if value is None else value)
            values += ["" if total is None else total, "" if rank is None else rank]
            writer.writerow(values)
            rows += 1
    return rows


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook):
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top", "border": 1}
        )
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.score = book.add_format({"num_format": "0.00"})
        self.count = book.add_format({"num_format": "0"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})

    def of(self, code: str, key: str):
        if key == "weight":
            return self.count
        if key == "score":
            return self.score
        unit = UNITS[code]
        return self.percent if unit == "ratio" else self.score if unit == "score" else self.count


def _write_row(
    sheet: Worksheet,
    row: int,
    values: list[Any],
    formats: _Formats,
    formats_by_col: dict[int, Any] | None = None,
) -> None:
    for col, value in enumerate(values):
        fmt = (formats_by_col or {}).get(col)
        if value is None:
            continue
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value, fmt)
        elif isinstance(value, datetime):
            sheet.write_datetime(
                row, col, value.astimezone(local_zone()).replace(tzinfo=None), formats.datetime
            )
        elif isinstance(value, date):
            sheet.write_datetime(
                row, col, datetime(value.year, value.month, value.day), formats.date
            )
        else:
            sheet.write_string(row, col, safe_text(str(value)))


def _write_xlsx(
    path, result: Review, points: list[dict], zh: bool, unmasked: bool, progress: Progress
) -> int:
    book = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "default_date_format": "yyyy-mm-dd"}
    )
    formats = _Formats(book)
    entries = _entries(result)
    header, columns = _summary_columns(result, zh)
    rows = 0

    summary = book.add_worksheet("汇总" if zh else "Summary")
    scope_name = result.scope.team.name if result.scope.team else ("全部" if zh else "All teams")
    summary.write_string(
        0,
        0,
        safe_text(f"{'考核表' if zh else 'Review'}: {scope_name} {result.period.name}"),
        formats.title,
    )
    summary.write_row(1, 0, header, formats.header)
    summary.freeze_panes(2, 1)
    summary.set_column(0, 1, 14)
    summary.set_column(2, len(header) - 1, 11)
    by_col = {2 + i: formats.of(code, key) for i, (code, key) in enumerate(columns)}
    by_col[len(header) - 2] = formats.score
    by_col[len(header) - 1] = formats.count
    row = 2
    for name, team, data, total, rank in _summary_rows(result):
        values = (
            [name, team]
            + [_cell(entries[code], code, key, data) for code, key in columns]
            + [total, rank]
        )
        _write_row(summary, row, values, formats, by_col)
        row += 1
        rows += 1
    last_manager_row = row - 1
    # The team's (or everyone's) own figures: sums, not averages of the rates.
    total_values = (
        ["合计" if zh else "Total", scope_name]
        + [
            _cell(
                entries[code],
                code,
                key,
                {"figures": result.total.figures, "scores": result.total.scored.scores},
            )
            for code, key in columns
        ]
        + [result.total.scored.total, None]
    )
    _write_row(summary, row, total_values, formats, by_col)

    if rows:
        bar = book.add_chart({"type": "bar"})
        sheet_name = "汇总" if zh else "Summary"
        bar.add_series(
            {
                "name": "加权得分" if zh else "Weighted score",
                "categories": [sheet_name, 2, 0, last_manager_row, 0],
                "values": [sheet_name, 2, len(header) - 2, last_manager_row, len(header) - 2],
            }
        )
        bar.set_title({"name": "加权得分" if zh else "Weighted scores"})
        bar.set_legend({"none": True})
        summary.insert_chart(row + 2, 0, bar, {"x_scale": 1.4, "y_scale": max(1.0, rows / 12)})
    progress.checkpoint(40, "summary")

    trend_sheet = book.add_worksheet("趋势" if zh else "Trend")
    names = [r.manager.display_name for r in result.managers]
    ids = [str(r.manager.id) for r in result.managers]
    trend_sheet.write_row(
        0, 0, ["月份" if zh else "Month", "合计" if zh else "Total", *names], formats.header
    )
    for i, point in enumerate(points, start=1):
        values = [point["month"], point["score"], *(point["managers"].get(m) for m in ids)]
        _write_row(
            trend_sheet, i, values, formats, dict.fromkeys(range(1, 2 + len(ids)), formats.score)
        )
    line = book.add_chart({"type": "line"})
    trend_name = "趋势" if zh else "Trend"
    for col in range(1, 2 + len(ids)):
        line.add_series(
            {
                "name": [trend_name, 0, col],
                "categories": [trend_name, 1, 0, len(points), 0],
                "values": [trend_name, 1, col, len(points), col],
                "marker": {"type": "circle"},
            }
        )
    line.set_title({"name": "月度加权得分趋势" if zh else "Weighted score by month"})
    trend_sheet.insert_chart(len(points) + 2, 0, line, {"x_scale": 1.6, "y_scale": 1.3})
    progress.checkpoint(50, "trend")

    managers = [r.manager.id for r in result.managers]
    start, end = result.window.start, result.window.as_of
    details = [
        (
            "拜访" if zh else "Visits",
            _visit_rows(managers, result.scope, start, end, unmasked),
            _VISIT_HEAD,
        ),
        (
            "投诉" if zh else "Complaints",
            _complaint_rows(managers, result.scope, start, end, unmasked),
            _COMPLAINT_HEAD,
        ),
        (
            "预警" if zh else "Warnings",
            _warning_rows(managers, result.scope, start, end),
            _WARNING_HEAD,
        ),
        (
            "营销活动" if zh else "Campaign outcomes",
            _campaign_rows(managers, result.scope, start, end, unmasked),
            _CAMPAIGN_HEAD,
        ),
    ]
    for step, (title, source, head) in enumerate(details):
        sheet = book.add_worksheet(title)
        sheet.write_row(0, 0, [h[0 if zh else 1] for h in head], formats.header)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(head) - 1, 14)
        n = 0
        for n, values in enumerate(source, start=1):
            if n > EXCEL_MAX_ROWS:
                break
            _write_row(sheet, n, list(values), formats)
        rows += min(n, EXCEL_MAX_ROWS)
        progress.checkpoint(55 + 10 * step, "details")

    definitions = book.add_worksheet("指标定义" if zh else "Definitions")
    definitions.write_row(
        0,
        0,
        [
            "指标" if zh else "Indicator",
            "代码" if zh else "Code",
            "单位" if zh else "Unit",
            "权重" if zh else "Weight",
            "目标值" if zh else "Target",
            "保底值" if zh else "Floor",
            "封顶倍数" if zh else "Cap",
        ],
        formats.header,
    )
    definitions.set_column(0, 0, 28)
    for i, entry in enumerate(result.period.scorecard, start=1):
        code = entry["indicator"]
        unit = UNITS[code]
        fmt = formats.percent if unit == "ratio" else formats.score
        _write_row(
            definitions,
            i,
            [
                _label(code, zh),
                code,
                unit,
                entry["weight"],
                entry.get("target"),
                entry.get("floor"),
                entry.get("cap"),
            ],
            formats,
            {4: fmt, 5: fmt, 6: formats.score},
        )
    note_row = len(result.period.scorecard) + 2
    definitions.write_string(note_row, 0, RULE_NOTE[0 if zh else 1])
    book.close()
    return rows


_VISIT_HEAD = [
    ("拜访时间", "Started"),
    ("客户经理", "Manager"),
    ("客户", "Customer"),
    ("客户电话", "Phone"),
    ("客户生日", "Birthday"),
    ("等级", "Tier"),
    ("方式", "Channel"),
    ("目的", "Purpose"),
    ("结果", "Outcome"),
    ("已告知特权", "Privileges explained"),
    ("定位", "Location"),
]
_COMPLAINT_HEAD = [
    ("受理时间", "Received"),
    ("负责人", "Owner"),
    ("客户", "Customer"),
    ("客户电话", "Phone"),
    ("类别", "Category"),
    ("严重程度", "Severity"),
    ("状态", "Status"),
    ("处理时限", "Deadline"),
    ("解决时间", "Resolved"),
    ("按时", "On time"),
    ("满意度", "Satisfaction"),
]
_WARNING_HEAD = [
    ("预警时间", "Opened"),
    ("客户经理", "Manager"),
    ("客户", "Customer"),
    ("原因", "Reasons"),
    ("状态", "Status"),
    ("关闭时间", "Resolved"),
    ("流失原因", "Exit reason"),
]
_CAMPAIGN_HEAD = [
    ("记录时间", "Recorded"),
    ("客户经理", "Manager"),
    ("活动", "Campaign"),
    ("类型", "Kind"),
    ("客户", "Customer"),
    ("客户电话", "Phone"),
    ("结果", "Outcome"),
    ("合约月数", "Contract months"),
    ("拒绝原因", "Decline reason"),
]


def _stream(stmt) -> Iterator[sa.Row]:
    """Rows a batch at a time from a server-side cursor: memory stays flat."""
    yield from db.session.execute(stmt.execution_options(yield_per=STREAM_BATCH))


def _in_scope(column, managers: list[uuid.UUID], scope: Scope):
    return sa.true() if scope.everyone else column.in_(managers)


def _visit_rows(managers, scope: Scope, start: datetime, end: datetime, unmasked: bool):
    author = aliased(User)
    stmt = (
        sa.select(
            Visit.started_at,
            author.display_name,
            Customer.name,
            Customer.phone,
            Customer.birthday,
            Tier.code,
            Visit.channel,
            Visit.purpose,
            Visit.outcome,
            Visit.privileges_explained,
            Visit.location_status,
        )
        .join(Customer, Customer.id == Visit.customer_id)
        .join(Tier, Tier.id == Customer.tier_id)
        .join(author, author.id == Visit.manager_id)
        .where(
            Visit.started_at >= start,
            Visit.started_at < end,
            _in_scope(Visit.manager_id, managers, scope),
        )
        .order_by(Visit.started_at, Visit.id)
    )
    for r in _stream(stmt):
        yield (
            r[0],
            r[1],
            r[2],
            mask_phone(r[3], unmasked),
            mask_birthday(r[4], unmasked),
            r[5],
            r[6].value,
            r[7].value,
            r[8],
            r[9],
            r[10].value,
        )


def _complaint_rows(managers, scope: Scope, start: datetime, end: datetime, unmasked: bool):
    owner = aliased(User)
    stmt = (
        sa.select(
            Complaint.received_at,
            owner.display_name,
            Customer.name,
            Customer.phone,
            ComplaintCategory.code,
            Complaint.severity,
            Complaint.status,
            Complaint.deadline_at,
            Complaint.resolved_at,
            Complaint.satisfaction,
        )
        .join(Customer, Customer.id == Complaint.customer_id)
        .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .outerjoin(owner, owner.id == Complaint.owner_id)
        .where(
            Complaint.received_at >= start,
            Complaint.received_at < end,
            _in_scope(Complaint.owner_id, managers, scope),
        )
        .order_by(Complaint.received_at, Complaint.id)
    )
    for r in _stream(stmt):
        on_time = r[8] is not None and r[8] <= r[7]
        yield (
            r[0],
            r[1],
            r[2],
            mask_phone(r[3], unmasked),
            r[4],
            r[5].value,
            r[6].value,
            r[7],
            r[8],
            on_time,
            r[9],
        )


def _warning_rows(managers, scope: Scope, start: datetime, end: datetime):
    manager = aliased(User)
    stmt = (
        sa.select(
            ChurnWarning.opened_at,
            manager.display_name,
            Customer.name,
            ChurnWarning.reasons,
            ChurnWarning.status,
            ChurnWarning.resolved_at,
            ChurnWarning.exit_reason,
        )
        .join(Customer, Customer.id == ChurnWarning.customer_id)
        .outerjoin(manager, manager.id == Customer.manager_id)
        .where(
            ChurnWarning.opened_at < end,
            sa.or_(ChurnWarning.resolved_at.is_(None), ChurnWarning.resolved_at >= start),
            _in_scope(Customer.manager_id, managers, scope),
        )
        .order_by(ChurnWarning.opened_at, ChurnWarning.id)
    )
    for r in _stream(stmt):
        reasons = "; ".join(
            str(reason.get("text_zh") or reason.get("code")) for reason in r[3] or []
        )
        yield (r[0], r[1], r[2], reasons, r[4].value, r[5], r[6])


def _campaign_rows(managers, scope: Scope, start: datetime, end: datetime, unmasked: bool):
    manager = aliased(User)
    stmt = (
        sa.select(
            CampaignTarget.outcome_at,
            manager.display_name,
            Campaign.name,
            Campaign.kind,
            Customer.name,
            Customer.phone,
            CampaignTarget.outcome,
            CampaignTarget.contract_months,
            CampaignTarget.decline_reason,
        )
        .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .join(Customer, Customer.id == CampaignTarget.customer_id)
        .outerjoin(manager, manager.id == Customer.manager_id)
        .where(
            CampaignTarget.outcome_at >= start,
            CampaignTarget.outcome_at < end,
            _in_scope(Customer.manager_id, managers, scope),
        )
        .order_by(CampaignTarget.outcome_at, CampaignTarget.id)
    )
    for r in _stream(stmt):
        yield (
            r[0],
            r[1],
            r[2],
            r[3].value,
            r[4],
            mask_phone(r[5], unmasked),
            r[6].value,
            r[7],
            r[8],
        )
