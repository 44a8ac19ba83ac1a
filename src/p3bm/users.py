"""Users, roles, passwords, personal API tokens and the login audit.

Passwords are hashed with Argon2id (argon2-cffi's defaults). API tokens are
random strings shown once; only their SHA-256 digest is stored. Every login,
failed login, lockout and change to a user or token is recorded in
``auth_event``. After ``FAILED_LOGINS_ALLOWED`` failures within
``FAILURE_WINDOW``, a user name (one without a user too) is locked for 30
seconds, doubling with each further failure up to 15 minutes; an address
with ``IP_FAILURES_ALLOWED`` failures in the window is refused outright until
the window passes.

Each user has a session version that web sessions carry from their login.
Logging out, changing the password, and disabling or enabling the user
increase it, which revokes every session issued before.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from p3bm.areas.registry import get_area
from p3bm.errors import NotAuthenticated, P3BMError, TooManyAttempts
from p3bm.observations import utc_now
from p3bm.storage.database import Database
from p3bm.storage.schema import api_token, app_user, auth_event, skpd

ROLES = ("admin", "analyst", "skpd_operator", "area_operator", "viewer")
ROLE_LABELS = {
    "admin": ("Administrator", "Administrator"),
    "analyst": ("Analis Bappeda (walidata)", "Bappeda analyst (data steward)"),
    "skpd_operator": ("Operator SKPD", "SKPD operator"),
    "area_operator": ("Operator kecamatan/kelurahan", "District or village operator"),
    "viewer": ("Pembaca", "Viewer"),
}
MIN_PASSWORD_LENGTH = 10
FAILED_LOGINS_ALLOWED = 5
IP_FAILURES_ALLOWED = 20
FAILURE_WINDOW = timedelta(minutes=15)
FIRST_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 15 * 60
TOKEN_PREFIX = "p3bm_"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
_hasher = PasswordHasher()
_NEXT_SESSION_VERSION = app_user.c.session_version + 1


class UserError(P3BMError):
    code = "invalid_user"


@dataclass(frozen=True)
class User:
    """A person who signs in, with the role that decides what they may do."""

    id: int
    username: str
    full_name: str
    role: str
    skpd_code: str | None
    areas: tuple[str, ...]
    is_active: bool
    session_version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def role_label(self, lang: str = "id") -> str:
        return ROLE_LABELS[self.role][1 if lang == "en" else 0]

    def to_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "full_name": self.full_name,
            "role": self.role,
            "skpd": self.skpd_code,
            "areas": list(self.areas),
            "is_active": self.is_active,
        }


def _user_from_row(row) -> User:
    return User(
        id=row.id,
        username=row.username,
        full_name=row.full_name,
        role=row.role,
        skpd_code=row.skpd_code,
        areas=tuple(row.areas or ()),
        is_active=bool(row.is_active),
        session_version=row.session_version,
    )


def record_event(
    connection: Connection,
    username: str,
    event: str,
    *,
    ip: str | None = None,
    actor: str | None = None,
    detail: str | None = None,
) -> None:
    """Add a row to the login and account audit."""
    connection.execute(
        auth_event.insert().values(
            at=utc_now(),
            username=username,
            event=event,
            ip=ip,
            actor=actor,
            detail=detail,
        )
    )


def _check_new_user(connection: Connection, role, skpd_code, areas) -> None:
    if role not in ROLES:
        raise UserError(
            f"Unknown role {role!r}; use one of {', '.join(ROLES)}.",
            indonesian=(
                f"Peran {role!r} tidak dikenal; pakai salah satu dari "
                f"{', '.join(ROLES)}.",
                None,
            ),
        )
    if role == "skpd_operator":
        if not skpd_code:
            raise UserError(
                "An SKPD operator needs --skpd CODE.",
                indonesian=("Operator SKPD wajib diberi SKPD (--skpd KODE).", None),
            )
        known = connection.execute(
            sa.select(skpd.c.code).where(skpd.c.code == skpd_code)
        ).first()
        if known is None:
            raise UserError(
                f"SKPD {skpd_code!r} is unknown.",
                indonesian=(f"SKPD {skpd_code!r} tidak dikenal.", None),
            )
    if role == "area_operator":
        if not areas:
            raise UserError(
                "A kecamatan or kelurahan operator needs --area CODE.",
                indonesian=(
                    "Operator kecamatan/kelurahan wajib diberi wilayah (--area KODE).",
                    None,
                ),
            )
        for code in areas:
            get_area(connection, code)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            indonesian=(f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.", None),
        )


def create_user(
    connection: Connection,
    username: str,
    *,
    full_name: str,
    role: str,
    password: str,
    actor: str,
    skpd_code: str | None = None,
    areas: tuple[str, ...] = (),
) -> User:
    """Add a user; raises UserError for a bad name, role, SKPD, area or password."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise UserError(
            f"User name {username!r} is invalid; use 2-63 lower-case letters, "
            "digits, dots, dashes or underscores.",
            indonesian=(
                f"Nama pengguna {username!r} tidak sah; pakai 2-63 huruf kecil, "
                "angka, titik, tanda hubung atau garis bawah.",
                None,
            ),
        )
    existing = connection.execute(
        sa.select(app_user.c.id).where(app_user.c.username == username)
    ).first()
    if existing is not None:
        raise UserError(
            f"User {username!r} already exists.",
            indonesian=(f"Pengguna {username!r} sudah ada.", None),
        )
    _check_new_user(connection, role, skpd_code, areas)
    check_password_strength(password)
    area_codes = [get_area(connection, code).code for code in areas]
    connection.execute(
        app_user.insert().values(
            username=username,
            full_name=full_name,
            role=role,
            skpd_code=skpd_code if role == "skpd_operator" else None,
            areas=area_codes,
            password_hash=_hasher.hash(password),
            is_active=True,
            created_at=utc_now(),
            created_by=actor,
            failed_logins=0,
        )
    )
    record_event(connection, username, "user_created", actor=actor, detail=role)
    return get_user(connection, username)


