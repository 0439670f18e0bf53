"""A WSGI app that answers 200 to anything: the server layers' own limits are tested in front
of it (tests/test_http_limits.py), without a database."""


def app(environ, start_response):  # noqa: ANN001, ANN201 - the WSGI signature
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
