"""Run a Python entry point (``rasa``, ``rasa_sdk``) with the project's logging in force.

``python -m connectors.launch rasa run --enable-api …`` behaves like ``rasa run …`` except that
every log line of the process is PII-masked and follows ``LOG_FORMAT`` (text or JSON lines), and
so is anything else written to stderr (warnings, a library's own traceback printing).
Rasa and the SDK install ``coloredlogs`` on the root logger, which would replace our handler
with an unmasked, colour-only one; this launcher makes that call a no-op instead. Rasa's
structlog output goes through the standard logging module, so it is covered too.

For a Rasa process that serves turns (`rasa run`, `shell`, `interactive`, `test`), Rasa's
patches (`connectors.patches`) are installed here, before Rasa starts, and nowhere else.
"""

from __future__ import annotations

import logging
import os
import runpy
import sys

from clinic.adapters.logs import configure_logging, mask_stderr
from clinic.adapters.settings import Settings, secrets_from_files

logger = logging.getLogger(__name__)

#: The `rasa` commands whose process runs dialogue turns, and so gets the patches.
SERVES_TURNS = ("run", "shell", "interactive", "test")


def _keep_our_handlers() -> None:
    try:
        import coloredlogs
    except ImportError:  # not installed: nothing to neutralise
        return

    def install(level: int | str | None = None, **_: object) -> None:
        if level is not None:
            logging.getLogger().setLevel(level)

    coloredlogs.install = install


def auth_token_argument(token: str) -> str:
    """« --auth-token=TOKEN » in one word: a random token may begin with « - », which argparse
    would read as an option in « --auth-token TOKEN » (Rasa then refused to start, 1 in 64)."""
    return f"--auth-token={token}"


def main(argv: list[str] | None = None) -> None:
    """Configure logging, then run `argv[0]` as ``__main__`` with the remaining arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise SystemExit("usage: python -m connectors.launch MODULE [ARGS...]")
    secrets_from_files(os.environ)  # Rasa reads credentials.yml's ${VARS} from the environment
    settings = Settings.from_env()
    mask_stderr()  # first: the log handler, warnings and tracebacks all write through it
    configure_logging(settings.log_format, settings.log_level)
    _keep_our_handlers()
    module = args[0]
    if module == "rasa" and "--enable-api" in args and "--auth-token" not in args:
        # Given here, in this process's own argv, not on the command line: /proc/<pid>/cmdline
        # and `ps` show every user of the host the arguments a process was started with.
        if not settings.rasa_auth_token:
            raise SystemExit("RASA_AUTH_TOKEN must be set: Rasa's HTTP API would be open")
        args.append(auth_token_argument(settings.rasa_auth_token))
    if module == "rasa" and len(args) > 1 and args[1] in SERVES_TURNS:
        from connectors import patches  # imports Rasa: only for Rasa's own processes

        patches.install()
    sys.argv = [module, *args[1:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