def get_user(connection: Connection, username: str) -> User:
    row = connection.execute(
        sa.select(app_user).where(app_user.c.username == username.strip().lower())
    ).first()
    if row is None:
        raise UserError(
            f"User {username!r} does not exist.",
            hint="See `p3bm user list`.",
            indonesian=(
                f"Pengguna {username!r} tidak ditemukan.",
                "Lihat daftarnya dengan `p3bm user list`.",
            ),
        )
    return _user_from_row(row)


def get_user_by_id(connection: Connection, user_id: int) -> User | None:
    row = connection.execute(
        sa.select(app_user).where(app_user.c.id == user_id)
    ).first()
    return _user_from_row(row) if row else None


def list_users(connection: Connection) -> list[User]:
    rows = connection.execute(sa.select(app_user).order_by(app_user.c.username))
    return [_user_from_row(row) for row in rows]


def set_active(connection: Connection, username: str, active: bool, actor: str) -> User:
    """Disable or enable a user and revoke their web sessions.

    A disabled user's tokens stop working too; enabling the user again brings
    back their unrevoked tokens but none of their earlier web sessions.
    """
    user = get_user(connection, username)
    if not active and user.role == "admin" and user.is_active:
        others = connection.execute(
            sa.select(sa.func.count())
            .select_from(app_user)
            .where(
                app_user.c.role == "admin",
                app_user.c.is_active.is_(True),
                app_user.c.id != user.id,
            )
        ).scalar()
        if not others:
            raise UserError(
                f"{username} is the only active administrator; add or enable "
                "another administrator first.",
                indonesian=(
                    f"{username} adalah satu-satunya administrator aktif; tambahkan "
                    "atau aktifkan administrator lain lebih dulu.",
                    None,
                ),
            )
    connection.execute(
        app_user.update()
        .where(app_user.c.id == user.id)
        .values(is_active=active, session_version=_NEXT_SESSION_VERSION)
    )
    record_event(
        connection,
        user.username,
        "user_enabled" if active else "user_disabled",
        actor=actor,
    )
    return get_user(connection, username)


