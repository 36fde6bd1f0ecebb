"""The embedding model comes from the installed wheel: no download, no network, loaded lazily."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from briefing.settings import PROJECT_ROOT


def test_the_model_loads_with_the_network_blocked() -> None:
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network blocked by the test")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        import numpy as np
        from briefing.ask import embeddings

        vectors = embeddings.embed(["gas through power of siberia", "chinese car brands"])
        assert vectors.shape == (2, embeddings.DIMENSIONS)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
        print("ok")
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HOME": "/nonexistent"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_answering_a_trade_command_does_not_load_the_model() -> None:
    script = textwrap.dedent(
        """
        import sys
        from briefing.ask import answer  # noqa: F401
        import handlers  # noqa: F401
        assert "wordllama" not in sys.modules, "loaded at import"
        assert "bm25s" not in sys.modules, "loaded at import"
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
