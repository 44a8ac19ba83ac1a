"""Writing values one by one from forms and the API, with every check.

Each entry is checked for a known indicator and area, a valid year and
number, the writer's permission, the indicator's levels and the validation
rules. Values are then written in one transaction with a version check: an
entry that names the version it was read at gets ``conflict`` when someone
changed the value since. Verified and published values are locked until
Bappeda reopens them. Every change keeps who, when, old, new, why and the
channel (form or api).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.areas.registry import Area, get_area, home_region
from p3bm.catalogue import LARGEST_VALUE, Catalogue, Indicator
from p3bm.errors import AreaNotFound, WorkflowError
from p3bm.i18n import status_label
from p3bm.imports.numbers import MISSING, NOT_APPLICABLE, parse_number
from p3bm.imports.records import disaggregation_problem
from p3bm.observations import VERIFIED_STATUSES, utc_now
from p3bm.permissions import check_write, write_refusal
from p3bm.rules.engine import Candidate, RuleSet
from p3bm.storage import bulk
from p3bm.storage.database import Database
from p3bm.storage.schema import (
    observation,
    observation_change,
    observation_comment,
    submission,
)
from p3bm.users import User

REVIEW_ONLY_STATUSES = ("submitted",)
# Submissions to which an SKPD adds no new value until Bappeda returns or
# reopens them.
CLOSED_SUBMISSIONS = ("submitted", "verified", "published")
OUTCOMES = (
    "added",
    "changed",
    "unchanged",
    "rejected",
    "conflict",
    "locked",
    "forbidden",
)


# code: (Indonesian, English) message of a rejected entry.
ENTRY_MESSAGES = {
    "unknown_indicator": (
        "indikator {value} tidak dikenal",
        "indicator {value} is unknown",
    ),
    "unknown_area_code": (
        "wilayah {value} tidak ada di basis data",
        "area {value} is not in the database",
    ),
    "invalid_year": (
        "{value} bukan tahun antara 1900 dan 2100",
        "{value} is not a year between 1900 and 2100",
    ),
    "forbidden": ("tidak diizinkan: {reason}", "not allowed: {reason}"),
    "below_lowest_level": (
        "{indicator} hanya dihasilkan sampai tingkat {level}",
        "{indicator} is produced down to level {level} only",
    ),
    "invalid_number": ("{value} bukan angka", "{value} is not a number"),
    "invalid_disaggregation": (
        "rincian tidak sah: {problem}",
        "invalid disaggregation: {problem}",
    ),
    "too_large": (
        "{value} terlalu besar untuk nilai indikator mana pun",
        "{value} is too large for any indicator value",
    ),
    "missing_value": (
        "tidak ada nilai; pakai null untuk tidak berlaku",
        "no value given; use null for not applicable",
    ),
    "version_conflict": (
        "nilai ini sudah versi {found}, bukan {given}; muat ulang lalu coba lagi",
        "the value is at version {found}, not {given}; reload it and try again",
    ),
    "added_meanwhile": (
        "orang lain menambahkan nilai ini pada saat yang sama; muat ulang lalu "
        "coba lagi",
        "someone added this value at the same time; reload it and try again",
    ),
    "changed_meanwhile": (
        "orang lain mengubah nilai ini pada saat yang sama; muat ulang lalu coba lagi",
        "someone changed this value at the same time; reload it and try again",
    ),
    "locked": (
        "nilai ini berstatus {status} dan terkunci; Bappeda harus membukanya dulu",
        "the value is {status} and locked; Bappeda must reopen it first",
    ),
    "submitted": (
        "nilai ini sudah dikirim dan menunggu Bappeda; minta Bappeda mengembalikannya",
        "the value is submitted and waits for Bappeda; ask Bappeda to return it",
    ),
    "submission_closed": (
        "data {skpd} tahun {year} berstatus {status}; Bappeda harus "
        "mengembalikan atau membukanya sebelum nilai ditambah",
        "the data of {skpd} for {year} is {status}; Bappeda must return or "
        "reopen it before values are added",
    ),
    "duplicate_entry": (
        "butir {items} memberi nilai yang sama; simpan satu saja",
        "items {items} give the same value; keep one",
    ),
}
_CLIENT_CODES = {
    "added_meanwhile": "version_conflict",
    "changed_meanwhile": "version_conflict",
}


def _shown(value: object) -> object:
    """Format a value for a message: text in quotes, None as null."""
    if isinstance(value, str):
        return repr(value)
    return "null" if value is None else value


@dataclass
class Entry:
    """One value to write. ``value`` None means not applicable."""

    indicator: str
    area: str
    year: int
    value: object
    disaggregation: str = ""
    source: str = ""
    version: int | None = None
    comment: str | None = None


@dataclass
class EntryResult:
    """What happened to one entry."""

    index: int
    entry: Entry
    outcome: str = "pending"
    version: int | None = None
    errors: list[dict[str, object]] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)
    indicator: Indicator | None = None
    area: Area | None = None
    value: float | None = None

    def reject(self, code: str, message: str, outcome: str = "rejected") -> None:
        self.outcome = outcome
        self.errors.append({"code": code, "message": message})

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "indicator": self.entry.indicator,
            "area": self.area.code if self.area else self.entry.area,
            "year": self.entry.year,
            "disaggregation": self.entry.disaggregation,
            "outcome": self.outcome,
            "version": self.version,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def is_written(results: list[EntryResult]) -> bool:
    """Check whether a write without ``skip_invalid`` kept its entries."""
    return not any(result.errors for result in results)


def _key_order(result: EntryResult) -> tuple:
    entry = result.entry
    return (
        result.indicator.code,  # type: ignore[union-attr]
        result.area.code,  # type: ignore[union-attr]
        entry.year,
        entry.disaggregation,
        entry.source,
    )


class EntryWriter:
    """Checks and writes entries for one user."""

    def __init__(
        self, db: Database, user: User, rules: RuleSet, lang: str = "id"
    ) -> None:
        self.db = db
        self.user = user
        self.rules = rules
        self.catalogue: Catalogue = rules.catalogue
        self.lang = lang
        self._areas: dict[str, Area | None] = {}
        self._submissions: dict[tuple[str, int], str | None] = {}
        self._home: str | None = None

    def write(
        self,
        entries: list[Entry],
        *,
        channel: str,
        reason: str | None = None,
        dry_run: bool = False,
        skip_invalid: bool = False,
    ) -> list[EntryResult]:
        """Check every entry, then write them unless ``dry_run``.

        When an entry has errors, nothing is written, unless ``skip_invalid``
        is set: then the valid entries are written. Either way every entry's
        outcome shows what it would do, and ``is_written`` checks whether
        anything was written.
        """
        results = [EntryResult(n, entry) for n, entry in enumerate(entries)]
        self._history_rows: list[dict[str, object]] = []
        with self.db.begin() as connection:
            self._home = home_region(connection)
            self._submissions.clear()
            for result in results:
                self._check(connection, result)
            self._reject_duplicates(results)
            self._apply_rules(connection, results)
            # With an invalid entry already found, the rest are only checked.
            checking = dry_run or not (skip_invalid or is_written(results))
            # Rows are written in key order, so that two writers of the same
            # keys take their row locks in the same order instead of each
            # waiting for the other.
            for result in sorted(
                (result for result in results if result.outcome == "pending"),
                key=_key_order,
            ):
                self._store(connection, result, channel, reason, checking)
            if self._history_rows:
                connection.execute(observation_change.insert(), self._history_rows)
            # A conflict or lock found while storing undoes the entries before it.
            if dry_run or not (skip_invalid or is_written(results)):
                connection.rollback()
        return results

    def _reject(
        self, result: EntryResult, code: str, outcome: str = "rejected", **params
    ) -> None:
        """Reject one entry with the message of ``code`` in the writer's language."""
        indonesian, english = ENTRY_MESSAGES[code]
        template = english if self.lang == "en" else indonesian
        if "value" in params:
            params["value"] = _shown(params["value"])
        if "status" in params:
            params["status"] = status_label(params["status"], self.lang)
        message = template.format(**params)
        # Version conflicts share one code for clients, whatever their cause.
        result.reject(_CLIENT_CODES.get(code, code), message, outcome)

    def _reject_duplicates(self, results: list[EntryResult]) -> None:
        """Reject every entry whose value another entry of the batch also gives.

        Rule results are matched to entries by indicator, area and year, so two
        entries for one value would let one of them pass unchecked.
        """
        by_key: dict[tuple, list[EntryResult]] = {}
        for result in results:
            if result.outcome == "pending":
                entry = result.entry
                key = (
                    result.indicator.code,  # type: ignore[union-attr]
                    result.area.code,  # type: ignore[union-attr]
                    entry.year,
                    entry.disaggregation,
                    entry.source,
                )
                by_key.setdefault(key, []).append(result)
        for group in by_key.values():
            if len(group) < 2:
                continue
            items = ", ".join(str(result.index) for result in group)
            for result in group:
                self._reject(result, "duplicate_entry", items=items)

    def _area(self, connection: Connection, code: str) -> Area | None:
        if code not in self._areas:
            try:
                self._areas[code] = get_area(connection, code)
            except AreaNotFound:
                self._areas[code] = None
        return self._areas[code]

    def _check(self, connection: Connection, result: EntryResult) -> None:
        entry = result.entry
        indicator = self.catalogue.by_code.get(str(entry.indicator).upper())
        area = self._area(connection, str(entry.area))
        if indicator is None:
            self._reject(result, "unknown_indicator", value=entry.indicator)
        if area is None:
            self._reject(result, "unknown_area_code", value=entry.area)
        if not isinstance(entry.year, int) or not 1900 <= entry.year <= 2100:
            self._reject(result, "invalid_year", value=entry.year)
        problem = disaggregation_problem(str(entry.disaggregation or ""))
        if problem is not None:
            self._reject(
                result, "invalid_disaggregation", problem=problem.text(self.lang)
            )
        if result.errors:
            return
        result.indicator, result.area = indicator, area
        self._check_value(result)
        refusal = write_refusal(self.user, indicator, area, self._home, self.lang)  # type: ignore[arg-type]
        if refusal is not None:
            self._reject(result, "forbidden", "forbidden", reason=refusal)
        elif area.level > indicator.lowest_level:  # type: ignore[union-attr]
            labels = (
                codes.LEVEL_LABELS_EN if self.lang == "en" else codes.LEVEL_LABELS_ID
            )
            self._reject(
                result,
                "below_lowest_level",
                indicator=indicator.code,  # type: ignore[union-attr]
                level=labels[indicator.lowest_level],  # type: ignore[union-attr]
            )

    def _check_value(self, result: EntryResult) -> None:
        raw = result.entry.value
        try:
            parsed = NOT_APPLICABLE if raw is None else parse_number(raw)
        except ValueError:
            self._reject(result, "invalid_number", value=raw)
            return
        if parsed is MISSING:
            self._reject(result, "missing_value")
            return
        value = None if parsed is NOT_APPLICABLE else float(parsed)  # type: ignore[arg-type]
        if value is not None and abs(value) > LARGEST_VALUE:
            # The rules check the catalogue's own ranges; this bound keeps sums
            # finite for indicators that set none.
            self._reject(result, "too_large", value=raw)
            return
        result.value = value

    def _apply_rules(self, connection: Connection, results: list[EntryResult]) -> None:
        valid = [
            r for r in results if r.outcome == "pending" and not r.entry.disaggregation
        ]
        candidates = [
            Candidate(r.indicator.code, r.area.code, r.entry.year, r.value)  # type: ignore[union-attr]
            for r in valid
        ]
        by_key = {
            (c.indicator, c.area, c.year): r
            for c, r in zip(candidates, valid, strict=True)
        }
        for broken in self.rules.check(connection, candidates):
            target = by_key.get((broken.indicator, broken.area, broken.year))
            if target is None:
                target = next((r for r in valid if r.area.code == broken.area), None)  # type: ignore[union-attr]
            if target is None:
                continue
            item = {"code": broken.rule_id, "message": broken.message(self.lang)}
            if broken.severity == "error":
                target.outcome = "rejected"
                target.errors.append(item)
            else:
                target.warnings.append(item)

    def _store(
        self, connection: Connection, result: EntryResult, channel, reason, dry_run
    ):
        entry = result.entry
        key = {
            "indicator_code": result.indicator.code,
            "area_code": result.area.code,  # type: ignore[union-attr]
            "year": entry.year,
            "disaggregation": entry.disaggregation,
            "source": entry.source,
        }
        current = _current(connection, key)
        if not self._version_matches(result, current):
            return
        # The same value again is no change, so a re-uploaded workbook with
        # verified values in it passes.
        if current is not None and current.value == result.value:
            result.outcome, result.version = "unchanged", current.version
            return
        if not self._may_change(connection, result, current):
            return
        if dry_run:
            result.outcome = "changed" if current is not None else "added"
            return
        if current is None:
            self._insert(connection, result, key, channel, reason)
        else:
            self._update(connection, result, current, channel, reason)
        if entry.comment and result.outcome in ("added", "changed"):
            _add_comment(connection, key, "note", entry.comment, self.user.username)

    def _version_matches(self, result: EntryResult, current) -> bool:
        entry = result.entry
        if entry.version is not None and (
            current is None or current.version != entry.version
        ):
            found = None if current is None else current.version
            # The stored version, so that a client can read the value again.
            result.version = found
            self._reject(
                result, "version_conflict", "conflict", found=found, given=entry.version
            )
            return False
        return True

    def _may_change(self, connection: Connection, result: EntryResult, current) -> bool:
        if current is not None and current.status in VERIFIED_STATUSES:
            self._reject(result, "locked", "locked", status=current.status)
            return False
        is_reviewer = self.user.role in ("admin", "analyst")
        if (
            current is not None
            and current.status in REVIEW_ONLY_STATUSES
            and not is_reviewer
        ):
            self._reject(result, "submitted", "locked")
            return False
        if current is None and not is_reviewer:
            skpd_code = result.indicator.skpd  # type: ignore[union-attr]
            status = self._submission_status(connection, skpd_code, result.entry.year)
            if status in CLOSED_SUBMISSIONS:
                self._reject(
                    result,
                    "submission_closed",
                    "locked",
                    skpd=skpd_code,
                    year=result.entry.year,
                    status=status,
                )
                return False
        return True

    def _submission_status(self, connection, skpd_code: str, year: int) -> str | None:
        key = (skpd_code, year)
        if key not in self._submissions:
            self._submissions[key] = connection.execute(
                sa.select(submission.c.status).where(
                    submission.c.skpd_code == skpd_code, submission.c.year == year
                )
            ).scalar()
        return self._submissions[key]

    def _insert(self, connection, result: EntryResult, key, channel, reason) -> None:
        now = utc_now()
        new_id = bulk.insert_unless_present(
            connection,
            observation,
            {
                **key,
                "value": result.value,
                "status": "draft",
                "is_derived": False,
                "version": 1,
                "updated_at": now,
                "updated_by": self.user.username,
            },
        )
        if new_id is None:
            self._reject(result, "added_meanwhile", "conflict")
            return
        self._history_rows.append(
            _history_row(
                new_id,
                key,
                "insert",
                None,
                result.value,
                None,
                "draft",
                self.user.username,
                reason,
                channel,
            )
        )
        result.outcome, result.version = "added", 1

    def _update(
        self, connection, result: EntryResult, current, channel, reason
    ) -> None:
        done = connection.execute(
            _UPDATE,
            {
                "b_id": current.id,
                "b_version": current.version,
                "b_value": result.value,
                "b_new_version": current.version + 1,
                "b_at": utc_now(),
                "b_by": self.user.username,
            },
        )
        if done.rowcount != 1:
            self._reject(result, "changed_meanwhile", "conflict")
            return
        self._history_rows.append(
            _history_row(
                current.id,
                _key_of(current),
                "update",
                current.value,
                result.value,
                current.status,
                "draft",
                self.user.username,
                reason,
                channel,
            )
        )
        result.outcome, result.version = "changed", current.version + 1


