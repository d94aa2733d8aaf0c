"""Helpers of the completion tests: run ``crowd``'s completion protocol in a subprocess, and
type into a real interactive shell on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

#: The bin folder of the environment running the tests (where the ``crowd`` script is).
BIN = Path(sys.executable).parent

#: Runs ``crowd`` in-process and prints, on stderr, which heavy packages it imported.
PROBE = """\
import sys
sys.argv = ["crowd"]
from crowdkit_core.cli.app import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "pydantic", "scipy", "torch", "pyarrow"})
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
"""


def shell_env(home: Path, cache: Path) -> dict[str, str]:
    """An environment whose HOME and completion cache are the test's own, with ``crowd`` on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CROWDKIT_", "_CROWD", "_TYPER"))}
    env.update(HOME=str(home), CROWDKIT_COMPLETION_CACHE=str(cache), TERM="xterm",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", CROWDKIT_DATA_HOME=str(home / "data"))
    return env


def complete_bash(env: dict[str, str], words: list[str], cword: int) -> tuple[list[str], set[str]]:
    """What ``crowd`` answers to bash's request (the words as bash splits them), and the heavy
    packages the completion process imported."""
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env={
        **env, "_CROWD_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words),
        "COMP_CWORD": str(cword)}, timeout=60)
    heavy = next(line for line in run.stderr.splitlines() if line.startswith("HEAVY="))[6:]
    return [line for line in run.stdout.splitlines() if line], set(filter(None, heavy.split(",")))


#: Terminal control sequences and the bell, which interleave with what a shell shows.
_CONTROL = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|[\x07\x08]")


def screen_text(output: bytes) -> bytes:
    """``output`` without colours, cursor moves and bells: the characters the shell drew."""
    return _CONTROL.sub(b"", output)


def type_into(argv: list[str], env: dict[str, str], keys: list[bytes], expect: bytes,
              timeout: float = 30.0, cwd: Path | None = None) -> bytes:
    """Start ``argv`` on a pseudo-terminal, type each of ``keys`` (waiting a little between
    them), and return what it drew (:func:`screen_text`) once ``expect`` appears (or after
    ``timeout``)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the shell
        if cwd is not None:
            os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        for key in keys:
            os.write(fd, key)
            output += _read(fd, 0.5)
        while expect not in screen_text(output) and time.monotonic() < deadline:
            output += _read(fd, 0.2)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return screen_text(output)


def _read(fd: int, seconds: float) -> bytes:
    """What the terminal shows within ``seconds``."""
    data = b""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data
