"""Request and response shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sales_growth.accounts.models import Role


class TokenRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_at: datetime


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    manager_id: int | None
    is_active: bool
    last_login_at: datetime | None
    locked_until: datetime | None


class UserList(BaseModel):
    items: list[UserOut]
    total: int


class UserCreate(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.MEMBER
    manager_id: int | None = None
    password: str = Field(max_length=1024)


class UserUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    role: Role | None = None
    manager_id: int | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, max_length=1024)
    unlock: bool = False
