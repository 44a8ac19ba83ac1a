"""The yearly submission of each SKPD's data and Bappeda's review of it.

An SKPD's values for a year move together::

    draft --submit--> submitted --verify--> verified --publish--> published
                        |  ^
                 return |  | submit (after corrections)
                        v  |
                      returned

Verified and published data are locked; ``reopen`` (with a reason) takes them
back to draft. Returning names the values to correct, each with a comment.
Submitting runs the validation rules: an error blocks it, and a warning
blocks it until the value carries a justification. Every change of status is
kept in ``submission_event`` and, per value, in ``observation_change``.
Only published values reach anonymous visitors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas.codes import COUNTRY_CODE
from p3bm.areas.registry import get_area, home_region, in_subtree
from p3bm.catalogue import Catalogue
from p3bm.errors import P3BMError, PermissionDenied, ValidationFailed, WorkflowError
from p3bm.i18n import label, status_label
from p3bm.observations import utc_now
from p3bm.permissions import can_submit, check_write, require_reviewer
from p3bm.rules.engine import Candidate, RuleSet
from p3bm.storage.schema import (
    indicator,
    observation,
    observation_change,
    observation_comment,
    reporting_period,
    skpd,
    submission,
    submission_event,
)
from p3bm.users import User

# action: (statuses it starts from, status it leads to, values' statuses moved)
TRANSITIONS = {
    "submit": (("draft", "returned"), "submitted", ("draft", "returned")),
    "return": (("submitted",), "returned", ()),
    "verify": (("submitted",), "verified", ("submitted", "draft")),
    "publish": (("verified",), "published", ("verified",)),
    "reopen": (
        ("verified", "published", "submitted"),
        "draft",
        ("verified", "published", "submitted", "returned"),
    ),
}


@dataclass(frozen=True)
class Submission:
    """An SKPD's data for one year and where it stands."""

    id: int
    skpd_code: str
    year: int
    status: str
    updated_at: datetime
    updated_by: str
    submitted_at: datetime | None
    verified_at: datetime | None
    published_at: datetime | None


def get_submission(connection: Connection, skpd_code: str, year: int) -> Submission:
    """The submission of an SKPD and year, created as a draft on first use."""
    known = connection.execute(
        sa.select(skpd.c.code).where(skpd.c.code == skpd_code)
    ).first()
    if known is None:
        raise WorkflowError(
            f"SKPD {skpd_code!r} is unknown.",
            hint="See `p3bm indicators`.",
            indonesian=(
                f"SKPD {skpd_code!r} tidak dikenal.",
                "Lihat daftarnya dengan `p3bm indicators`.",
            ),
        )
    query = sa.select(submission).where(
        submission.c.skpd_code == skpd_code, submission.c.year == year
    )
    row = connection.execute(query).first()
    if row is None:
        connection.execute(
            submission.insert().values(
                skpd_code=skpd_code,
                year=year,
                status="draft",
                updated_at=utc_now(),
                updated_by="system",
            )
        )
        row = connection.execute(query).first()
    return Submission(*row)


def _skpd_observations(
    connection, catalogue: Catalogue, skpd_code: str, year: int, statuses
):
    codes = [item.code for item in catalogue if item.skpd == skpd_code]
    if not codes:
        return []
    query = sa.select(observation).where(
        observation.c.indicator_code.in_(codes),
        observation.c.year == year,
        observation.c.status.in_(statuses),
    )
    return list(connection.execute(query))


def _move_values(
    connection, rows, new_status: str, user: str, reason: str | None
) -> None:
    now = utc_now()
    for row in rows:
        connection.execute(
            observation.update()
            .where(observation.c.id == row.id)
            .values(
                status=new_status,
                version=row.version + 1,
                updated_at=now,
                updated_by=user,
            )
        )
        connection.execute(
            observation_change.insert().values(
                observation_id=row.id,
                indicator_code=row.indicator_code,
                area_code=row.area_code,
                year=row.year,
                disaggregation=row.disaggregation,
                source=row.source,
                action="status",
                old_value=row.value,
                new_value=row.value,
                old_status=row.status,
                new_status=new_status,
                changed_at=now,
                changed_by=user,
                reason=reason,
                channel="workflow",
            )
        )


