"""Domain errors. Each carries its HTTP status and a Japanese message a person can act on.

Services raise them; one handler in :mod:`sales_growth.web.app` renders them. Bad input never becomes a 500.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "bad_request"
    message = "リクエストを処理できませんでした。"

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.message
        self.headers = headers or {}
        super().__init__(self.message)


class NotFoundError(DomainError):
    """Missing, or not visible to the caller: the two are indistinguishable on purpose."""

    status_code = 404
    code = "not_found"
    message = "見つかりません。"


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "forbidden"
    message = "この操作を行う権限がありません。"


class AuthenticationError(DomainError):
    status_code = 401
    code = "unauthenticated"
    message = "ログインが必要です。"


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"
    message = "他のデータと競合しています。"


class InvalidInputError(DomainError):
    status_code = 422
    code = "invalid_input"
    message = "入力内容に誤りがあります。"


class PayloadTooLargeError(DomainError):
    status_code = 413
    code = "payload_too_large"
    message = "ファイルが大きすぎます。"


class RateLimitedError(DomainError):
    status_code = 429
    code = "rate_limited"
    message = "リクエストが多すぎます。しばらく待ってから再度お試しください。"


class LockedError(DomainError):
    status_code = 423
    code = "locked"
    message = "アカウントがロックされています。"
