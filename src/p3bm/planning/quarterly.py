"""Quarterly (triwulan) reports of budget lines and Bappeda's review of them.

Each SKPD reports every quarter, per budget line: rupiah realised within the
quarter, physical progress in percent (cumulative since the start of the
year), output achieved within the quarter per output indicator, and a
comment. An SKPD's report for one quarter moves as a whole::

    draft --submit--> submitted --verify--> verified
                        |  ^                   |
                 return |  | submit            | reopen (with a reason)
                        v  |                   v
                      returned               draft

Returning needs a comment and may add comments to single lines; reopening
needs a reason. Submitted reports wait for Bappeda, and verified ones are
locked until reopened. Every status change is kept in ``quarter_event`` and
every change to a line's report in the planning audit. A report is on time
when its first submission arrives by the quarter's deadline: the one Bappeda
set, else a set number of days after the quarter ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm import i18n
from p3bm.errors import PermissionDenied, WorkflowError
from p3bm.observations import utc_now
from p3bm.permissions import can_submit, require_reviewer
from p3bm.planning.audit import record_change
from p3bm.planning.problems import BudgetProblem, amount_problem
from p3bm.planning.register import (
    RUPIAH_TOLERANCE,
    BudgetLine,
    budget_write_refusal,
    load_lines,
)
from p3bm.storage.schema import (
    budget_line,
    quarter_deadline,
    quarter_event,
    quarter_submission,
    quarterly_comment,
    quarterly_output,
    quarterly_report,
    skpd,
)
from p3bm.users import User
from p3bm.workflow import timeliness

QUARTERS = (1, 2, 3, 4)
QUARTER_LABELS = {1: "I", 2: "II", 3: "III", 4: "IV"}
STATUSES = ("draft", "submitted", "returned", "verified")
EDITABLE = ("draft", "returned")
DEFAULT_DEADLINE_DAYS = 10
# action: (statuses it starts from, status it leads to)
TRANSITIONS = {
    "submit": (("draft", "returned"), "submitted"),
    "return": (("submitted",), "returned"),
    "verify": (("submitted",), "verified"),
    "reopen": (("submitted", "verified"), "draft"),
}


def check_quarter(quarter: int) -> int:
    if quarter not in QUARTERS:
        raise WorkflowError(
            f"Quarter {quarter!r} is invalid; use 1, 2, 3 or 4.",
            indonesian=(f"Triwulan {quarter!r} tidak sah; pakai 1, 2, 3 atau 4.", None),
        )
    return quarter


def quarter_end(year: int, quarter: int) -> date:
    """The last day of a quarter."""
    check_quarter(quarter)
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


# Deadlines


def set_quarter_deadline(
    connection: Connection, user: User, year: int, quarter: int, deadline: date
) -> None:
    require_reviewer(user)
    check_quarter(quarter)
    c = quarter_deadline.c
    connection.execute(
        quarter_deadline.delete().where(c.year == year, c.quarter == quarter)
    )
    connection.execute(
        quarter_deadline.insert().values(
            year=year,
            quarter=quarter,
            deadline=deadline,
            set_by=user.username,
            set_at=utc_now(),
        )
    )


def deadline_for(
    connection: Connection,
    year: int,
    quarter: int,
    default_days: int = DEFAULT_DEADLINE_DAYS,
) -> date:
    """The deadline Bappeda set for a quarter, else ``default_days`` after its end."""
    c = quarter_deadline.c
    found = connection.execute(
        sa.select(c.deadline).where(c.year == year, c.quarter == quarter)
    ).scalar()
    return found or quarter_end(year, quarter) + timedelta(days=default_days)


# Submissions


@dataclass(frozen=True)
class QuarterSubmission:
    """An SKPD's report for one quarter and its review status."""

    id: int
    skpd_code: str
    year: int
    quarter: int
    status: str
    updated_at: datetime
    updated_by: str
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    verified_at: datetime | None

    def to_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        for key in ("updated_at", "first_submitted_at", "submitted_at", "verified_at"):
            moment = data[key]
            data[key] = moment.isoformat() if moment else None
        return data