def _key_of(row) -> dict[str, object]:
    return {
        "indicator_code": row.indicator_code,
        "area_code": row.area_code,
        "year": row.year,
        "disaggregation": row.disaggregation,
        "source": row.source,
    }


# Statements built once: building them per entry took most of a batch's time.
_SELECT_CURRENT = sa.select(observation).where(
    observation.c.indicator_code == sa.bindparam("k_indicator"),
    observation.c.area_code == sa.bindparam("k_area"),
    observation.c.year == sa.bindparam("k_year"),
    observation.c.disaggregation == sa.bindparam("k_disaggregation"),
    observation.c.source == sa.bindparam("k_source"),
)
_UPDATE = (
    observation.update()
    .where(
        observation.c.id == sa.bindparam("b_id"),
        observation.c.version == sa.bindparam("b_version"),
    )
    .values(
        value=sa.bindparam("b_value"),
        status="draft",
        version=sa.bindparam("b_new_version"),
        updated_at=sa.bindparam("b_at", type_=sa.DateTime(timezone=True)),
        updated_by=sa.bindparam("b_by"),
        import_id=None,
    )
)


def _current(connection: Connection, key: dict[str, object]):
    return connection.execute(
        _SELECT_CURRENT,
        {
            "k_indicator": key["indicator_code"],
            "k_area": key["area_code"],
            "k_year": key["year"],
            "k_disaggregation": key["disaggregation"],
            "k_source": key["source"],
        },
    ).first()


