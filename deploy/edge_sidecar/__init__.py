"""The edge-sidecar package (deploy/pyproject.toml): CORS policy parsing, the launcher, direct-mode CORS."""
