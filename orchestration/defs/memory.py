"""Python's cyclic garbage collector around the code location's big, long-lived object graphs.

Loading the definitions allocates hundreds of thousands of objects that live as long as the
process (the manifest, dagster-dbt's specs, the asset graph); the collector's full passes over
them while they are being built cost about a sixth of the load's CPU, and at interpreter exit
its last passes cost 0.5-2 s on an idle 2-core machine (up to 9 s on a busy one) for a command
line that is about to end anyway. So the load runs with the collector paused (reference counting
still frees everything that is not a cycle) and a command line that ran a refresh freezes the
heap at exit (`gc.freeze()`: the exit's collections skip it).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic collection inside the block (nested blocks keep it paused until the last)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_registered: list[bool] = []


def freeze_heap_at_exit() -> None:
    """At interpreter exit, freeze the heap before the collector's last passes (once)."""
    if not _registered:
        atexit.register(gc.freeze)
        _registered.append(True)
