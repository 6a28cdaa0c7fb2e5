#!/usr/bin/python3
"""Checks that `vtspec run --junit F` puts each divergence's allowed-versus-observed text in
its failure's message attribute (what CI web pages show), parsing F with Python's
xml.etree. On json_report_corpus.yaml the page at 0x20000 holds 0x1122334455667788 and
json/wrong-value-a expects 0x99: the message must say both, json/agrees has no failure.

usage: check_junit.py VTSPEC CORPUS
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree


def fail(message):
    sys.exit(message)


def main(vtspec, corpus):
    with tempfile.TemporaryDirectory() as tmp:
        junit = os.path.join(tmp, "junit.xml")
        p = subprocess.run([vtspec, "run", "--target", "model", "--junit", junit, corpus], capture_output=True, text=True)
        if p.returncode != 1:
            fail(f"exit {p.returncode}, expected 1\n{p.stdout}{p.stderr}")
        cases = {c.get("name"): c for c in ElementTree.parse(junit).getroot().iter("testcase")}
        if cases["json/agrees"].find("failure") is not None:
            fail("json/agrees has a failure")
        for name, expected in (("json/wrong-value-a", "0x99"), ("json/wrong-value-b", "0x98")):
            failure = cases[name].find("failure")
            if failure is None:
                fail(f"{name} has no failure")
            message = failure.get("message")
            for words in ("1 of 1 operations diverge", f"allowed: completed, value {expected}",
                          "observed: completed, value 0x1122334455667788", "operation 0 ("):
                if words not in message:
                    fail(f"{name}: failure message lacks {words!r}:\n{message}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail(__doc__)
    main(*sys.argv[1:])
