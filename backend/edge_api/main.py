"""ASGI entry point for uvicorn: ``edge_api.main:app`` (the default APP_MODULE), settings from the env."""

from edge_api.app import create_app

app = create_app()
