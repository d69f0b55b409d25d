"""Where a build's heavy tasks run: in this process, or as tasks on a Dask cluster.

The build stays the single writer of the SQLite file: an executor only computes. ``map`` yields
results in the order of its items as soon as each (and every one before it) is ready, so rows
are written in the same order, and therefore with the same values, whichever executor ran them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from versions.kb.context import BuildError

IN_FLIGHT = 8  # tasks submitted ahead per Dask worker
POLL_SECONDS = 1.0  # how often a wait for a result checks the connection to the scheduler
LOST_AFTER = 30.0  # seconds without a scheduler connection before the build gives up


class LocalExecutor:
    """Runs every task here, one after the other (the default)."""

    name = "local"
    workers = 1

    def map(self, fn: Callable[..., Any], items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            yield fn(item)

    def handles(self, results: Iterable[Any]) -> list[Any]:
        """What a later task can take as input in place of each result: here, the result."""
        return list(results)

    def close(self) -> None:
        pass


class DaskExecutor:
    """Runs tasks on a ``dask.distributed`` cluster: an existing scheduler (``tcp://HOST:8786``)
    or a LocalCluster of ``workers`` processes started for this build.

    A worker that dies mid-build has its tasks rerun elsewhere by the scheduler; a lost
    scheduler ends the build with a BuildError (the previous database stays untouched)."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise BuildError(
                "a distributed build needs Dask: pip install 'yakkan[distributed]'"
            ) from None
        self.cluster: Any = None
        self.address = scheduler or ""
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="10s")
            else:
                self.cluster = LocalCluster(
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
                self.address = self.cluster.scheduler_address
        except Exception as exc:  # unreachable scheduler, workers that cannot start
            self.close()
            where = f"the Dask scheduler {scheduler}" if scheduler else "a local Dask cluster"
            raise BuildError(f"cannot start or reach {where}: {exc}") from None
        self.name = f"dask {self.address}"
        self._last: list[Any] = []

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def map(self, fn: Callable[..., Any], items: Iterable[Any]) -> Iterator[Any]:
        """Results in order. Items may hold futures of earlier results (see ``handles``): the
        workers then pass the data among themselves instead of through this process. Items
        are taken from ``items`` as tasks finish, at most ``IN_FLIGHT`` per worker ahead of the
        results read, so a generator of large inputs is never all in memory."""
        pending = iter(items)
        futures: list[Any] = []
        self._last = futures

        def submit(n: int) -> None:
            for item in itertools.islice(pending, n):
                futures.append(self.client.submit(fn, item, pure=False))

        try:
            submit(IN_FLIGHT * max(1, self.workers))
            done = 0
            while done < len(futures):
                result = self._result(futures[done])
                done += 1
                submit(1)
                yield result
        except (OSError, TimeoutError, concurrent.futures.CancelledError) as exc:
            raise BuildError(f"lost the Dask scheduler {self.address}: {exc!r}") from None
        except Exception as exc:
            if type(exc).__module__.startswith(("distributed", "tornado")):
                raise BuildError(f"lost the Dask scheduler {self.address}: {exc!r}") from None
            raise

    def _result(self, future: Any) -> Any:
        """The future's result, waiting as long as the client is connected. A future sent
        while the client was reconnecting is neither cancelled nor run when the client gives up
        (it is only released), so waiting on it alone would wait forever."""
        lost_since: float | None = None
        # a done-callback, not ``result(timeout=…)``: distributed's timed wait can lose the
        # result in a race (UnboundLocalError 'result' from distributed.utils.sync, seen on
        # 2026.11.0 in a 200-version build), and a wait without a timeout cannot
        finished = threading.Event()
        future.add_done_callback(lambda _: finished.set())
        while True:
            if finished.wait(POLL_SECONDS):
                return future.result()
            status = self.client.status
            if status == "running":
                lost_since = None
                continue
            now = time.monotonic()
            lost_since = lost_since or now
            if status in ("closing", "closed") or now - lost_since > LOST_AFTER:
                raise BuildError(f"lost the Dask scheduler {self.address} (client {status})")

    def handles(self, results: Iterable[Any]) -> list[Any]:
        """The futures of the last ``map``'s results (kept on the workers until released)."""
        del results
        return list(self._last)

    def close(self) -> None:
        for part in ("client", "cluster"):
            obj = getattr(self, part, None)
            if obj is not None:
                with contextlib.suppress(Exception):  # after a lost scheduler, close may fail too
                    obj.close()


def executor_for(scheduler: str | None = None, workers: int | None = None) -> Any:
    """The executor the CLI options ask for: none → local, else Dask."""
    if not scheduler and not workers:
        return LocalExecutor()
    return DaskExecutor(scheduler, workers)