def get_quarter_submission(
    connection: Connection, skpd_code: str, year: int, quarter: int
) -> QuarterSubmission:
    """The submission of an SKPD's quarter, created as a draft on first use."""
    check_quarter(quarter)
    known = connection.execute(
        sa.select(skpd.c.code).where(skpd.c.code == skpd_code)
    ).first()
    if known is None:
        raise WorkflowError(
            f"SKPD {skpd_code!r} is unknown.",
            indonesian=(f"SKPD {skpd_code!r} tidak dikenal.", None),
        )
    c = quarter_submission.c
    query = sa.select(quarter_submission).where(
        c.skpd_code == skpd_code, c.year == year, c.quarter == quarter
    )
    row = connection.execute(query).first()
    if row is None:
        connection.execute(
            quarter_submission.insert().values(
                skpd_code=skpd_code,
                year=year,
                quarter=quarter,
                status="draft",
                updated_at=utc_now(),
                updated_by="system",
            )
        )
        row = connection.execute(query).first()
    assert row is not None
    return QuarterSubmission(**row._mapping)


def stored_quarter_status(
    connection: Connection, skpd_code: str, year: int, quarter: int
) -> str:
    """Return the stored status of an SKPD's quarter, ``draft`` when none is
    stored; unlike get_quarter_submission this writes nothing."""
    c = quarter_submission.c
    status = connection.execute(
        sa.select(c.status).where(
            c.skpd_code == skpd_code, c.year == year, c.quarter == quarter
        )
    ).scalar_one_or_none()
    return status or "draft"


def _change_status(
    connection: Connection,
    current: QuarterSubmission,
    action: str,
    user: User,
    comment: str | None,
) -> QuarterSubmission:
    allowed_from, target = TRANSITIONS[action]
    if current.status not in allowed_from:
        label = QUARTER_LABELS[current.quarter]
        raise WorkflowError(
            f"The triwulan {label} {current.year} report of {current.skpd_code} is "
            f"{current.status}, so it cannot be "
            f"{i18n.label(f'action_{action}', 'en')}.",
            indonesian=(
                f"Laporan triwulan {label} {current.year} {current.skpd_code} "
                f"berstatus {i18n.status_label(current.status)}, jadi tidak bisa "
                f"{i18n.label(f'action_{action}')}.",
                None,
            ),
        )
    now = utc_now()
    values: dict[str, object] = {
        "status": target,
        "updated_at": now,
        "updated_by": user.username,
    }
    if action == "submit":
        values["submitted_at"] = now
        if current.first_submitted_at is None:
            values["first_submitted_at"] = now
    if action == "verify":
        values["verified_at"] = now
    connection.execute(
        quarter_submission.update()
        .where(quarter_submission.c.id == current.id)
        .values(**values)
    )
    connection.execute(
        quarter_event.insert().values(
            submission_id=current.id,
            at=now,
            username=user.username,
            action=action,
            old_status=current.status,
            new_status=target,
            comment=comment,
        )
    )
    return get_quarter_submission(
        connection, current.skpd_code, current.year, current.quarter
    )


def submit_quarter(
    connection: Connection, user: User, skpd_code: str, year: int, quarter: int
) -> QuarterSubmission:
    """Submit an SKPD's quarter; raises WorkflowError while a line has no report."""
    if not can_submit(user, skpd_code):
        raise PermissionDenied(
            f"Only {skpd_code}'s operators or Bappeda may submit its report.",
            indonesian=(
                f"Hanya operator {skpd_code} atau Bappeda yang boleh mengirim "
                "laporannya.",
                None,
            ),
        )
    current = get_quarter_submission(connection, skpd_code, year, quarter)
    lines = load_lines(connection, year=year, skpd_code=skpd_code)
    reported = _reported_line_ids(connection, [line.id for line in lines], quarter)
    missing = [line.code for line in lines if line.id not in reported]
    if not lines or missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise WorkflowError(
            f"{len(missing)} sub-kegiatan have no report for triwulan "
            f"{QUARTER_LABELS[quarter]} {year}: {shown or 'no budget lines'}.",
            hint="Report every line, with 0 where nothing was spent.",
            indonesian=(
                f"{len(missing)} sub-kegiatan belum dilaporkan untuk triwulan "
                f"{QUARTER_LABELS[quarter]} {year}: {shown or 'tidak ada anggaran'}.",
                "Laporkan setiap baris, dengan 0 bila belum ada realisasi.",
            ),
        )
    updated = _change_status(connection, current, "submit", user, None)
    _resolve_comments(connection, list(reported), user.username)
    return updated


