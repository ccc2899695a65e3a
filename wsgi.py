"""WSGI entry point: `app = create_app()` for gunicorn/waitress."""

from lectureorder import create_app

app = create_app()