def _change(
    connection, current: Submission, action: str, user: User, comment
) -> Submission:
    allowed_from, target, _ = TRANSITIONS[action]
    if current.status not in allowed_from:
        raise WorkflowError(
            f"{current.skpd_code} {current.year} is {current.status}, so it cannot "
            f"be {label(f'action_{action}', 'en')}.",
            indonesian=(
                f"{current.skpd_code} {current.year} berstatus "
                f"{status_label(current.status)}, jadi tidak bisa "
                f"{label(f'action_{action}')}.",
                None,
            ),
        )
    now = utc_now()
    stamps = {
        "submit": "submitted_at",
        "verify": "verified_at",
        "publish": "published_at",
    }
    values: dict[str, object] = {
        "status": target,
        "updated_at": now,
        "updated_by": user.username,
    }
    if action in stamps:
        values[stamps[action]] = now
    connection.execute(
        submission.update().where(submission.c.id == current.id).values(**values)
    )
    connection.execute(
        submission_event.insert().values(
            submission_id=current.id,
            at=now,
            username=user.username,
            action=action,
            old_status=current.status,
            new_status=target,
            comment=comment,
        )
    )
    return get_submission(connection, current.skpd_code, current.year)


def submit(
    connection: Connection, user: User, rules: RuleSet, skpd_code: str, year: int
):
    """Submit an SKPD's values for a year; raises ValidationFailed on rule problems."""
    if not can_submit(user, skpd_code):
        raise PermissionDenied(
            f"Only {skpd_code}'s operators or Bappeda may submit it.",
            indonesian=(
                f"Hanya operator {skpd_code} atau Bappeda yang boleh mengirimnya.",
                None,
            ),
        )
    current = get_submission(connection, skpd_code, year)
    rows = _skpd_observations(
        connection, rules.catalogue, skpd_code, year, ("draft", "returned")
    )
    blocking = _blocking_results(connection, rules, rows)
    if blocking:
        raise ValidationFailed(
            f"{len(blocking)} value(s) break validation rules or need a justification.",
            blocking,
            indonesian=(
                f"{len(blocking)} nilai melanggar aturan validasi atau perlu "
                "keterangan.",
                None,
            ),
        )
    updated = _change(connection, current, "submit", user, None)
    _move_values(connection, rows, "submitted", user.username, "submit")
    _resolve_returns(connection, rows, user.username)
    return updated


def _blocking_results(connection, rules: RuleSet, rows) -> list:
    candidates = [
        Candidate(r.indicator_code, r.area_code, r.year, r.value)
        for r in rows
        if not r.disaggregation and r.value is not None
    ]
    justified = _justified(connection, [r.id for r in rows])
    ids = {(r.indicator_code, r.area_code, r.year): r.id for r in rows}
    blocking = []
    for result in rules.check(connection, candidates):
        if result.severity == "error":
            blocking.append(result)
            continue
        observation_id = ids.get((result.indicator, result.area, result.year))
        if (observation_id, result.rule_id) not in justified:
            blocking.append(result)
    return blocking


def _justified(connection, observation_ids: list[int]) -> set[tuple[int, str]]:
    if not observation_ids:
        return set()
    query = sa.select(
        observation_comment.c.observation_id, observation_comment.c.rule_id
    ).where(
        observation_comment.c.observation_id.in_(observation_ids),
        observation_comment.c.kind == "justification",
    )
    return {(row[0], row[1]) for row in connection.execute(query)}


def justify(
    connection: Connection, user: User, observation_id: int, rule_id: str, text: str
) -> None:
    """Record why a value that breaks a warning rule is right.

    Raises PermissionDenied unless ``user`` may write the value.
    """
    if not text.strip():
        raise WorkflowError(
            "A justification needs some text.",
            indonesian=("Keterangan wajib diisi.", None),
        )
    row = connection.execute(
        sa.select(observation.c.indicator_code, observation.c.area_code).where(
            observation.c.id == observation_id
        )
    ).first()
    if row is None:
        raise WorkflowError(
            f"Value {observation_id} does not exist.",
            indonesian=(f"Nilai {observation_id} tidak ditemukan.", None),
        )
    check_write(
        user,
        Catalogue.load(connection).get(row.indicator_code),
        get_area(connection, row.area_code),
    )
    connection.execute(
        observation_comment.insert().values(
            observation_id=observation_id,
            kind="justification",
            rule_id=rule_id,
            text=text.strip()[:2000],
            at=utc_now(),
            username=user.username,
        )
    )


