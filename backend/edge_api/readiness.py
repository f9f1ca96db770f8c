"""Database readiness probe: a ping in a dedicated worker thread, bounded by DB_HEALTH_TIMEOUT."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from edge_api.db import Database

logger = logging.getLogger(__name__)

# A hung ping keeps its thread until the driver gives up; a small private pool bounds how many
# can pile up and keeps them out of the threadpool that serves the routes.
_PROBE_THREADS = 2


class ReadinessProbe:
    def __init__(self, database: Database, timeout: float) -> None:
        self._database = database
        self._timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=_PROBE_THREADS, thread_name_prefix="db-ready")

    async def database_ready(self) -> bool:
        """True when the database answered in time; failures are logged here, never returned to clients."""
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(self._executor, self._database.ping), self._timeout)
        except TimeoutError:
            logger.warning("readiness: database did not answer within %.2f s", self._timeout)
            return False
        except Exception as error:  # one line per failed probe: healthchecks repeat, tracebacks would flood
            reason = str(error).splitlines()[0] if str(error) else ""
            logger.warning("readiness: database unavailable: %s: %s", type(error).__name__, reason)
            return False
        return True

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
