"""Sending a stored delivery photo: its file under the random stored name, never a URL's path."""

from __future__ import annotations

from flask import Response, request, send_from_directory

from ..services import evidence
from . import edge


def send_photo(photo) -> Response:
    """The caller has checked access; ``?size=thumb`` answers the thumbnail through the same
    route, so it has the same access rule. A file missing on disk answers 404 (werkzeug's
    NotFound)."""
    folder, name = evidence.photo_location(photo, edge.photo_policy(),
                                           thumb=request.args.get("size") == "thumb")
    response = send_from_directory(folder, name, mimetype=photo.content_type, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"  # staff only: no shared caches
    return response
