"""Aiven's error shape: {"message": ..., "errors": [{"message", "status", "error_code"?}]}."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from aiohttp import web


class ApiError(Exception):
    """An error the emulator answers in Aiven's shape."""

    def __init__(self, status: int, message: str, error_code: Optional[str] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code

    def body(self) -> dict:
        entry = {"message": self.message, "status": self.status}
        if self.error_code:
            entry["error_code"] = self.error_code
        return {"message": self.message, "errors": [entry]}

    def response(self) -> web.Response:
        # aiohttp only here: the unit tests' fake API raises these errors where aiohttp is not installed.
        from aiohttp import web  # pylint: disable=import-outside-toplevel

        return web.json_response(self.body(), status=self.status, dumps=json.dumps)


# What Aiven answers for a path that is no route of its API, and for a failure of its own.
NOT_FOUND_TEXT = "Not found"
SERVER_ERROR_TEXT = "An error occurred. Please try again later."


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)
