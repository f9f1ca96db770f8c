"""Runtime helpers that live inside the image: CORS policy parsing, the entrypoint, direct-mode CORS."""
