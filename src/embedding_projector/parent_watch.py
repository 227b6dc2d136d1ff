"""exit_with_parent: a server started by a Python session stops itself (SIGTERM) once that session is gone."""

from __future__ import annotations

import os
import signal
import threading

POLL_SECONDS = 0.5


def stop_when_parent_exits(interval: float = POLL_SECONDS) -> threading.Event:
    """Watch the parent pid on a daemon thread; SIGTERM this process when it changes. Set the event to stop."""
    parent = os.getppid()
    done = threading.Event()

    def watch() -> None:
        # Polling, as the worker's orphan check does: PR_SET_PDEATHSIG is Linux-only and tied to a thread.
        while not done.wait(interval):
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)  # the normal shutdown: jobs failed, workers stopped
                return

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
    return done