def return_quarter(
    connection: Connection,
    user: User,
    skpd_code: str,
    year: int,
    quarter: int,
    comment: str,
    line_comments: dict[int, str] | None = None,
) -> QuarterSubmission:
    """Send a quarter back to the SKPD with a comment, and per-line comments."""
    require_reviewer(user)
    if not comment.strip():
        raise WorkflowError(
            "Returning a report needs a comment saying what to correct.",
            indonesian=(
                "Mengembalikan laporan perlu keterangan apa yang harus diperbaiki.",
                None,
            ),
        )
    current = get_quarter_submission(connection, skpd_code, year, quarter)
    updated = _change_status(connection, current, "return", user, comment.strip())
    reports = _report_ids(connection, year, skpd_code, quarter)
    for line_id, text in (line_comments or {}).items():
        if line_id not in reports:
            raise WorkflowError(
                f"Budget line {line_id} has no report to comment on.",
                indonesian=(
                    f"Sub-kegiatan {line_id} belum punya laporan untuk diberi "
                    "keterangan.",
                    None,
                ),
            )
        if text.strip():
            connection.execute(
                quarterly_comment.insert().values(
                    report_id=reports[line_id],
                    text=text.strip()[:2000],
                    at=utc_now(),
                    username=user.username,
                )
            )
    return updated


def review_quarter(
    connection: Connection,
    user: User,
    skpd_code: str,
    year: int,
    quarter: int,
    action: str,
    reason: str | None = None,
) -> QuarterSubmission:
    """Verify or reopen an SKPD's quarter; reopening needs a reason."""
    require_reviewer(user)
    if action not in ("verify", "reopen"):
        raise WorkflowError(
            f"Unknown action {action!r}; use verify or reopen.",
            indonesian=(
                f"Aksi {action!r} tidak dikenal; pakai verify atau reopen.",
                None,
            ),
        )
    if action == "reopen" and not (reason or "").strip():
        raise WorkflowError(
            "Reopening a report needs a reason.",
            indonesian=("Membuka kembali laporan perlu alasan.", None),
        )
    current = get_quarter_submission(connection, skpd_code, year, quarter)
    return _change_status(
        connection, current, action, user, (reason or "").strip() or None
    )


def quarter_history(
    connection: Connection, skpd_code: str, year: int, quarter: int
) -> list[dict[str, object]]:
    current = get_quarter_submission(connection, skpd_code, year, quarter)
    rows = connection.execute(
        sa.select(quarter_event)
        .where(quarter_event.c.submission_id == current.id)
        .order_by(quarter_event.c.id)
    )
    return [dict(row._mapping) for row in rows]


def _report_ids(
    connection: Connection, year: int, skpd_code: str, quarter: int
) -> dict[int, int]:
    """Report id by line id for an SKPD's quarter."""
    r, b = quarterly_report.c, budget_line.c
    rows = connection.execute(
        sa.select(r.line_id, r.id)
        .join(budget_line, b.id == r.line_id)
        .where(b.year == year, b.skpd_code == skpd_code, r.quarter == quarter)
    )
    return {line_id: report_id for line_id, report_id in rows}


def _reported_line_ids(connection: Connection, ids: list, quarter: int) -> set[int]:
    if not ids:
        return set()
    rows = connection.execute(
        sa.select(quarterly_report.c.line_id).where(
            quarterly_report.c.line_id.in_(ids), quarterly_report.c.quarter == quarter
        )
    )
    return set(rows.scalars())


def _resolve_comments(connection: Connection, line_ids: list[int], user: str) -> None:
    if not line_ids:
        return
    report_ids = sa.select(quarterly_report.c.id).where(
        quarterly_report.c.line_id.in_(line_ids)
    )
    connection.execute(
        quarterly_comment.update()
        .where(
            quarterly_comment.c.report_id.in_(report_ids),
            quarterly_comment.c.resolved_at.is_(None),
        )
        .values(resolved_at=utc_now(), resolved_by=user)
    )


# Reports of lines


