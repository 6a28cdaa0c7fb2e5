#!/usr/bin/python3
"""Checks `vtspec run --shard K/N`, the GoogleTest shard variables and `vtspec run --list`
from the outside. The expected shard of each vector is computed here, by this file's own
FNV-1a 64 of the id (the hash conformance/runner/shard.hpp documents), and the ids are read
from the corpus with Python's yaml module: neither comes from the code under test.

usage: check_shards.py VTSPEC CORPUS_DIR CASE

CASE is one of:
  partition  for N in 1, 2, 5: every vector is listed in exactly one shard K/N, the one
             its id's hash chooses, and --list lists every vector when not sharded
  stable     a corpus with vectors added: no other vector changes shard (N = 2, 3)
  gtest      GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS list and run the same vectors as
             --shard, GTEST_SHARD_STATUS_FILE is created; half-set variables are refused
  bad        --shard 3/2, 0/2, 1/0, x: exit 2 with a message naming the option
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml


def fail(message):
    sys.exit(message)


def fnv1a64(text):
    h = 0xcbf29ce484222325
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001b3) % (1 << 64)
    return h


def corpus_files(path):
    if os.path.isfile(path):
        return [path]
    return [os.path.join(root, name) for root, _, files in os.walk(path) for name in files
            if name.endswith((".yaml", ".yml"))]


def corpus_ids(path):
    """The ids of the vectors in a vector file, or in the vector files under a directory."""
    ids = []
    for file in corpus_files(path):
        with open(file) as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("vtspec/vector/"):
            continue
        ids += [v["id"] for v in doc.get("vectors", [])]
        for group in doc.get("groups", []):
            ids += [v["id"] for v in group.get("vectors", [])]
    return ids


def vtspec(binary, *args, env=None):
    return subprocess.run([binary, "run", *args], capture_output=True, text=True, env=env)


def listed(binary, corpus, *args, env=None):
    """The vector ids `vtspec run --list` prints: the indented lines' first word."""
    p = vtspec(binary, "--list", *args, corpus, env=env)
    if p.returncode != 0:
        fail(f"--list {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
    ids = []
    for line in p.stdout.splitlines():
        if line.startswith("  "):
            if "# needs: MAXPHYADDR" not in line:
                fail(f"--list line without its needs: {line!r}")
            ids.append(line.split()[0])
    return ids


def check_partition(binary, corpus):
    ids = corpus_ids(corpus)
    if len(ids) < 10:
        fail(f"only {len(ids)} vectors found in {corpus}")
    everything = listed(binary, corpus)
    if sorted(everything) != sorted(ids):
        fail(f"--list does not list exactly the corpus: {sorted(set(ids) ^ set(everything))}")
    for n in (1, 2, 5):
        seen = []
        for k in range(1, n + 1):
            shard = listed(binary, corpus, "--shard", f"{k}/{n}")
            want = sorted(i for i in ids if fnv1a64(i) % n == k - 1)
            if sorted(shard) != want:
                fail(f"shard {k}/{n}: listed {sorted(shard)}, FNV-1a says {want}")
            seen += shard
        if sorted(seen) != sorted(ids):
            fail(f"the {n} shards do not partition the corpus")


def check_stable(binary, corpus):
    with tempfile.TemporaryDirectory() as tmp:
        grown = os.path.join(tmp, "corpus")
        shutil.copytree(corpus, grown)
        # More vectors: tlb.yaml's again, each under a new id.
        with open(os.path.join(corpus, "tlb.yaml")) as f:
            text = re.sub(r"^(  - id: )", r"\1added/", f.read(), flags=re.M)
        with open(os.path.join(grown, "added.yaml"), "w") as f:
            f.write(text)
        added = set(corpus_ids(os.path.join(grown, "added.yaml")))
        if len(added) < 10 or not all(i.startswith("added/") for i in added):
            fail(f"the added file holds {sorted(added)}")
        for n in (2, 3):
            for k in range(1, n + 1):
                before = set(listed(binary, corpus, "--shard", f"{k}/{n}"))
                after = set(listed(binary, grown, "--shard", f"{k}/{n}"))
                if after - added != before:
                    fail(f"adding vectors moved others in shard {k}/{n}: {sorted(before ^ (after - added))}")


def check_gtest(binary, corpus):
    with tempfile.TemporaryDirectory() as tmp:
        status = os.path.join(tmp, "shard-status")
        env = dict(os.environ, GTEST_SHARD_INDEX="1", GTEST_TOTAL_SHARDS="3", GTEST_SHARD_STATUS_FILE=status)
        if listed(binary, corpus, env=env) != listed(binary, corpus, "--shard", "2/3"):
            fail("GTEST_SHARD_INDEX=1 GTEST_TOTAL_SHARDS=3 does not list what --shard 2/3 lists")
        if not os.path.exists(status):
            fail("GTEST_SHARD_STATUS_FILE was not created")
        want = len(listed(binary, corpus, "--shard", "2/3"))
        p = vtspec(binary, "--target", "model", corpus, env=env)
        summary = p.stdout.strip().splitlines()[-1]
        if p.returncode != 0 or f"--shard 2/3: " not in summary or f" {want} vectors" not in summary:
            fail(f"a run under GTEST_SHARD_INDEX=1 GTEST_TOTAL_SHARDS=3 (exit {p.returncode}): {summary!r}, "
                 f"expected shard 2/3 with {want} vectors")
        if listed(binary, corpus, "--shard", "1/1", env=env) != listed(binary, corpus):
            fail("--shard does not override the GTEST variables")
    for half in ({"GTEST_SHARD_INDEX": "0"}, {"GTEST_TOTAL_SHARDS": "2"}, {"GTEST_SHARD_INDEX": "2", "GTEST_TOTAL_SHARDS": "2"}):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GTEST_")}
        env.update(half)
        p = vtspec(binary, "--list", corpus, env=env)
        if p.returncode != 2 or "GTEST_" not in p.stderr:
            fail(f"{half}: exit {p.returncode}, stderr {p.stderr!r}; expected exit 2 naming the variables")


def check_bad(binary, corpus):
    for bad, words in (("3/2", "between 1 and N=2"), ("0/2", "between 1 and N=2"), ("1/0", "at least 1"), ("x", "K/N")):
        p = vtspec(binary, "--target", "model", "--shard", bad, corpus)
        if p.returncode != 2 or f"--shard {bad}" not in p.stderr or words not in p.stderr:
            fail(f"--shard {bad}: exit {p.returncode}, stderr {p.stderr!r}; expected exit 2 and {words!r}")
        if p.stdout:
            fail(f"--shard {bad} ran something: {p.stdout!r}")


CASES = {"partition": check_partition, "stable": check_stable, "gtest": check_gtest, "bad": check_bad}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        fail(__doc__)
    for name in ("GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS"):
        os.environ.pop(name, None)  # ctest itself may run sharded: the cases set their own
    CASES[sys.argv[3]](sys.argv[1], sys.argv[2])
