"""``python -m moodline_local.moto_server -H HOST -p PORT``: moto's server, tied to the life of its parent.

On Linux it asks the kernel for SIGTERM when the parent dies (``PR_SET_PDEATHSIG``), even by SIGKILL,
so a killed ``moodline-local serve`` never leaves a moto server behind. Elsewhere the parent's
``stop()`` and signal handlers are the guard.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import runpy
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    # Cognito checks TOTP codes as AWS does (moto accepts any code otherwise): the workspace's code step is real.
    os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    sys.argv = ["moto_server", *sys.argv[1:]]
    runpy.run_module("moto.server", run_name="__main__")


if __name__ == "__main__":
    main()
