"""The web dashboard and the read-only JSON API."""

from p3bm.web.app import create_app

__all__ = ["create_app"]
