"""Pages of the accounts domain: login and logout, and the admin's users, CSV import and inactive accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sales_growth.accounts import importing, passwords, reviews, service
from sales_growth.accounts.api import check_login_rate
from sales_growth.accounts.deps import SESSION_COOKIE, NowDep
from sales_growth.accounts.models import Role, TokenKind, User
from sales_growth.accounts.schemas import UserCreate, UserUpdate
from sales_growth.errors import DomainError, InvalidInputError
from sales_growth.settings import Settings
from sales_growth.web.deps import SessionDep, SessionRoute, SettingsDep
from sales_growth.web.pages import AdminPage, PageUser, home_path, render, see_other

router = APIRouter(tags=["accounts-pages"], include_in_schema=False, route_class=SessionRoute)

USERS_PER_PAGE = 50
IMPORT_MAX_BYTES = 1_000_000


# --- login and logout --------------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only a path of this site (``/x``), never ``//host`` or a URL: a login must not send anyone elsewhere."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _login_form(request: Request, *, error: str | None = None, email: str = "", status_code: int = 200) -> HTMLResponse:
    context = {"error": error, "email": email, "next": _safe_next(request.query_params.get("next"))}
    return render(request, "accounts/login.html", context, status_code=status_code)


def _secure(request: Request, settings: Settings) -> bool:
    return settings.cookie_secure if settings.cookie_secure is not None else request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_form(request)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Lockout, deactivation and rate limits answer with the form and their own Japanese message."""
    try:
        check_login_rate(request, session, settings, email)
        issued = service.login(session, email, password, TokenKind.SESSION, settings=settings, now=now)
    except DomainError as error:
        session.commit()  # failed attempts count towards the lockout
        return _login_form(request, error=error.message, email=email[:254], status_code=error.status_code)
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    max_age = settings.session_lifetime_hours * 3600
    response.set_cookie(
        SESSION_COOKIE, issued.value, max_age=max_age, httponly=True, samesite="lax", secure=_secure(request, settings)
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep, now: NowDep) -> RedirectResponse:
    value = request.cookies.get(SESSION_COOKIE)
    if value:
        service.logout(session, value, now=now)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request, settings))
    return response


@router.get("/")
def start_page(user: PageUser) -> RedirectResponse:
    """Each role's starting page."""
    return RedirectResponse(home_path(user), status_code=303)


# --- admin: users ------------------------------------------------------------------------------------------------


