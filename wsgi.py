"""WSGI entry point: gunicorn serves `wsgi:app`; `flask --app wsgi` runs the commands."""

from app import create_app

app = create_app()
