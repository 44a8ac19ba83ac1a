"""The programme register: budget lines with pagu, outputs, locations and links.

A budget line is one sub-kegiatan that one SKPD runs in one year, keyed by
(year, code, SKPD). It carries the pagu in rupiah, whether it is pro-poor,
its beneficiary group and count, the catalogue indicators (problems or
determinants) it addresses, its output indicators with targets, and where it
is spent: kelurahan, kecamatan or the whole region. Every insert, change and
deletion is kept in the planning audit with the whole line before and after,
and saving a line unchanged changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.areas.registry import Area, home_region, list_areas
from p3bm.errors import (
    BudgetLineNotFound,
    ConflictError,
    PermissionDenied,
    WorkflowError,
)
from p3bm.i18n import in_language
from p3bm.observations import utc_now
from p3bm.planning import nomenclature as nom
from p3bm.planning.audit import record_change
from p3bm.planning.problems import (
    MAX_AMOUNT,
    MAX_COUNT,
    BudgetProblem,
    amount_problem,
)
from p3bm.storage.bulk import insert_unless_present
from p3bm.storage.schema import (
    budget_line,
    budget_location,
    budget_output,
    indicator,
    quarterly_output,
    quarterly_report,
    skpd,
)
from p3bm.users import User

REVIEWER_ROLES = ("admin", "analyst")
# Rupiah below which two amounts count as equal, to absorb float rounding.
RUPIAH_TOLERANCE = 0.5


@dataclass(frozen=True)
class Output:
    """An output indicator of a line and its target for the year."""

    name: str
    unit: str
    target: float | None = None
    id: int | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "unit": self.unit,
            "target": self.target,
        }


@dataclass(frozen=True)
class Location:
    """A kelurahan, kecamatan or region a line is spent in.

    ``pagu`` None gives the location an even share of the unallocated rest.
    """

    area: str
    pagu: float | None = None
    beneficiaries: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "area": self.area,
            "pagu": self.pagu,
            "beneficiaries": self.beneficiaries,
        }


@dataclass
class BudgetLine:
    """One sub-kegiatan of one SKPD in one budget year."""

    year: int
    code: str
    skpd: str
    pagu: float
    is_pro_poor: bool = False
    beneficiary_group: str = ""
    beneficiaries: int | None = None
    indicators: tuple[str, ...] = ()
    outputs: tuple[Output, ...] = ()
    locations: tuple[Location, ...] = ()
    name: str = ""
    id: int | None = None
    version: int | None = None

    @property
    def key(self) -> str:
        return f"{self.year} {self.code} {self.skpd}"

    @property
    def program_code(self) -> str:
        return nom.ancestor_at(self.code, nom.PROGRAM)

    @property
    def kegiatan_code(self) -> str:
        return nom.ancestor_at(self.code, nom.KEGIATAN)

    def snapshot(self) -> dict[str, object]:
        """The stored content of the line, as the audit and comparisons see it."""
        return {
            "year": self.year,
            "code": self.code,
            "skpd": self.skpd,
            "pagu": self.pagu,
            "is_pro_poor": self.is_pro_poor,
            "beneficiary_group": self.beneficiary_group,
            "beneficiaries": self.beneficiaries,
            "indicators": sorted(self.indicators),
            "outputs": [
                {"name": o.name, "unit": o.unit, "target": o.target}
                for o in self.outputs
            ],
            "locations": sorted(
                (loc.to_dict() for loc in self.locations),
                key=lambda item: str(item["area"]),
            ),
        }

    def to_dict(self) -> dict[str, object]:
        data = self.snapshot()
        data["id"] = self.id
        data["version"] = self.version
        data["name"] = self.name
        data["outputs"] = [o.to_dict() for o in self.outputs]
        data["locations"] = [loc.to_dict() for loc in self.locations]
        return data

    def location_amounts(self) -> dict[str, float]:
        """Rupiah of the pagu spent in each location.

        Explicit allocations are kept; what they leave of the pagu is split
        evenly over the locations without one.
        """
        if not self.locations:
            return {}
        fixed = {loc.area: loc.pagu for loc in self.locations if loc.pagu is not None}
        rest = [loc.area for loc in self.locations if loc.pagu is None]
        amounts = {area: float(amount) for area, amount in fixed.items()}
        if rest:
            remaining = max(self.pagu - sum(amounts.values()), 0.0)
            for area in rest:
                amounts[area] = remaining / len(rest)
        return amounts


@dataclass
class SaveResult:
    """Counts of a save, and the stored lines in the order given."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    lines: list[BudgetLine] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "lines": [line.to_dict() for line in self.lines],
        }