def _managers(session: Session) -> list[User]:
    """Who may be someone's manager: active managers and admins."""
    query = select(User).where(User.role.in_([Role.MANAGER, Role.ADMIN]), User.is_active.is_(True))
    return list(session.scalars(query.order_by(User.name, User.id)))


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request, session: SessionDep, admin: AdminPage, now: NowDep, role: str = "", page: int = 1
) -> HTMLResponse:
    chosen = Role(role) if role in {r.value for r in Role} else None
    page = max(page, 1)
    users, total = service.list_users(
        session, admin, role=chosen, limit=USERS_PER_PAGE, offset=(page - 1) * USERS_PER_PAGE
    )
    names = service.names_of(session, (u.manager_id for u in users if u.manager_id is not None))
    context = {
        "users": users,
        "total": total,
        "manager_names": names,
        "role": role,
        "page": page,
        "pages": max(1, -(-total // USERS_PER_PAGE)),
        "now": now,
    }
    return render(request, "accounts/users.html", context)


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_page(request: Request, session: SessionDep, _admin: AdminPage) -> HTMLResponse:
    return _new_user_form(request, session)


def _new_user_form(
    request: Request, session: Session, *, errors: list[str] | None = None, values: dict[str, str] | None = None
) -> HTMLResponse:
    context = {"managers": _managers(session), "errors": errors or [], "values": values or {}}
    return render(request, "accounts/user_new.html", context, status_code=422 if errors else 200)


@router.post("/admin/users/new", response_class=HTMLResponse)
def create_user(
    request: Request,
    session: SessionDep,
    admin: AdminPage,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "member",
    manager_id: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Create a user; without a password one is generated and shown once."""
    values = {"email": email, "name": name, "role": role, "manager_id": manager_id}
    generated = None if password else passwords.generate()
    try:
        data = UserCreate(
            email=email,
            name=name.strip() or "",
            role=_role(role),
            manager_id=_optional_id(manager_id),
            password=password or generated or "",
        )
        user = service.create_user(session, admin, data)
    except (DomainError, ValueError) as error:
        session.rollback()
        return _new_user_form(request, session, errors=[_message(error)], values=values)
    return render(request, "accounts/user_created.html", {"created": user, "generated_password": generated})


def _role(value: str) -> Role:
    if value not in {r.value for r in Role}:
        raise InvalidInputError("役割を選んでください。")
    return Role(value)


def _optional_id(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        raise InvalidInputError("上司の指定が正しくありません。")
    return int(value)


def _message(error: Exception) -> str:
    """A person's message for a refused form: a domain error's own, or a fixed one for invalid fields."""
    if isinstance(error, DomainError):
        return error.message
    return "メールアドレス・名前（100文字まで）・パスワード（8文字以上）を確認してください。"


@router.get("/admin/users/{user_id:int}", response_class=HTMLResponse)
def user_page(request: Request, user_id: int, session: SessionDep, admin: AdminPage, now: NowDep) -> HTMLResponse:
    return _user_form(request, session, service.get_user(session, admin, user_id), now=now)


def _user_form(
    request: Request, session: Session, user: User, *, now: datetime, errors: list[str] | None = None
) -> HTMLResponse:
    context = {
        "target": user,
        "managers": [m for m in _managers(session) if m.id != user.id],
        "locked": user.locked_until is not None and user.locked_until > now,
        "errors": errors or [],
    }
    return render(request, "accounts/user_edit.html", context, status_code=422 if errors else 200)


@router.post("/admin/users/{user_id:int}", response_model=None)
def update_user(
    request: Request,
    user_id: int,
    session: SessionDep,
    admin: AdminPage,
    now: NowDep,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    manager_id: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Change name, role and manager (and the password, when one is typed)."""
    try:
        fields: dict[str, object] = {"manager_id": _optional_id(manager_id)}
        if name.strip():
            fields["name"] = name.strip()
        if role:
            fields["role"] = _role(role)
        if password:
            fields["password"] = password
        changes = UserUpdate.model_validate(fields)
        service.update_user(session, admin, user_id, changes, now=now)
    except (DomainError, ValueError) as error:
        if isinstance(error, DomainError) and error.status_code == 404:
            raise
        session.rollback()
        return _user_form(
            request, session, service.get_user(session, admin, user_id), now=now, errors=[_message(error)]
        )
    return see_other(f"/admin/users/{user_id}?notice=saved")


@router.post("/admin/users/{user_id:int}/active")
def set_active(
    user_id: int, session: SessionDep, admin: AdminPage, now: NowDep, active: Annotated[str, Form()] = "0"
) -> RedirectResponse:
    """Deactivate (every session and token of the account ends at once) or reactivate an account."""
    turn_on = active == "1"
    service.update_user(session, admin, user_id, UserUpdate(is_active=turn_on), now=now)
    return see_other(f"/admin/users/{user_id}?notice={'reactivated' if turn_on else 'deactivated'}")


@router.post("/admin/users/{user_id:int}/unlock")
def unlock(user_id: int, session: SessionDep, admin: AdminPage, now: NowDep) -> RedirectResponse:
    service.update_user(session, admin, user_id, UserUpdate(unlock=True), now=now)
    return see_other(f"/admin/users/{user_id}?notice=unlocked")


# --- admin: CSV import ---------------------------------------------------------------------------------------------


@router.get("/admin/users/import", response_class=HTMLResponse)
def import_page(request: Request, _admin: AdminPage) -> HTMLResponse:
    return render(request, "accounts/import.html", {"problems": [], "results": None})


@router.post("/admin/users/import", response_class=HTMLResponse)
def import_users(
    request: Request, session: SessionDep, admin: AdminPage, file: Annotated[UploadFile, File()]
) -> HTMLResponse:
    """Validate the whole file first: with any problem nothing is created and every line's problem is listed."""
    problems, results = _import(session, admin, file.file.read(IMPORT_MAX_BYTES + 1))
    context = {"problems": problems, "results": results, "filename": file.filename or ""}
    return render(request, "accounts/import.html", context, status_code=422 if problems else 200)


def _import(session: Session, admin: User, data: bytes) -> tuple[list[str], list[importing.Imported] | None]:
    if len(data) > IMPORT_MAX_BYTES:
        return ["ファイルが大きすぎます。1 MB 以下のCSVにしてください。"], None
    if not data.strip():
        return ["CSVファイルを選んでください。"], None
    try:
        rows = importing.parse(importing.decode(data))
    except DomainError as error:
        return [error.message], None
    problems = importing.validate(session, rows)
    if problems:
        return problems, None
    if not rows:
        return ["CSVに登録する行がありません。"], None
    return [], importing.import_rows(session, rows, actor=admin)


# --- admin: inactive accounts --------------------------------------------------------------------------------------


@router.get("/admin/accounts/inactive", response_class=HTMLResponse)
def inactive_page(
    request: Request, session: SessionDep, _admin: AdminPage, now: NowDep, days: int = 90
) -> HTMLResponse:
    days = min(max(days, 1), 3650)
    users = reviews.inactive_users(session, days=days, now=now)
    return render(request, "accounts/inactive.html", {"users": users, "days": days})


@router.post("/admin/accounts/inactive")
def deactivate_inactive(
    session: SessionDep,
    admin: AdminPage,
    now: NowDep,
    days: Annotated[int, Form(ge=1, le=3650)] = 90,
    user_id: Annotated[list[int] | None, Form()] = None,
) -> RedirectResponse:
    """Deactivate the ticked accounts that are still inactive (admins are never deactivated this way)."""
    chosen = set(user_id or [])
    for user in reviews.inactive_users(session, days=days, now=now):
        if user.id in chosen and user.role != Role.ADMIN:
            service.set_active(session, admin, user, active=False, now=now, reason=f"inactive_{days}_days")
    session.flush()
    return see_other(f"/admin/accounts/inactive?days={days}&notice=deactivated")