def _history_row(
    observation_id, key, action, old, new, old_status, new_status, user, reason, channel
) -> dict[str, object]:
    return {
        "observation_id": observation_id,
        **key,
        "action": action,
        "old_value": old,
        "new_value": new,
        "old_status": old_status,
        "new_status": new_status,
        "changed_at": utc_now(),
        "changed_by": user,
        "reason": reason,
        "channel": channel,
        "source_file": None,
        "import_id": None,
    }


def _add_comment(
    connection, key, kind: str, text: str, user: str, rule_id=None
) -> None:
    row = _current(connection, key)
    if row is None:
        return
    connection.execute(
        observation_comment.insert().values(
            observation_id=row.id,
            kind=kind,
            rule_id=rule_id,
            text=text[:2000],
            at=utc_now(),
            username=user,
        )
    )


def delete_value(
    db: Database, user: User, catalogue: Catalogue, key: dict, reason: str, channel: str
) -> bool:
    """Delete one value, keeping it in the history; False when there was none.

    Raises PermissionDenied when the user may not write it, WorkflowError when
    it is locked.
    """
    with db.begin() as connection:
        area = get_area(connection, str(key["area_code"]))
        check_write(user, catalogue.get(str(key["indicator_code"])), area)
        key = {**key, "area_code": area.code}
        current = _current(connection, key)
        if current is None:
            return False
        if current.status in VERIFIED_STATUSES:
            raise WorkflowError(
                f"The value is {current.status} and locked.",
                indonesian=(
                    f"Nilai ini berstatus {status_label(current.status)} dan terkunci.",
                    None,
                ),
            )
        # The history row and the comments, keyed by id, outlive the value.
        connection.execute(
            observation_change.insert(),
            _history_row(
                current.id,
                key,
                "delete",
                current.value,
                None,
                current.status,
                None,
                user.username,
                reason,
                channel,
            ),
        )
        connection.execute(observation.delete().where(observation.c.id == current.id))
    return True
