"""Aiven's error shape: {"message": ..., "errors": [{"message", "status", "error_code"?}]}."""

from __future__ import annotations

import json
from typing import Optional

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
        return web.json_response(self.body(), status=self.status, dumps=json.dumps)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)
