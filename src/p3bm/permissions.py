"""Who may read and write what.

- admin: everything, including users;
- analyst (Bappeda walidata): writes any indicator, verifies, returns,
  publishes, reopens and sets deadlines;
- skpd_operator: writes only the indicators of their own SKPD, for any area
  of the region, and submits their SKPD's data;
- area_operator: writes sectoral indicators only for their own kecamatan or
  kelurahan and the areas below them;
- viewer: reads everything, writes nothing;
- anonymous visitors read published values only.
"""

from __future__ import annotations

from p3bm.areas.registry import Area
from p3bm.catalogue import Indicator
from p3bm.errors import NotAuthenticated, PermissionDenied
from p3bm.i18n import in_language
from p3bm.users import User

PUBLIC_STATUSES = ("published",)
REVIEWER_ROLES = ("admin", "analyst")


def readable_statuses(user: User | None) -> tuple[str, ...] | None:
    """Statuses a reader may see; None means all of them."""
    return None if user is not None else PUBLIC_STATUSES


def require_user(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated(
            "Sign in first.", indonesian=("Silakan masuk terlebih dahulu.", None)
        )
    return user


def write_refusal(
    user: User | None,
    indicator: Indicator,
    area: Area,
    region: str | None = None,
    lang: str = "en",
) -> str | None:
    """Why ``user`` may not write ``indicator`` for ``area``, or None if allowed.

    ``region`` is the database's own region: an SKPD reports for it alone,
    while Bappeda also stores the province and national benchmarks.
    """

    def text(indonesian: str, english: str) -> str:
        return in_language(lang, indonesian, english)

    if user is None:
        return text(
            "pengunjung tanpa akun tidak dapat menulis",
            "anonymous visitors cannot write",
        )
    if user.role in REVIEWER_ROLES:
        return None
    where = f"{area.name} ({area.code})"
    if user.role == "skpd_operator":
        if indicator.skpd != user.skpd_code:
            return text(
                f"{indicator.code} milik SKPD {indicator.skpd}, bukan {user.skpd_code}",
                f"{indicator.code} belongs to SKPD {indicator.skpd}, not to "
                f"{user.skpd_code}",
            )
        if region is not None and not area.is_within(region):
            return text(
                f"{where} berada di luar wilayah {region}",
                f"{where} is outside the region {region}",
            )
        return None
    if user.role == "area_operator":
        if indicator.data_type != "sektoral":
            return text(
                f"{indicator.code} adalah statistik BPS, diisi oleh Bappeda",
                f"{indicator.code} is a BPS statistic, entered by Bappeda",
            )
        if not any(area.is_within(code) for code in user.areas):
            areas = ", ".join(user.areas)
            return text(
                f"{where} berada di luar {areas}", f"{where} is outside {areas}"
            )
        return None
    return text(
        f"peran {user.role_label('id')} tidak dapat menulis nilai",
        f"role {user.role} cannot write values",
    )


def check_write(user: User | None, indicator: Indicator, area: Area) -> None:
    reason = write_refusal(user, indicator, area)
    if reason is not None:
        alasan = write_refusal(user, indicator, area, lang="id")
        raise PermissionDenied(
            f"Not allowed: {reason}.", indonesian=(f"Tidak diizinkan: {alasan}.", None)
        )


def can_review(user: User | None) -> bool:
    return user is not None and user.role in REVIEWER_ROLES


def require_reviewer(user: User | None) -> User:
    if not can_review(require_user(user)):
        raise PermissionDenied(
            "Only Bappeda analysts and administrators may do this.",
            indonesian=("Hanya analis Bappeda dan administrator yang boleh.", None),
        )
    return user  # type: ignore[return-value]


def can_submit(user: User | None, skpd_code: str) -> bool:
    if user is None:
        return False
    if user.role in REVIEWER_ROLES:
        return True
    return user.role == "skpd_operator" and user.skpd_code == skpd_code


def require_admin(user: User | None) -> User:
    if require_user(user).role != "admin":
        raise PermissionDenied(
            "Only administrators may manage users.",
            indonesian=("Hanya administrator yang boleh mengelola pengguna.", None),
        )
    return user  # type: ignore[return-value]