def set_password(
    connection: Connection, username: str, password: str, actor: str
) -> None:
    """Set a user's password and revoke their web sessions."""
    check_password_strength(password)
    user = get_user(connection, username)
    connection.execute(
        app_user.update()
        .where(app_user.c.id == user.id)
        .values(
            password_hash=_hasher.hash(password),
            failed_logins=0,
            locked_until=None,
            session_version=_NEXT_SESSION_VERSION,
        )
    )
    record_event(connection, user.username, "password_changed", actor=actor)


def end_sessions(connection: Connection, user_id: int) -> None:
    """Revoke every web session of a user, as logging out does."""
    connection.execute(
        app_user.update()
        .where(app_user.c.id == user_id)
        .values(session_version=_NEXT_SESSION_VERSION)
    )


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=utc_now().tzinfo)


def _recent_failures(connection: Connection, column, value: str, now: datetime) -> int:
    return connection.execute(
        sa.select(sa.func.count())
        .select_from(auth_event)
        .where(
            column == value,
            auth_event.c.event == "login_failed",
            auth_event.c.at >= now - FAILURE_WINDOW,
        )
    ).scalar_one()


def _lock_seconds(failures: int) -> int:
    """Seconds a name stays locked after ``failures`` failed logins (0 if none)."""
    if failures < FAILED_LOGINS_ALLOWED:
        return 0
    return min(
        FIRST_LOCK_SECONDS * 2 ** (failures - FAILED_LOGINS_ALLOWED), MAX_LOCK_SECONDS
    )


def _unknown_name_locked_until(
    connection: Connection, name: str, now: datetime
) -> datetime | None:
    """When a name without a user stops being locked, counted from the audit.

    Unknown names are locked like real ones, so that a 429 does not tell which
    names exist.
    """
    failures, last = connection.execute(
        sa.select(sa.func.count(), sa.func.max(auth_event.c.at)).where(
            auth_event.c.username == name,
            auth_event.c.event == "login_failed",
            auth_event.c.at >= now - FAILURE_WINDOW,
        )
    ).one()
    seconds = _lock_seconds(failures)
    if not seconds or last is None:
        return None
    return _as_utc(last) + timedelta(seconds=seconds)  # type: ignore[operator]


def _refuse_if_throttled(
    connection: Connection, row, name: str, ip: str | None, now
) -> None:
    if (
        ip
        and _recent_failures(connection, auth_event.c.ip, ip, now)
        >= IP_FAILURES_ALLOWED
    ):
        raise TooManyAttempts(
            "Too many failed logins from this address; try again later.",
            retry_after=int(FAILURE_WINDOW.total_seconds()),
            indonesian=(
                "Terlalu banyak login gagal dari alamat ini; coba lagi nanti.",
                None,
            ),
        )
    if row is not None:
        locked_until = _as_utc(row.locked_until)
    else:
        locked_until = _unknown_name_locked_until(connection, name, now)
    if locked_until is not None and locked_until > now:
        wait = int((locked_until - now).total_seconds()) + 1
        raise TooManyAttempts(
            f"Too many failed logins; try again in {wait} seconds.",
            retry_after=wait,
            indonesian=(
                f"Terlalu banyak login gagal; coba lagi dalam {wait} detik.",
                None,
            ),
        )


def _register_failure(connection: Connection, username: str, row, ip, now) -> None:
    record_event(connection, username, "login_failed", ip=ip)
    if row is None:
        failures = _recent_failures(connection, auth_event.c.username, username, now)
    else:
        failures = row.failed_logins + 1
    seconds = _lock_seconds(failures)
    if seconds:
        record_event(connection, username, "locked", ip=ip, detail=f"{seconds} s")
    if row is None:
        return
    values: dict[str, object] = {"failed_logins": failures}
    if seconds:
        values["locked_until"] = now + timedelta(seconds=seconds)
    connection.execute(
        app_user.update().where(app_user.c.id == row.id).values(**values)
    )