def return_values(
    connection: Connection,
    user: User,
    skpd_code: str,
    year: int,
    comments: dict[int, str],
    comment: str | None = None,
) -> Submission:
    """Send values back to the SKPD, each with a comment saying what to correct."""
    require_reviewer(user)
    if not comments:
        raise WorkflowError(
            "Name at least one value to return, with a comment.",
            indonesian=(
                "Pilih minimal satu nilai untuk dikembalikan, dengan keterangannya.",
                None,
            ),
        )
    if any(not text.strip() for text in comments.values()):
        raise WorkflowError(
            "Every returned value needs a comment.",
            indonesian=(
                "Setiap nilai yang dikembalikan wajib diberi keterangan.",
                None,
            ),
        )
    current = get_submission(connection, skpd_code, year)
    updated = _change(connection, current, "return", user, comment)
    rows = _returnable(connection, skpd_code, year, list(comments))
    _move_values(connection, rows, "returned", user.username, comment or "returned")
    for row in rows:
        connection.execute(
            observation_comment.insert().values(
                observation_id=row.id,
                kind="return",
                text=comments[row.id].strip()[:2000],
                at=utc_now(),
                username=user.username,
            )
        )
    return updated


def _returnable(connection, skpd_code: str, year: int, ids: list[int]) -> list:
    """Return the submitted values of the SKPD and year with these ids.

    Raises WorkflowError naming any id that is not one of them, so a return
    never moves another SKPD's or another year's values.
    """
    query = (
        sa.select(observation)
        .join(indicator, indicator.c.code == observation.c.indicator_code)
        .where(
            observation.c.id.in_(ids),
            observation.c.year == year,
            observation.c.status == "submitted",
            indicator.c.skpd_code == skpd_code,
        )
    )
    rows = list(connection.execute(query))
    unknown = sorted(set(ids) - {row.id for row in rows})
    if unknown:
        listed = ", ".join(str(number) for number in unknown)
        raise WorkflowError(
            f"Values {listed} are not submitted values of {skpd_code} {year}.",
            indonesian=(
                f"Nilai {listed} bukan nilai {skpd_code} {year} yang dikirim.",
                None,
            ),
        )
    return rows


def _resolve_returns(connection, rows, user: str) -> None:
    ids = [row.id for row in rows]
    if ids:
        connection.execute(
            observation_comment.update()
            .where(
                observation_comment.c.observation_id.in_(ids),
                observation_comment.c.kind == "return",
                observation_comment.c.resolved_at.is_(None),
            )
            .values(resolved_at=utc_now(), resolved_by=user)
        )


def review(
    connection: Connection,
    user: User,
    catalogue: Catalogue,
    skpd_code: str,
    year: int,
    action: str,
    reason: str | None = None,
) -> Submission:
    """Verify, publish or reopen an SKPD's year; reopening needs a reason."""
    require_reviewer(user)
    if action not in ("verify", "publish", "reopen"):
        raise WorkflowError(
            f"Unknown action {action!r}.",
            indonesian=(f"Aksi {action!r} tidak dikenal.", None),
        )
    if action == "reopen" and not (reason or "").strip():
        raise WorkflowError(
            "Reopening needs a reason.",
            indonesian=("Membuka kembali perlu alasan.", None),
        )
    current = get_submission(connection, skpd_code, year)
    updated = _change(connection, current, action, user, reason)
    moved = TRANSITIONS[action][2]
    rows = _skpd_observations(connection, catalogue, skpd_code, year, moved)
    _move_values(
        connection, rows, TRANSITIONS[action][1], user.username, reason or action
    )
    return updated


def set_deadline(connection: Connection, user: User, year: int, deadline: date) -> None:
    """Set the last day for the SKPDs' data of ``year``, in that year or later."""
    require_reviewer(user)
    if deadline.year < year:
        raise WorkflowError(
            f"The deadline {deadline.isoformat()} falls before {year}, the year "
            "of the data; data of a year are submitted in it or later.",
            indonesian=(
                f"Tenggat {deadline.isoformat()} jatuh sebelum tahun data {year}; "
                "data suatu tahun dikirim pada tahun itu atau sesudahnya.",
                None,
            ),
        )
    existing = connection.execute(
        sa.select(reporting_period.c.year).where(reporting_period.c.year == year)
    ).first()
    values = {"deadline": deadline, "set_by": user.username, "set_at": utc_now()}
    if existing is None:
        connection.execute(reporting_period.insert().values(year=year, **values))
    else:
        connection.execute(
            reporting_period.update()
            .where(reporting_period.c.year == year)
            .values(**values)
        )


def deadline_of(connection: Connection, year: int) -> date | None:
    return connection.execute(
        sa.select(reporting_period.c.deadline).where(reporting_period.c.year == year)
    ).scalar()


@dataclass
class SubmissionState:
    """One SKPD's standing for a year, as the dashboard shows it."""

    skpd_code: str
    skpd_name: str
    status: str
    timeliness: str
    deadline: date | None
    submitted_at: datetime | None
    values: int
    returned: int

    def to_dict(self) -> dict[str, object]:
        return {
            "skpd": self.skpd_code,
            "name": self.skpd_name,
            "status": self.status,
            "timeliness": self.timeliness,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "submitted_at": self.submitted_at.isoformat()
            if self.submitted_at
            else None,
            "values": self.values,
            "returned": self.returned,
        }


