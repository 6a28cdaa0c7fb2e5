#!/usr/bin/python3
"""Checks `vtspec run --results F` from the outside, with Python's own json and xml.etree
(implementations that are not ours), as issue 9 asks for.

usage: check_results_file.py VTSPEC CORPUS CASE

CORPUS is json_report_corpus.yaml (three vectors: one agrees, two diverge). CASE is one of:
  utf8      a corpus under a directory whose name is not UTF-8 (and holds a control
            character): the results file is UTF-8 JSON, one record a line, the JUnit file
            well-formed XML, the --format json document valid; the bad bytes read U+FFFD
  exists    --results F without --resume on an existing F: exit 2, F left alone
  target    records of --target model resumed with --target kvm: exit 2, naming both
  spelling  the corpus as DIR, then resumed as ./DIR/: nothing runs again, no new record
  locked    F locked (flock) by another process: exit 2 at once, "in use"
"""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

BAD_NAME = b"corpus-\xff\xfe-\xe2\x82-\xc0\xaf-\xed\xa0\x80-\x01"  # invalid UTF-8, and U+0001
REPLACED = "corpus-\ufffd\ufffd-\ufffd-\ufffd\ufffd-\ufffd\ufffd\ufffd-"


def fail(message):
    sys.exit(message)


def run(vtspec, *args, cwd=None):
    return subprocess.run([vtspec, "run", *args], capture_output=True, cwd=cwd)


def expect(what, got, want):
    if got != want:
        fail(f"{what}: {got!r}, expected {want!r}")


def expect_in(what, needle, haystack):
    if needle not in haystack:
        fail(f"{what}: {needle!r} not in:\n{haystack}")


def records(path):
    """Every line of the results file, as JSON objects; the file must be strict UTF-8."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"{path} is not UTF-8: {e}")
    if not text.endswith("\n"):
        fail(f"{path} does not end in a newline")
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as e:
            fail(f"{path}:{n}: not JSON ({e}): {line!r}")
    return out


def case_utf8(vtspec, corpus, tmp):
    bad_dir = os.path.join(os.fsencode(tmp), BAD_NAME)
    os.mkdir(bad_dir)
    shutil.copy(corpus, os.path.join(bad_dir, b"c.yaml"))
    results, junit = os.path.join(tmp, "r.jsonl"), os.path.join(tmp, "j.xml")
    p = run(vtspec, "--target", "model", "--results", results, "--junit", junit, bad_dir)
    expect("exit code", p.returncode, 1)  # two vectors of the corpus diverge
    got = records(results)
    expect("records", len(got), 3)
    for r in got:
        expect_in("the file of a record", REPLACED, r["file"])
        if not r["hash"] or not r["target"]:
            fail(f"record without hash or target: {r}")
    try:
        suite = ElementTree.parse(junit).getroot()
    except ElementTree.ParseError as e:
        fail(f"{junit} is not well-formed XML: {e}")
    cases = suite.findall("./testsuite/testcase")
    expect("JUnit test cases", len(cases), 3)
    for c in cases:
        expect_in("a test case's classname", REPLACED, c.get("classname"))
    p = run(vtspec, "--target", "model", "--format", "json", bad_dir)
    try:
        doc = json.loads(p.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"--format json is not UTF-8 JSON ({e}):\n{p.stdout!r}")
    expect_in("--format json files", REPLACED, doc["files"][0])


def case_exists(vtspec, corpus, tmp):
    results = os.path.join(tmp, "r.jsonl")
    expect("first run", run(vtspec, "--target", "model", "--results", results, corpus).returncode, 1)
    with open(results, "rb") as f:
        before = f.read()
    p = run(vtspec, "--target", "model", "--results", results, corpus)
    expect("exit code of the second run", p.returncode, 2)
    expect_in("its message", f"{results} exists: pass --resume to continue that run, or name a new file",
              (p.stdout + p.stderr).decode())
    with open(results, "rb") as f:
        expect("the results file", f.read(), before)
    helptext = subprocess.run([vtspec, "run", "--help"], capture_output=True, text=True).stdout
    expect_in("--help", "refused", helptext)


def case_target(vtspec, corpus, tmp):
    results = os.path.join(tmp, "r.jsonl")
    expect("model run", run(vtspec, "--target", "model", "--results", results, corpus).returncode, 1)
    with open(results, "rb") as f:
        before = f.read()
    p = run(vtspec, "--target", "kvm", "--resume", "--results", results, corpus)
    expect("exit code of the kvm resume", p.returncode, 2)
    message = (p.stdout + p.stderr).decode()
    expect_in("its message names the file's target", "model (vtspec ", message)
    expect_in("its message names this run's target", "this run's target is kvm (", message)
    if p.stdout.decode().count("resumed"):
        fail(f"records were resumed:\n{p.stdout.decode()}")
    with open(results, "rb") as f:
        expect("the results file", f.read(), before)


def case_spelling(vtspec, corpus, tmp):
    os.mkdir(os.path.join(tmp, "big"))
    shutil.copy(corpus, os.path.join(tmp, "big", "c.yaml"))
    results = os.path.join(tmp, "r.jsonl")
    expect("first run", run(vtspec, "--target", "model", "--results", results, "big", cwd=tmp).returncode, 1)
    p = run(vtspec, "--target", "model", "--resume", "--results", results, "./big/", cwd=tmp)
    expect("exit code of the resume", p.returncode, 1)  # the two divergences are remembered
    expect_in("its summary", "(3 resumed from", p.stdout.decode())
    expect("records", len(records(results)), 3)


def case_locked(vtspec, corpus, tmp):
    results = os.path.join(tmp, "r.jsonl")
    with open(results, "ab") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        for resume in ([], ["--resume"]):
            p = run(vtspec, "--target", "model", *resume, "--results", results, corpus)
            expect(f"exit code {resume}", p.returncode, 2)
            expect_in("its message", f"{results} is in use by another vtspec run (pid {os.getpid()})", (p.stdout + p.stderr).decode())
    expect("the results file after", os.path.getsize(results), 0)


def main():
    vtspec, corpus, case = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="vtspec_results_") as tmp:
        globals()["case_" + case](os.path.abspath(vtspec), os.path.abspath(corpus), tmp)
    print("ok")


if __name__ == "__main__":
    main()
