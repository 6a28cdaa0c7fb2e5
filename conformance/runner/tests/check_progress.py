#!/usr/bin/python3
"""Checks the progress line of `vtspec run`, `vtspec fuzz` and `vtspec bench access`: drawn on a terminal (a pseudo-terminal from
util-linux's `script`, in bsdutils, Debian's essential set), absent when the output is not
a terminal, forced by --progress always, suppressed by --progress never. The total `run`
ends at is the corpus's vector count, read here with Python's yaml module; fuzz's is the
--cases count, or the cases its summary reports for --time; bench's is its summary's count.

usage: check_progress.py VTSPEC CORPUS_DIR
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

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


def on_terminal(command):
    """The bytes a command writes on a pseudo-terminal (stdout and stderr both), as text."""
    tty = subprocess.run(["script", "-q", "-e", "-c", " ".join(shlex.quote(a) for a in command), "/dev/null"],
                         capture_output=True, stdin=subprocess.DEVNULL)
    return tty.returncode, tty.stdout.decode("utf-8", "replace")


def check_fuzz_and_bench(vtspec, tmp):
    fuzz = [vtspec, "fuzz", "--target", "model", "--seed", "5", "--out", tmp]
    piped = subprocess.run(fuzz + ["--cases", "120"], capture_output=True, text=True)
    if piped.returncode != 0 or piped.stderr or "cases/s, ETA" in piped.stdout:
        fail(f"fuzz, not a terminal: must draw nothing (exit {piped.returncode}, stderr {piped.stderr!r})")
    forced = subprocess.run(fuzz + ["--cases", "120", "--progress", "always"], capture_output=True, text=True)
    if "vtspec fuzz: 120/120 cases (100%)" not in forced.stderr or "cases/s, ETA " not in forced.stderr:
        fail(f"fuzz --cases 120 --progress always: no line ending at 120/120 cases: {forced.stderr!r}")
    code, text = on_terminal(fuzz + ["--time", "2s"])
    ran = re.search(r"(\d+) cases \(\d+ skipped", text)
    if code != 0 or not ran:
        fail(f"fuzz --time 2s on a terminal: exit {code}, no summary: {text!r}")
    # A time-bounded run's total is an estimate ("~") until the deadline, then the count run.
    if "vtspec fuzz: " not in text or "/~" not in text or f"{ran.group(1)}/{ran.group(1)} cases (100%)" not in text:
        fail(f"fuzz --time 2s on a terminal: no estimated total, or no line ending at {ran.group(1)} cases: {text!r}")
    code, text = on_terminal(fuzz + ["--time", "1s", "--progress", "never"])
    if code != 0 or "cases/s, ETA" in text:
        fail(f"fuzz --progress never on a terminal drew a progress line: {text!r}")

    bench = [vtspec, "bench", "access", "--target", "model", "--limit", "3000"]
    piped = subprocess.run(bench, capture_output=True, text=True)
    ran = re.search(r"^ran (\d+) cases", piped.stdout, re.M)
    if piped.returncode != 0 or piped.stderr or not ran:
        fail(f"bench access, not a terminal: exit {piped.returncode}, stderr {piped.stderr!r}, stdout {piped.stdout!r}")
    code, text = on_terminal(bench)
    if code != 0 or f"vtspec bench access: {ran.group(1)}/" not in text or "cases/s, ETA " not in text:
        fail(f"bench access on a terminal: no progress line at {ran.group(1)} cases: {text!r}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail(__doc__)
    main(*sys.argv[1:])
    with tempfile.TemporaryDirectory() as tmp:
        check_fuzz_and_bench(sys.argv[1], tmp)
