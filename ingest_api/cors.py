"""CORS for browser producers: which origins may call the API from a page, off by default.

``PULSE_API_CORS_ORIGINS`` is a comma list of exact origins (``https://app.example.org``) or
``*``. Browsers then may send ``POST /v1/events`` with the ``Authorization`` header from those
origins; no cookies are involved (the key travels in ``Authorization``), so credentials stay off.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Content-Encoding", "X-Request-ID")
EXPOSED_HEADERS = ("Retry-After", "X-Request-ID")
PREFLIGHT_MAX_AGE_S = 600


def parse_origins(value: object) -> tuple[str, ...]:
    """``PULSE_API_CORS_ORIGINS`` as a tuple; a malformed origin raises with the fix named."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        raise ValueError("PULSE_API_CORS_ORIGINS must be a comma list of origins")
    origins = tuple(o.strip() for o in value if isinstance(o, str) and o.strip())
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ValueError(
                f"PULSE_API_CORS_ORIGINS entry {origin!r} is not an origin: write "
                "scheme://host[:port] with no path or trailing slash (or * for any origin)"
            )
    return origins


def install_cors(app: FastAPI, origins: tuple[str, ...]) -> None:
    """Answer preflights and add the allow headers for ``origins``; nothing when it is empty."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        allow_credentials=False,
        max_age=PREFLIGHT_MAX_AGE_S,
    )