def timeliness(status: str, submitted_at, deadline: date | None, today: date) -> str:
    """How a submission stands against its deadline.

    on_time or late once submitted; before that, overdue when the deadline has
    passed and pending otherwise.
    """
    if submitted_at is not None:
        if deadline is None or submitted_at.date() <= deadline:
            return "on_time"
        return "late"
    if deadline is not None and today > deadline:
        return "overdue"
    return "pending"


def submission_states(
    connection: Connection,
    catalogue: Catalogue,
    year: int,
    today: date | None = None,
    *,
    with_counts: bool = True,
) -> list[SubmissionState]:
    """Every SKPD that reports indicators: status, timeliness and counts for a year.

    Counting reads every value of the region for the year. Without
    ``with_counts`` the counts stay zero and only SKPDs without a submission
    are looked up, to tell a draft from a missing one.
    """
    today = today or utc_now().date()
    deadline = deadline_of(connection, year)
    names = dict(connection.execute(sa.select(skpd.c.code, skpd.c.name)).all())
    rows = {
        row.skpd_code: row
        for row in connection.execute(
            sa.select(submission).where(submission.c.year == year)
        )
    }
    if with_counts:
        counts = _value_counts(connection, catalogue, year)
    else:
        unsubmitted = {item.skpd for item in catalogue} - set(rows)
        region = home_region(connection) or COUNTRY_CODE
        counts = {
            code: (0, 0)
            for code in unsubmitted
            if _has_values(connection, catalogue, code, year, region)
        }
    states = []
    for code in sorted({item.skpd for item in catalogue}):
        row = rows.get(code)
        if row is not None:
            status = row.status
        elif code in counts:
            status = "draft"
        else:
            status = "missing"
        submitted_at = _aware(row.submitted_at) if row else None
        state = timeliness(status, submitted_at, deadline, today)
        states.append(
            SubmissionState(
                code,
                names.get(code, code),
                status,
                state,
                deadline,
                submitted_at,
                counts.get(code, (0, 0))[0],
                counts.get(code, (0, 0))[1],
            )
        )
    return states


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=utc_now().tzinfo)


def _value_counts(
    connection, catalogue: Catalogue, year: int
) -> dict[str, tuple[int, int]]:
    by_skpd = {item.code: item.skpd for item in catalogue}
    # SKPDs report for their own region; benchmark values of other areas are
    # not part of any submission.
    region = home_region(connection) or COUNTRY_CODE
    query = (
        sa.select(observation.c.indicator_code, observation.c.status, sa.func.count())
        .where(observation.c.year == year, in_subtree(observation.c.area_code, region))
        .group_by(observation.c.indicator_code, observation.c.status)
    )
    counts: dict[str, list[int]] = {}
    for code, status, count in connection.execute(query):
        entry = counts.setdefault(by_skpd.get(code, ""), [0, 0])
        entry[0] += count
        if status == "returned":
            entry[1] += count
    return {key: (value[0], value[1]) for key, value in counts.items()}


def _has_values(
    connection, catalogue: Catalogue, skpd_code: str, year: int, region: str
) -> bool:
    """Check whether any value of the SKPD's indicators is stored for the region."""
    query = sa.select(sa.literal(1)).where(
        observation.c.indicator_code.in_(
            sorted(item.code for item in catalogue if item.skpd == skpd_code)
        ),
        observation.c.year == year,
        in_subtree(observation.c.area_code, region),
    )
    return connection.execute(query.limit(1)).first() is not None


def submission_history(connection: Connection, skpd_code: str, year: int) -> list[dict]:
    current = get_submission(connection, skpd_code, year)
    rows = connection.execute(
        sa.select(submission_event)
        .where(submission_event.c.submission_id == current.id)
        .order_by(submission_event.c.id)
    )
    return [dict(row._mapping) for row in rows]


def returned_comments(
    connection: Connection, observation_ids: list[int]
) -> dict[int, list]:
    if not observation_ids:
        return {}
    rows = connection.execute(
        sa.select(observation_comment)
        .where(observation_comment.c.observation_id.in_(observation_ids))
        .order_by(observation_comment.c.id)
    )
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(row.observation_id, []).append(dict(row._mapping))
    return found


def as_error_list(error: P3BMError, lang: str) -> list[dict[str, object]]:
    """The rule results of a ValidationFailed, for forms and the API."""
    results = getattr(error, "results", [])
    return [result.to_dict(lang) for result in results]
