"""Alembic's environment: run the migrations on the connection edge_api.migrate holds (under its lock)."""

from alembic import context

from edge_api.models import Base

# edge_api.migrate always passes its connection (it holds the migration lock on it); there is no
# offline mode and no URL here, so nothing can migrate a database without that lock.
connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
