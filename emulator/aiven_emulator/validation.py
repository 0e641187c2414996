"""Request body validation with the limits of Aiven's OpenAPI document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Optional

from .errors import bad_request
from .model import POOL_MODES

if TYPE_CHECKING:
    from aiohttp import web

NAME_MAX = 63
USERNAME_MAX = 64
POOL_SIZE_MIN, POOL_SIZE_MAX = 1, 10000
# maxItems of a paginated list (GET .../db): the spec's bounds; without it, a page of the most.
PAGE_MIN, PAGE_MAX = 1, 250


async def json_object(request: web.Request) -> Dict[str, Any]:
    """The request body as a JSON object, or Aiven's 400."""
    return parse_json_object(await request.read())


def parse_json_object(raw: bytes) -> Dict[str, Any]:
    """A request body as a JSON object, or Aiven's 400; an empty body is an empty object."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Invalid JSON in request body") from None
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def _string(body: Dict[str, Any], key: str, max_len: int, required: bool) -> Optional[str]:
    if key not in body or body[key] is None:
        if required:
            raise bad_request(f"Missing required field '{key}'")
        return None
    value = body[key]
    if not isinstance(value, str):
        raise bad_request(f"Invalid value for '{key}': expected a string")
    if not 1 <= len(value) <= max_len:
        raise bad_request(f"Invalid value for '{key}': length must be between 1 and {max_len}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise bad_request(f"Invalid value for '{key}': control characters are not allowed")
    return value


def string_field(body: Dict[str, Any], key: str, max_len: int, required: bool) -> Optional[str]:
    """A string field of a body, 1 to ``max_len`` characters without control characters, or Aiven's 400."""
    return _string(body, key, max_len, required)


def _pool_mode(value: Any) -> Optional[str]:
    if value is not None and value not in POOL_MODES:
        raise bad_request(f"Invalid value for 'pool_mode': must be one of {', '.join(POOL_MODES)}")
    return value


def _pool_size(value: Any) -> Optional[int]:
    if value is None:
        return None
    # JSON booleans are ints in Python; the API's schema says integer only.
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("Invalid value for 'pool_size': expected an integer")
    if not POOL_SIZE_MIN <= value <= POOL_SIZE_MAX:
        raise bad_request(f"Invalid value for 'pool_size': must be between {POOL_SIZE_MIN} and {POOL_SIZE_MAX}")
    return value


def create_fields(body: Dict[str, Any]) -> Dict[str, Any]:
    """Validated fields of a create body; absent optional fields are None."""
    return {
        "pool_name": _string(body, "pool_name", NAME_MAX, required=True),
        "database": _string(body, "database", NAME_MAX, required=True),
        "username": _string(body, "username", USERNAME_MAX, required=False),
        "pool_mode": _pool_mode(body.get("pool_mode")),
        "pool_size": _pool_size(body.get("pool_size")),
    }


def update_fields(body: Dict[str, Any]) -> Dict[str, Any]:
    """Validated fields of an update body: only the keys present in it.

    ``"username": null`` is kept (it unpins the pool).
    """
    checked = {
        "database": _string(body, "database", NAME_MAX, required=False),
        "username": _string(body, "username", USERNAME_MAX, required=False),
        "pool_mode": _pool_mode(body.get("pool_mode")),
        "pool_size": _pool_size(body.get("pool_size")),
    }
    present = {key: value for key, value in checked.items() if key in body}
    # Only username may be nulled; null elsewhere means "not given".
    return {key: value for key, value in present.items() if value is not None or key == "username"}


def page_size(raw: Optional[str]) -> int:
    """The ``maxItems`` query parameter of a paginated list, or Aiven's 400."""
    if raw is None:
        return PAGE_MAX
    if not (raw.isascii() and raw.isdigit()) or not PAGE_MIN <= int(raw) <= PAGE_MAX:
        raise bad_request(f"Invalid value for 'maxItems': must be an integer between {PAGE_MIN} and {PAGE_MAX}")
    return int(raw)