@dataclass
class ReportEntry:
    """One line's report for a quarter, as an SKPD enters it.

    ``outputs`` maps an output id of the line to the amount achieved within
    the quarter. ``version`` is the report version the writer read, when
    editing; a newer stored version makes the entry a conflict.
    """

    line_id: int
    quarter: int
    realised: float
    physical: float
    outputs: dict[int, float] = field(default_factory=dict)
    comment: str | None = None
    version: int | None = None


@dataclass
class ReportResult:
    """The outcome of one entry (added, changed, unchanged, rejected, forbidden,
    locked or conflict) and its problems."""

    entry: ReportEntry
    outcome: str = "pending"
    version: int | None = None
    problems: list[BudgetProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[BudgetProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def to_dict(self, lang: str = "id") -> dict[str, object]:
        return {
            "line_id": self.entry.line_id,
            "quarter": self.entry.quarter,
            "outcome": self.outcome,
            "version": self.version,
            "errors": [
                {"code": p.code, "column": p.column, "message": p.message(lang)}
                for p in self.problems
                if p.severity == "error"
            ],
            "warnings": [
                {"code": p.code, "column": p.column, "message": p.message(lang)}
                for p in self.problems
                if p.severity == "warning"
            ],
        }


@dataclass(frozen=True)
class StoredReport:
    """A line's report for one quarter as stored."""

    id: int
    line_id: int
    quarter: int
    realised: float
    physical: float
    comment: str | None
    version: int
    updated_at: datetime
    updated_by: str
    outputs: dict[int, float]

    def snapshot(self) -> dict[str, object]:
        return {
            "line_id": self.line_id,
            "quarter": self.quarter,
            "realised": self.realised,
            "physical": self.physical,
            "comment": self.comment,
            "outputs": {str(k): v for k, v in sorted(self.outputs.items())},
        }


def load_reports(
    connection: Connection, line_ids: list[int], quarters=QUARTERS
) -> dict[tuple[int, int], StoredReport]:
    """Stored reports by (line id, quarter)."""
    if not line_ids:
        return {}
    r = quarterly_report.c
    rows = list(
        connection.execute(
            sa.select(quarterly_report).where(
                r.line_id.in_(line_ids), r.quarter.in_(list(quarters))
            )
        )
    )
    outputs: dict[int, dict[int, float]] = {}
    if rows:
        query = sa.select(quarterly_output).where(
            quarterly_output.c.report_id.in_([row.id for row in rows])
        )
        for item in connection.execute(query):
            outputs.setdefault(item.report_id, {})[item.output_id] = item.achieved
    return {
        (row.line_id, row.quarter): StoredReport(
            row.id,
            row.line_id,
            row.quarter,
            row.realised,
            row.physical,
            row.comment,
            row.version,
            row.updated_at,
            row.updated_by,
            outputs.get(row.id, {}),
        )
        for row in rows
    }


def open_comments(
    connection: Connection, report_ids: list[int]
) -> dict[int, list[str]]:
    """Unresolved return comments by report id."""
    if not report_ids:
        return {}
    rows = connection.execute(
        sa.select(quarterly_comment.c.report_id, quarterly_comment.c.text)
        .where(
            quarterly_comment.c.report_id.in_(report_ids),
            quarterly_comment.c.resolved_at.is_(None),
        )
        .order_by(quarterly_comment.c.id)
    )
    found: dict[int, list[str]] = {}
    for report_id, text in rows:
        found.setdefault(report_id, []).append(text)
    return found


class ReportWriter:
    """Checks and writes quarterly reports for one user."""

    def __init__(self, user: User) -> None:
        self.user = user

    def write(
        self,
        connection: Connection,
        entries: list[ReportEntry],
        *,
        channel: str,
        reason: str | None = None,
    ) -> list[ReportResult]:
        """Check every entry and write those without errors, in the caller's
        transaction."""
        results = [ReportResult(entry) for entry in entries]
        lines = {
            line.id: line
            for line in load_lines(connection, ids=[e.line_id for e in entries])
        }
        for result in results:
            line = lines.get(result.entry.line_id)
            if line is None:
                self._reject(
                    result, "unknown_line", "line_id", result.entry.line_id, year=""
                )
                continue
            self._check(connection, result, line)
            if result.outcome == "pending":
                self._store(connection, result, line, channel, reason)
        return results

    def _reject(self, result: ReportResult, code: str, column: str, value, **params):
        result.problems.append(
            BudgetProblem(code, "", column=column, value=value, params=params)
        )
        result.outcome = "rejected"

    def _check(self, connection: Connection, result: ReportResult, line: BudgetLine):
        entry = result.entry
        refusal = budget_write_refusal(self.user, line.skpd)
        if refusal is not None:
            result.problems.append(
                BudgetProblem("forbidden", "", column="line_id", value=line.key)
            )
            result.outcome = "forbidden"
            return
        if entry.quarter not in QUARTERS:
            self._reject(result, "invalid_number", "quarter", entry.quarter)
            return
        status = stored_quarter_status(connection, line.skpd, line.year, entry.quarter)
        is_reviewer = self.user.role in ("admin", "analyst")
        if status == "verified" or (status == "submitted" and not is_reviewer):
            result.problems.append(
                BudgetProblem("locked", "", column="status", value=status)
            )
            result.outcome = "locked"
            return
        self._check_amounts(connection, result, line)

    def _check_amounts(self, connection, result: ReportResult, line: BudgetLine):
        entry = result.entry
        self._check_amount(result, "realised", entry.realised)
        if not 0 <= entry.physical <= 100:
            self._reject(result, "invalid_percent", "physical", entry.physical)
        known = {output.id for output in line.outputs}
        for output_id, achieved in entry.outputs.items():
            if output_id not in known:
                self._reject(result, "unknown_output", "outputs", output_id)
            else:
                self._check_amount(result, "outputs", achieved)

        stored = load_reports(connection, [line.id], QUARTERS)  # type: ignore[list-item]
        others = {q: r for (_, q), r in stored.items() if q != entry.quarter}
        self._check_year(result, line, others)
        current = stored.get((line.id, entry.quarter))  # type: ignore[arg-type]
        if entry.version is not None and (
            current is None or current.version != entry.version
        ):
            result.problems.append(
                BudgetProblem(
                    "version_conflict", "", column="version", value=entry.version
                )
            )
            result.outcome = "conflict"

    def _check_amount(self, result: ReportResult, column: str, value) -> None:
        problem = amount_problem(column, value)
        if problem is not None:
            result.problems.append(problem)
            result.outcome = "rejected"

    def _check_year(
        self, result: ReportResult, line: BudgetLine, others: dict[int, StoredReport]
    ) -> None:
        """Check the entry against the line's reports of the other quarters."""
        entry = result.entry
        total = entry.realised + sum(r.realised for r in others.values())
        # An infinite amount already has its own problem.
        if math.isfinite(total) and total > line.pagu + RUPIAH_TOLERANCE:
            self._reject(
                result, "realisation_above_pagu", "realised", total, pagu=line.pagu
            )
        earlier = [q for q in others if q < entry.quarter]
        if not earlier:
            return
        previous = others[max(earlier)].physical
        if entry.physical < previous:
            result.problems.append(
                BudgetProblem(
                    "physical_decreased",
                    "",
                    column="physical",
                    value=entry.physical,
                    params={"previous": previous},
                )
            )

    def _store(
        self, connection, result: ReportResult, line: BudgetLine, channel, reason
    ) -> None:
        entry = result.entry
        current = load_reports(connection, [line.id], [entry.quarter]).get(  # type: ignore[list-item]
            (line.id, entry.quarter)  # type: ignore[arg-type]
        )
        new = {
            "line_id": line.id,
            "quarter": entry.quarter,
            "realised": float(entry.realised),
            "physical": float(entry.physical),
            "comment": (entry.comment or "").strip()[:2000] or None,
            "outputs": {str(k): float(v) for k, v in sorted(entry.outputs.items())},
        }
        if current is not None and current.snapshot() == new:
            result.outcome, result.version = "unchanged", current.version
            return
        values = {
            "realised": new["realised"],
            "physical": new["physical"],
            "comment": new["comment"],
            "updated_at": utc_now(),
            "updated_by": self.user.username,
        }
        if current is None:
            report_id = connection.execute(
                quarterly_report.insert()
                .values(line_id=line.id, quarter=entry.quarter, version=1, **values)
                .returning(quarterly_report.c.id)
            ).scalar_one()
            result.outcome, result.version = "added", 1
        else:
            report_id = current.id
            connection.execute(
                quarterly_report.update()
                .where(quarterly_report.c.id == current.id)
                .values(version=current.version + 1, **values)
            )
            result.outcome, result.version = "changed", current.version + 1
        connection.execute(
            quarterly_output.delete().where(quarterly_output.c.report_id == report_id)
        )
        if entry.outputs:
            connection.execute(
                quarterly_output.insert(),
                [
                    {"report_id": report_id, "output_id": key, "achieved": float(value)}
                    for key, value in entry.outputs.items()
                ],
            )
        record_change(
            connection,
            entity="quarterly_report",
            entity_id=report_id,
            key=f"{line.key} Q{entry.quarter}",
            action="insert" if current is None else "update",
            old=current.snapshot() if current is not None else None,
            new=new,
            user=self.user.username,
            channel=channel,
            reason=reason,
        )


# Standing of every SKPD


@dataclass
class QuarterState:
    """One SKPD's quarter as the review page shows it."""

    skpd_code: str
    skpd_name: str
    year: int
    quarter: int
    status: str
    timeliness: str
    deadline: date
    first_submitted_at: datetime | None
    lines: int
    reported: int

    @property
    def missing(self) -> int:
        return self.lines - self.reported

    def to_dict(self) -> dict[str, object]:
        return {
            "skpd": self.skpd_code,
            "name": self.skpd_name,
            "year": self.year,
            "quarter": self.quarter,
            "status": self.status,
            "timeliness": self.timeliness,
            "deadline": self.deadline.isoformat(),
            "first_submitted_at": self.first_submitted_at.isoformat()
            if self.first_submitted_at
            else None,
            "lines": self.lines,
            "reported": self.reported,
            "missing": self.missing,
        }


def quarter_states(
    connection: Connection,
    year: int,
    quarters=QUARTERS,
    *,
    today: date | None = None,
    default_days: int = DEFAULT_DEADLINE_DAYS,
) -> list[QuarterState]:
    """Status and timeliness of every SKPD with budget lines in ``year``.

    Before anything is reported a quarter is ``missing``. Timeliness is
    on_time or late by the first submission, overdue once the deadline
    passed without one, and pending before that.
    """
    today = today or utc_now().date()
    names = dict(connection.execute(sa.select(skpd.c.code, skpd.c.name)).all())
    counts = _line_counts(connection, year)
    reported = _reported_counts(connection, year)
    c = quarter_submission.c
    rows = {
        (row.skpd_code, row.quarter): row
        for row in connection.execute(
            sa.select(quarter_submission).where(c.year == year)
        )
    }
    states = []
    for code in sorted(counts):
        for quarter in quarters:
            deadline = deadline_for(connection, year, quarter, default_days)
            row = rows.get((code, quarter))
            done = reported.get((code, quarter), 0)
            status = _quarter_status(row, done)
            first = _aware(row.first_submitted_at) if row else None
            states.append(
                QuarterState(
                    code,
                    names.get(code, code),
                    year,
                    quarter,
                    status,
                    timeliness(status, first, deadline, today),
                    deadline,
                    first,
                    counts[code],
                    done,
                )
            )
    return states


def _quarter_status(row, reported: int) -> str:
    # A draft without any report is still missing: get_quarter_submission
    # creates drafts on first use, even when nothing is then written.
    if row is not None and not (row.status == "draft" and reported == 0):
        return row.status
    return "draft" if reported else "missing"


def _line_counts(connection: Connection, year: int) -> dict[str, int]:
    b = budget_line.c
    rows = connection.execute(
        sa.select(b.skpd_code, sa.func.count())
        .where(b.year == year)
        .group_by(b.skpd_code)
    )
    return dict(rows.all())


def _reported_counts(connection: Connection, year: int) -> dict[tuple[str, int], int]:
    b, r = budget_line.c, quarterly_report.c
    rows = connection.execute(
        sa.select(b.skpd_code, r.quarter, sa.func.count())
        .join(budget_line, b.id == r.line_id)
        .where(b.year == year)
        .group_by(b.skpd_code, r.quarter)
    )
    return {(code, quarter): count for code, quarter, count in rows}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=utc_now().tzinfo)


def readable_quarter_statuses(user: User | None) -> tuple[str, ...] | None:
    """Statuses of quarterly reports a reader may see; None means all.

    Anonymous visitors see verified reports only, as they see published
    indicator values only.
    """
    return None if user is not None else ("verified",)
