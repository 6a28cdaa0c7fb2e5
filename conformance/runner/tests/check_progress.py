#!/usr/bin/python3
"""Checks `vtspec run`'s progress line: drawn on a terminal (a pseudo-terminal from
util-linux's `script`, in bsdutils, Debian's essential set), absent when the output is not
a terminal, forced by --progress always, suppressed by --progress never. The total it ends
at is the corpus's vector count, read here with Python's yaml module.

usage: check_progress.py VTSPEC CORPUS_DIR
"""
import os
import shlex
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from check_shards import corpus_ids  # noqa: E402


def fail(message):
    sys.exit(message)


def main(vtspec, corpus):
    n = len(corpus_ids(corpus))
    final = f"vtspec run: {n}/{n} vectors (100%)"
    run = [vtspec, "run", "--target", "model", corpus]

    piped = subprocess.run(run, capture_output=True, text=True)
    if piped.returncode != 0 or piped.stderr or "\r" in piped.stdout or "vectors/s" in piped.stdout:
        fail(f"not a terminal: the run must draw nothing (exit {piped.returncode}, stderr {piped.stderr!r})")

    forced = subprocess.run(run + ["--progress", "always"], capture_output=True, text=True, errors="replace")
    if final not in forced.stderr or "vectors/s, ETA " not in forced.stderr:
        fail(f"--progress always: no progress line ending at {final!r} on stderr: {forced.stderr!r}")
    if forced.stdout != piped.stdout.replace(piped.stdout.splitlines()[-1], forced.stdout.splitlines()[-1]):
        fail("--progress always changed what the run writes on stdout")

    if not shutil.which("script"):
        fail("`script` (util-linux, bsdutils) is missing: it is in Debian's essential set")
    for progress, drawn in (("auto", True), ("never", False)):
        command = " ".join(shlex.quote(a) for a in run + ["--progress", progress])
        # Bytes: text mode would read each carriage return as a line end.
        tty = subprocess.run(["script", "-q", "-e", "-c", command, "/dev/null"], capture_output=True,
                             stdin=subprocess.DEVNULL)
        tty.stdout = tty.stdout.decode("utf-8", "replace")
        if tty.returncode != 0:
            fail(f"on a terminal, --progress {progress}: exit {tty.returncode}\n{tty.stdout}{tty.stderr}")
        if drawn and (final not in tty.stdout or "\r\x1b[K" not in tty.stdout):
            fail(f"on a terminal: no progress line ending at {final!r}: {tty.stdout!r}")
        if not drawn and "vectors/s" in tty.stdout:
            fail(f"--progress never on a terminal drew a progress line: {tty.stdout!r}")
        if f"vtspec run --target model: " not in tty.stdout:
            fail(f"on a terminal, --progress {progress}: no summary line: {tty.stdout!r}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail(__doc__)
    main(*sys.argv[1:])
