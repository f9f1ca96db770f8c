"""Reference FastAPI service served behind the edge sidecar (ASGI app: ``edge_api.main:app``)."""
