"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from points.app import create_app

app = create_app()