# Permissions


def budget_write_refusal(
    user: User | None, skpd_code: str, lang: str = "en"
) -> str | None:
    """Why ``user`` may not write an SKPD's budget lines or reports, or None."""

    def text(indonesian: str, english: str) -> str:
        return in_language(lang, indonesian, english)

    if user is None:
        return text(
            "pengunjung tanpa akun tidak dapat menulis",
            "anonymous visitors cannot write",
        )
    if user.role in REVIEWER_ROLES:
        return None
    if user.role == "skpd_operator":
        if user.skpd_code != skpd_code:
            return text(
                f"baris ini milik SKPD {skpd_code}, bukan {user.skpd_code}",
                f"the line belongs to SKPD {skpd_code}, not to {user.skpd_code}",
            )
        return None
    return text(
        f"peran {user.role} tidak dapat menulis anggaran atau laporan",
        f"role {user.role} cannot write budget lines or reports",
    )


def check_budget_write(user: User | None, skpd_code: str) -> None:
    reason = budget_write_refusal(user, skpd_code)
    if reason is not None:
        reason_id = budget_write_refusal(user, skpd_code, "id")
        raise PermissionDenied(
            f"Not allowed: {reason}.",
            indonesian=(f"Tidak diizinkan: {reason_id}.", None),
        )


# Validation


@dataclass
class CheckContext:
    """Reference data of the line checks: known SKPD, indicators and areas."""

    region: Area | None
    skpd_codes: set[str]
    skpd_by_name: dict[str, str]
    indicator_codes: set[str]
    areas: dict[str, Area]

    @classmethod
    def load(cls, connection: Connection) -> CheckContext:
        region_code = home_region(connection)
        areas: dict[str, Area] = {}
        region = None
        if region_code:
            within = [a for a in list_areas(connection) if a.code == region_code]
            region = within[0] if within else None
        if region is not None:
            areas = {a.code: a for a in list_areas(connection, within=region)}
        rows = connection.execute(sa.select(skpd.c.code, skpd.c.name)).all()
        return cls(
            region=region,
            skpd_codes={code for code, _ in rows},
            skpd_by_name={_fold(name): code for code, name in rows},
            indicator_codes=set(
                connection.execute(sa.select(indicator.c.code)).scalars()
            ),
            areas=areas,
        )

    def skpd_code(self, text: str) -> str | None:
        """The SKPD code for a code or a name written any case, or None."""
        value = text.strip()
        if value.upper() in self.skpd_codes:
            return value.upper()
        return self.skpd_by_name.get(_fold(value))


