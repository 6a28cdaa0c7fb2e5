#!/usr/bin/python3
"""Checks `vtspec run --format json` with Python's own json module (not the runner's code).

usage: check_json_report.py VTSPEC CORPUS KNOWN

Runs the model target on CORPUS (json_report_corpus.yaml: one vector agrees, two diverge in
one class) without and with the KNOWN list (one of the two divergences listed) and checks the
counts the corpus text implies.
"""
import json
import subprocess
import sys


def run(vtspec, *args):
    p = subprocess.run([vtspec, "run", "--format", "json", "--target", "model", *args], capture_output=True, text=True)
    try:
        return p.returncode, json.loads(p.stdout)
    except json.JSONDecodeError as e:
        sys.exit(f"not one JSON document ({e}):\n{p.stdout}")


def expect(what, got, want):
    if got != want:
        sys.exit(f"{what}: {got!r}, expected {want!r}")


def main():
    vtspec, corpus, known = sys.argv[1:4]
    code, doc = run(vtspec, corpus)
    expect("exit code", code, 1)
    s = doc["summary"]
    for key, want in [("target", "model"), ("files", 1), ("vectors", 3), ("operations", 3), ("passed", 1),
                      ("failed", 2), ("skipped", 0), ("errors", 0), ("known", 0), ("fixed", 0)]:
        expect(f"summary.{key}", s[key], want)
    expect("files", doc["files"], [corpus])
    expect("skipped", doc["skipped"], {})
    classes = doc["divergence_classes"]
    expect("classes", [c["key"] for c in classes], ["read: completed value differs"])
    c = classes[0]
    expect("class operations", c["operations"], 2)
    expect("class vectors", c["vectors"], 2)
    expect("instances", [(i["vector"], i["operation"]) for i in c["instances"]],
           [("json/wrong-value-a", 0), ("json/wrong-value-b", 0)])
    example = c["example"]
    expect("example allowed", [a["outcome"] for a in example["allowed"]], ["completed, value 0x99"])
    expect("example observed", example["observed"], "completed, value 0x1122334455667788")
    if not example["trace"]:
        sys.exit("example has no trace")
    expect("vector statuses", [(v["id"], v["status"]) for v in doc["vectors"]],
           [("json/agrees", "pass"), ("json/wrong-value-a", "fail"), ("json/wrong-value-b", "fail")])
    expect("errors", doc["errors"], [])

    code, doc = run(vtspec, "--known", known, corpus)
    expect("exit code with the known list", code, 1)  # json/wrong-value-a still fails
    expect("summary.failed with the known list", doc["summary"]["failed"], 1)
    expect("summary.known with the known list", doc["summary"]["known"], 1)
    expect("summary.known_vectors with the known list", doc["summary"]["known_vectors"], 1)
    expect("known", [(k["at"]["vector"], k["reference"]) for k in doc["known_divergences"]],
           [("json/wrong-value-b", "json_report_corpus.yaml")])
    expect("classes with the known list", [(c["key"], c["operations"]) for c in doc["divergence_classes"]],
           [("read: completed value differs", 1)])
    print("ok")


if __name__ == "__main__":
    main()
