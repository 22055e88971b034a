"""Background settling: refold the rows ingest marked dirty while the worker has nothing else to do.

Ingest only marks the progress rows its events change (:mod:`lrs.progress.projection`); a read refolds the
dirty rows it covers first.  Right after a burst of ingest that first read would pay for every participant the
burst touched (a training of 1,000 active participants: ~1,000 refolds).  The :class:`Settler` does that work
in the background instead, in each server worker, so reads find the rows already clean:

* it wakes every ``interval_s`` seconds and does nothing while the worker is serving a request or served one
  in the last ``quiet_s`` seconds, or while any worker (of any server on the store) stored a statement in the
  last ``quiet_s`` seconds: sustained ingest is never slowed down by it, the rows are refolded once ingest
  pauses, each once however many batches marked it, not once per batch;
* otherwise it refolds up to ``batch`` dirty rows of one training per unit of work
  (:meth:`lrs.storage.port.Store.settle_progress`), checking for new requests between units, until nothing is
  dirty; several workers settling at once is harmless (the store's marks make each refold happen once).

Once settled, the idle worker also runs a full garbage collection when it served requests since its last one,
so that the next request does not pay for one.  Reads stay exact without the settler: a read never skips a
dirty row.  Errors are logged and retried at the next wake.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

from lrs.errors import LRSError
from lrs.storage.port import Store
from lrs.timeutil import now_us

log = logging.getLogger("lrs.progress.settler")

INTERVAL_S = 0.5
QUIET_S = 1.0  # idle this long before settling: never between the requests of ongoing traffic
BATCH = 100  # rows refolded per unit of work (one short write transaction, ~10 ms)
TRAININGS_PER_PASS = 50


class Settler:
    def __init__(
        self,
        store: Store,
        *,
        interval_s: float = INTERVAL_S,
        quiet_s: float = QUIET_S,
        batch: int = BATCH,
        clock: Callable[[], float] = time.monotonic,
        wall_us: Callable[[], int] = now_us,
    ) -> None:
        self.store = store
        self.interval_s = interval_s
        self.quiet_s = quiet_s
        self.batch = batch
        self._clock = clock
        self._wall_us = wall_us
        self._last_request = clock()
        self._in_request = False
        self._served = False  # requests since the last idle garbage collection
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def begin(self) -> None:
        """A request started: the worker is busy until :meth:`end` (the HTTP layer calls both)."""
        self._in_request = True
        self._served = True
        self._last_request = self._clock()

    def end(self) -> None:
        self._in_request = False
        self._last_request = self._clock()

    def quiet(self) -> bool:
        """No request in progress, and none for ``quiet_s`` seconds."""
        return not self._in_request and self._clock() - self._last_request >= self.quiet_s

    def ingest_paused(self) -> bool:
        """No statement stored by any worker (of any server on this store) for ``quiet_s`` seconds: other
        workers may be busy while this one idles, and settling then would take their CPU."""
        return self._wall_us() - self.store.latest_stored_us() >= self.quiet_s * 1_000_000

    def _may_work(self) -> bool:
        return self.quiet() and self.ingest_paused()

    def settle(self) -> int:
        """Refold dirty rows until none is left or a request arrives; how many were refolded."""
        done = 0
        while self._may_work():
            pending = self.store.dirty_trainings(TRAININGS_PER_PASS)
            if not pending:
                break
            for tenant, training_id in pending:
                while self._may_work():
                    settled = self.store.settle_progress(tenant, training_id, self.batch)
                    done += settled
                    if settled < self.batch:
                        break
        return done

    def start(self) -> None:
        """Run :meth:`settle` in a daemon thread every ``interval_s`` seconds until :meth:`stop`."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="progress-settler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def collect_garbage(self) -> bool:
        """A full garbage collection now, when the worker is quiet and served requests since the last one (so
        the next request does not pay for one: a large answer or refold can leave a full collection due)."""
        if not self._served or not self.quiet():
            return False
        self._served = False
        gc.collect()
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.settle()
            except LRSError as exc:  # the store is unavailable for a moment: try again at the next wake
                log.warning("settling progress rows failed: %s", exc)
            self.collect_garbage()
