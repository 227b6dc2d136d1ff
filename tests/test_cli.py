"""The embedding-projector command: help, and user errors as clean messages."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embedding_projector", *args],
                          capture_output=True, text=True, timeout=60)


def test_serve_help_lists_every_option() -> None:
    out = run("serve", "--help")
    assert out.returncode == 0
    for option in ("--host", "--port", "--data-dir", "--no-examples"):
        assert option in out.stdout


def test_bad_setting_is_a_message_not_a_traceback() -> None:
    out = run("serve", "--port", "70000")
    assert out.returncode == 2
    assert "port" in out.stderr and "Traceback" not in out.stderr