def authenticate(
    db: Database, username: str, password: str, ip: str | None = None
) -> User:
    """The user whose name and password these are; every attempt is audited.

    Raises NotAuthenticated for a wrong name or password (the same message for
    both) and TooManyAttempts while the name or address is throttled. The
    attempt is written in a transaction of its own and committed before
    NotAuthenticated is raised, so that failures count towards the lock.
    """
    now = utc_now()
    # PostgreSQL stores no NUL character, and no valid user name contains one, so
    # it becomes U+FFFD: the attempt fails and is audited like any wrong name.
    name = (username or "").replace("\x00", "\ufffd").strip().lower()[:64]
    with db.begin() as connection:
        row = connection.execute(
            sa.select(app_user).where(app_user.c.username == name)
        ).first()
        _refuse_if_throttled(connection, row, name, ip, now)
        if (
            row is not None
            and row.is_active
            and _password_matches(row.password_hash, password)
        ):
            connection.execute(
                app_user.update()
                .where(app_user.c.id == row.id)
                .values(failed_logins=0, locked_until=None, last_login_at=now)
            )
            record_event(connection, name, "login", ip=ip)
            return _user_from_row(row)
        _register_failure(connection, name or "(empty)", row, ip, now)
    raise NotAuthenticated(
        "Wrong user name or password.",
        indonesian=("Nama pengguna atau kata sandi salah.", None),
    )


def _password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(connection: Connection, username: str, name: str, actor: str) -> str:
    """Create a personal API token and return it; it cannot be shown again."""
    user = get_user(connection, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection.execute(
        api_token.insert().values(
            user_id=user.id,
            name=name[:100],
            token_prefix=token[:12],
            token_hash=_digest(token),
            created_at=utc_now(),
        )
    )
    record_event(connection, user.username, "token_created", actor=actor, detail=name)
    return token


def list_tokens(connection: Connection, username: str) -> list[dict[str, object]]:
    user = get_user(connection, username)
    rows = connection.execute(
        sa.select(api_token)
        .where(api_token.c.user_id == user.id)
        .order_by(api_token.c.id)
    )
    return [
        {
            "id": r.id,
            "name": r.name,
            "prefix": r.token_prefix,
            "created_at": r.created_at,
            "last_used_at": r.last_used_at,
            "revoked_at": r.revoked_at,
        }
        for r in rows
    ]


def revoke_token(
    connection: Connection, username: str, token_id: int, actor: str
) -> None:
    user = get_user(connection, username)
    done = connection.execute(
        api_token.update()
        .where(
            api_token.c.id == token_id,
            api_token.c.user_id == user.id,
            api_token.c.revoked_at.is_(None),
        )
        .values(revoked_at=utc_now())
    )
    if done.rowcount == 0:
        raise UserError(f"User {username!r} has no active token {token_id}.")
    record_event(
        connection, user.username, "token_revoked", actor=actor, detail=str(token_id)
    )


def user_for_token(connection: Connection, token: str) -> User | None:
    """The active user owning an unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = connection.execute(
        sa.select(api_token.c.id, api_token.c.user_id).where(
            api_token.c.token_hash == _digest(token), api_token.c.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    user = get_user_by_id(connection, row.user_id)
    if user is None or not user.is_active:
        return None
    connection.execute(
        api_token.update()
        .where(api_token.c.id == row.id)
        .values(last_used_at=utc_now())
    )
    return user


def auth_events(connection: Connection, username: str | None = None, limit: int = 500):
    query = sa.select(auth_event).order_by(auth_event.c.id.desc()).limit(limit)
    if username:
        query = query.where(auth_event.c.username == username)
    return [dict(row._mapping) for row in connection.execute(query)]