def _fold(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def check_line(line: BudgetLine, context: CheckContext) -> list[BudgetProblem]:
    """Every problem of one line; the problems carry no file or row yet."""
    found: list[BudgetProblem] = []

    def add(code: str, column: str, value: object, **params: object) -> None:
        found.append(BudgetProblem(code, "", column=column, value=value, params=params))

    level = nom.level_of(line.code)
    if level is None:
        add("invalid_budget_code", "code", line.code)
    elif level != nom.SUB_KEGIATAN:
        add("not_sub_kegiatan", "code", line.code, level=nom.LEVEL_NAMES[level])
    if not 1900 <= line.year <= 2100:
        add("invalid_year", "year", line.year)
    if line.skpd not in context.skpd_codes:
        add("unknown_skpd", "skpd", line.skpd)
    _check_amount(found, "pagu", line.pagu)
    _check_amount(found, "beneficiaries", line.beneficiaries, MAX_COUNT)
    for code in line.indicators:
        if code not in context.indicator_codes:
            add("unknown_indicator", "indicators", code)
    _check_outputs(line, found, add)
    _check_locations(line, context, found, add)
    return found


def _check_amount(found: list, column: str, value, maximum: int = MAX_AMOUNT) -> None:
    problem = amount_problem(column, value, maximum)
    if problem is not None:
        found.append(problem)


def _check_outputs(line: BudgetLine, found: list, add) -> None:
    for output in line.outputs:
        if not output.name.strip():
            add("missing_output_name", "outputs", output.target)
        _check_amount(found, "target", output.target)


def _check_locations(line: BudgetLine, context: CheckContext, found: list, add) -> None:
    seen: set[str] = set()
    for location in line.locations:
        area = context.areas.get(location.area)
        if area is None:
            region = context.region.name if context.region else "-"
            if codes.is_dotted_code(location.area):
                add("area_outside_region", "locations", location.area, region=region)
            else:
                add("unknown_area_code", "locations", location.area)
        if location.area in seen:
            add("duplicate_location", "locations", location.area)
        seen.add(location.area)
        _check_amount(found, "locations", location.pagu)
        _check_amount(found, "locations", location.beneficiaries, MAX_COUNT)
    allocations = [loc.pagu for loc in line.locations if loc.pagu is not None]
    allocated = sum(allocations)
    if allocations and allocated > line.pagu + RUPIAH_TOLERANCE:
        add("allocation_above_pagu", "locations", allocated, pagu=line.pagu)


# Reading


def load_lines(
    connection: Connection,
    *,
    year: int | None = None,
    skpd_code: str | None = None,
    code_prefix: str | None = None,
    ids: Iterable[int] | None = None,
) -> list[BudgetLine]:
    """Stored lines with outputs, locations and names, ordered by SKPD and code."""
    c = budget_line.c
    query = sa.select(budget_line).order_by(c.year, c.skpd_code, c.code)
    if year is not None:
        query = query.where(c.year == year)
    if skpd_code is not None:
        query = query.where(c.skpd_code == skpd_code)
    if code_prefix:
        query = query.where(
            sa.or_(
                c.code == code_prefix,
                c.code.startswith(code_prefix + ".", autoescape=True),
            )
        )
    if ids is not None:
        query = query.where(c.id.in_(list(ids)))
    rows = list(connection.execute(query))
    if not rows:
        return []
    outputs = _outputs_of(connection, [row.id for row in rows])
    locations = _locations_of(connection, [row.id for row in rows])
    names = nom.load_names(connection)
    return [
        BudgetLine(
            year=row.year,
            code=row.code,
            skpd=row.skpd_code,
            pagu=row.pagu,
            is_pro_poor=bool(row.is_pro_poor),
            beneficiary_group=row.beneficiary_group,
            beneficiaries=row.beneficiaries,
            indicators=tuple(row.indicators or ()),
            outputs=tuple(outputs.get(row.id, ())),
            locations=tuple(locations.get(row.id, ())),
            name=names[row.code].name if row.code in names else "",
            id=row.id,
            version=row.version,
        )
        for row in rows
    ]


def _outputs_of(connection: Connection, ids: list[int]) -> dict[int, list[Output]]:
    found: dict[int, list[Output]] = {}
    query = (
        sa.select(budget_output)
        .where(budget_output.c.line_id.in_(ids))
        .order_by(budget_output.c.line_id, budget_output.c.position)
    )
    for row in connection.execute(query):
        found.setdefault(row.line_id, []).append(
            Output(row.name, row.unit, row.target, row.id)
        )
    return found


def _locations_of(connection: Connection, ids: list[int]) -> dict[int, list[Location]]:
    found: dict[int, list[Location]] = {}
    query = (
        sa.select(budget_location)
        .where(budget_location.c.line_id.in_(ids))
        .order_by(budget_location.c.line_id, budget_location.c.area_code)
    )
    for row in connection.execute(query):
        found.setdefault(row.line_id, []).append(
            Location(row.area_code, row.pagu, row.beneficiaries)
        )
    return found


def get_line(connection: Connection, line_id: int) -> BudgetLine:
    """The stored line with this id; raises BudgetLineNotFound when there is none."""
    found = load_lines(connection, ids=[line_id])
    if not found:
        raise BudgetLineNotFound(
            f"Budget line {line_id} does not exist.",
            indonesian=(f"Baris anggaran {line_id} tidak ada.", None),
        )
    return found[0]


def find_line(connection: Connection, year: int, code: str, skpd_code: str):
    c = budget_line.c
    row = connection.execute(
        sa.select(c.id).where(c.year == year, c.code == code, c.skpd_code == skpd_code)
    ).first()
    return get_line(connection, row.id) if row else None


# Writing


def save_lines(
    connection: Connection,
    lines: list[BudgetLine],
    *,
    user: str,
    channel: str,
    reason: str | None = None,
    source_file: str | None = None,
    import_id: int | None = None,
) -> SaveResult:
    """Insert new lines and update changed ones, with their audit.

    The lines must have passed ``check_line``. A line whose ``version`` is set
    must still be at that version, else ConflictError. Raises WorkflowError
    when a change would drop an output that has quarterly achievements.
    """
    result = SaveResult()
    nom.store_items(
        connection,
        [nom.Item(line.code, line.name) for line in lines],
        user,
        channel=channel,
        source_file=source_file,
    )
    audit = {
        "user": user,
        "channel": channel,
        "reason": reason,
        "source_file": source_file,
        "import_id": import_id,
    }
    for line in lines:
        current = find_line(connection, line.year, line.code, line.skpd)
        if line.version is not None and (
            current is None or current.version != line.version
        ):
            found = current.version if current else None
            raise ConflictError(
                f"Budget line {line.key} is at version {found}, not {line.version}; "
                "reload it and try again.",
                indonesian=(
                    f"Baris anggaran {line.key} berada di versi {found}, bukan "
                    f"{line.version}; muat ulang lalu coba lagi.",
                    None,
                ),
            )
        if current is None:
            _insert(connection, line, audit)
            result.added += 1
        elif current.snapshot() != line.snapshot():
            _update(connection, current, line, audit)
            result.changed += 1
        else:
            result.unchanged += 1
        stored = find_line(connection, line.year, line.code, line.skpd)
        assert stored is not None
        result.lines.append(stored)
    return result


def _line_values(line: BudgetLine, user: str, import_id: int | None) -> dict:
    return {
        "year": line.year,
        "code": line.code,
        "skpd_code": line.skpd,
        "pagu": float(line.pagu),
        "is_pro_poor": line.is_pro_poor,
        "beneficiary_group": line.beneficiary_group,
        "beneficiaries": line.beneficiaries,
        "indicators": sorted(line.indicators),
        "updated_at": utc_now(),
        "updated_by": user,
        "import_id": import_id,
    }


def _insert(connection: Connection, line: BudgetLine, audit: dict) -> None:
    """Insert a new line; raise ConflictError when another transaction has
    added the same year, code and SKPD since it was read."""
    values = _line_values(line, audit["user"], audit["import_id"])
    line_id = insert_unless_present(connection, budget_line, {"version": 1, **values})
    if line_id is None:
        raise _changed_meanwhile(line)
    _write_outputs(connection, line_id, [], line.outputs)
    _write_locations(connection, line_id, line.locations)
    record_change(
        connection,
        entity="budget_line",
        entity_id=line_id,
        key=line.key,
        action="insert",
        old=None,
        new=line.snapshot(),
        **audit,
    )


def _update(
    connection: Connection, current: BudgetLine, line: BudgetLine, audit: dict
) -> None:
    assert current.id is not None and current.version is not None
    # The version condition makes a concurrent update of the same line, which
    # PostgreSQL lets wait for this one, change nothing instead of overwriting.
    updated = connection.execute(
        budget_line.update()
        .where(
            budget_line.c.id == current.id,
            budget_line.c.version == current.version,
        )
        .values(
            version=current.version + 1,
            **_line_values(line, audit["user"], audit["import_id"]),
        )
    )
    if updated.rowcount != 1:
        raise _changed_meanwhile(line)
    _write_outputs(connection, current.id, list(current.outputs), line.outputs)
    connection.execute(
        budget_location.delete().where(budget_location.c.line_id == current.id)
    )
    _write_locations(connection, current.id, line.locations)
    record_change(
        connection,
        entity="budget_line",
        entity_id=current.id,
        key=line.key,
        action="update",
        old=current.snapshot(),
        new=line.snapshot(),
        **audit,
    )


def _changed_meanwhile(line: BudgetLine) -> ConflictError:
    return ConflictError(
        f"Budget line {line.key} was changed by another user at the same time; "
        "reload it and try again.",
        indonesian=(
            f"Baris anggaran {line.key} diubah pengguna lain pada saat yang sama; "
            "muat ulang lalu coba lagi.",
            None,
        ),
    )


def _write_outputs(
    connection: Connection, line_id: int, old: list[Output], new: Iterable[Output]
) -> None:
    """Update outputs in place by position, so reported achievements keep theirs."""
    wanted = list(new)
    for position, output in enumerate(wanted, start=1):
        values = {"name": output.name, "unit": output.unit, "target": output.target}
        if position <= len(old):
            connection.execute(
                budget_output.update()
                .where(budget_output.c.id == old[position - 1].id)
                .values(**values)
            )
        else:
            connection.execute(
                budget_output.insert().values(
                    line_id=line_id, position=position, **values
                )
            )
    dropped = [item for item in old[len(wanted) :] if item.id is not None]
    if not dropped:
        return
    used = connection.execute(
        sa.select(quarterly_output.c.output_id).where(
            quarterly_output.c.output_id.in_([item.id for item in dropped])
        )
    ).first()
    if used is not None:
        name = next(item.name for item in dropped if item.id == used[0])
        raise WorkflowError(
            f"Output indicator {name!r} has quarterly achievements, so it cannot be "
            "removed.",
            indonesian=(
                f"Indikator keluaran {name!r} sudah punya capaian triwulan, jadi "
                "tidak bisa dihapus.",
                None,
            ),
        )
    connection.execute(
        budget_output.delete().where(
            budget_output.c.id.in_([item.id for item in dropped])
        )
    )


def _write_locations(
    connection: Connection, line_id: int, locations: Iterable[Location]
) -> None:
    rows = [
        {
            "line_id": line_id,
            "area_code": loc.area,
            "pagu": loc.pagu,
            "beneficiaries": loc.beneficiaries,
        }
        for loc in locations
    ]
    if rows:
        connection.execute(budget_location.insert(), rows)


def delete_line(
    connection: Connection, user: User, line_id: int, reason: str, channel: str
) -> None:
    """Delete a line without quarterly reports; the audit keeps it with the reason."""
    line = get_line(connection, line_id)
    check_budget_write(user, line.skpd)
    if not reason.strip():
        raise WorkflowError(
            "Deleting a budget line needs a reason.",
            indonesian=("Menghapus baris anggaran perlu alasan.", None),
        )
    reported = connection.execute(
        sa.select(quarterly_report.c.id).where(quarterly_report.c.line_id == line_id)
    ).first()
    if reported is not None:
        raise WorkflowError(
            f"Budget line {line.key} has quarterly reports, so it cannot be deleted.",
            hint="Set its pagu to 0 instead.",
            indonesian=(
                f"Baris anggaran {line.key} sudah punya laporan triwulan, jadi "
                "tidak bisa dihapus.",
                "Ubah pagunya menjadi 0.",
            ),
        )
    connection.execute(
        budget_location.delete().where(budget_location.c.line_id == line_id)
    )
    connection.execute(budget_output.delete().where(budget_output.c.line_id == line_id))
    connection.execute(budget_line.delete().where(budget_line.c.id == line_id))
    record_change(
        connection,
        entity="budget_line",
        entity_id=line_id,
        key=line.key,
        action="delete",
        old=line.snapshot(),
        new=None,
        user=user.username,
        channel=channel,
        reason=reason.strip(),
    )
