#!/usr/bin/python3
"""Checks `vtspec oracle` through the Python client of docs/ (docs/oracle_client.py), with
Python's json (not vtspec's code) reading every answer.

usage: check_oracle_client.py VTSPEC DOCS_DIR

The outcomes expected come from the SDM (Vol. 3A 4.6, 4.7 and Figure 4-12, 4.10.4), the
positions from the request texts; none is copied from the service's output. Bad lines (not
JSON, not UTF-8, empty, longer than 1 MiB, a bad field) must each get an error answer, and
the next line must still be answered.
"""
import json
import os
import subprocess
import sys

# Page-fault error code bits, SDM Vol. 3A Figure 4-12.
P, W, U, RSVD, I = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4
PF = 14  # SDM Vol. 3A Table 6-1

# VA 0x400000 -> PA 0x20000 (user, read-only), 0x401000 -> 0x21000 (user, no execute),
# nothing at 0x800000. Tables from root 0x1000 in turn (vectors/SCHEMA.md): PDPT 0x2000,
# PD 0x3000, PT 0x4000; VA 0x400000 is PD index 2, PT index 0, so its PTE is at 0x4000.
STATE = {
    "paging": {"root": "0x1000", "map": ["map VA 0x400000 -> PA 0x20000, 4K, [P, US]",
                                         "map VA 0x401000 -> PA 0x21000, 4K, [P, RW, US, XD]"]},
    "memory": [{"gpa": "0x20000", "u64": "0x1122334455667788"}, {"gpa": "0x30000", "u64": "0x99"}],
}
PTE_400000 = 0x4000


def fail(message):
    sys.exit(f"FAIL: {message}")


def expect(what, got, want):
    if got != want:
        fail(f"{what}: {got!r}, expected {want!r}")


def events(operation):
    return [(o["result"], o["event"]) for o in operation["allowed"]]


def expect_only_fault(what, operation, error_code, cr2):
    for result, event in events(operation):
        expect(f"{what}: kind", event["kind"], "exception")
        expect(f"{what}: vector", event["vector"], PF)
        expect(f"{what}: error code", int(event["error_code"], 16), error_code)
        expect(f"{what}: CR2", int(event["cr2"], 16), cr2)
    expect(f"{what}: outcomes", [r for r, _ in events(operation)], ["valid"])


def check_outcomes(client, vtspec):
    with client.Oracle(vtspec) as oracle:
        # SDM Vol. 3A 4.6.1: a user-mode write needs R/W = 1; 4.7: P (protection, the page is
        # present) | W (a write) | U (user mode); CR2 is the linear address.
        answer = oracle.ask(STATE, [{"op": "write", "va": "0x400000", "value": "0x1", "cpl": 3}])
        expect_only_fault("user write to a read-only page", answer["operations"][0], P | W | U, 0x400000)
        if "guest PTE" not in answer["operations"][0]["trace"]:
            fail("the trace does not show the walk")

        # A user-mode read needs only U/S = 1 (4.6.1); a read of a page not mapped is a #PF with
        # P = 0 (not present), U = 1 (4.7).
        answer = oracle.ask(STATE, [{"op": "read", "va": "0x400000", "cpl": 3},
                                    {"op": "read", "va": "0x800000", "cpl": 3}])
        read, absent = answer["operations"]
        expect("user read", [(r, e["kind"], e["value"]) for r, e in events(read)],
               [("valid", "completed", "0x1122334455667788")])
        expect_only_fault("read of an unmapped page", absent, U, 0x800000)

        # With EFER.NXE = 1 (the default), a fetch from a page with XD = 1 is a #PF with I = 1
        # (4.6.1, 4.7).
        answer = oracle.ask(STATE, [{"op": "fetch", "va": "0x401000", "cpl": 3}])
        expect_only_fault("fetch from an XD page", answer["operations"][0], P | U | I, 0x401000)

        # 4.10.4.3: after the PTE changes and before INVLPG, the read may use either
        # translation: the new one (valid) or the TLB's (acceptable, CachedTranslation, with
        # a note); after INVLPG (4.10.4.1), only the new one. The PTE's A flag is set by the
        # first read (4.8).
        answer = oracle.ask(STATE, [{"op": "read", "va": "0x400000", "cpl": 3},
                                    {"op": "store_entry", "entry": "pte", "value": hex(0x30000 | P | U | 0x20)},
                                    {"op": "read", "va": "0x400000", "cpl": 3},
                                    {"op": "invlpg", "va": "0x400000"},
                                    {"op": "read", "va": "0x400000", "cpl": 3}],
                            entries={"pte": hex(PTE_400000)})
        first, store, stale, invlpg, fresh = answer["operations"]
        expect("first read: A of the PTE", [o["entries"]["pte"]["A"] for o in first["allowed"]], ["set"])
        expect("entries after the store", int(store["entries_after"]["pte"], 16), 0x30000 | P | U | 0x20)
        expect("read before INVLPG", [(o["result"], o["event"]["value"], o["flags"]) for o in stale["allowed"]],
               [("valid", "0x99", []), ("acceptable", "0x1122334455667788", ["CachedTranslation"])])
        if "4.10" not in answer["notes"].get("CachedTranslation", ""):
            fail(f"notes: no SDM reason for CachedTranslation: {answer['notes']}")
        expect("read after INVLPG", [(o["result"], o["event"]["value"]) for o in fresh["allowed"]], [("valid", "0x99")])

        # A refusal is an exception of the client, naming the field.
        try:
            oracle.ask(STATE, [{"op": "read", "va": "0x400000", "size": 3}])
            fail("size 3 was not refused")
        except client.OracleError as e:
            expect("refused field", e.field, "operations[0].size")


def check_bad_lines(client, vtspec):
    good = json.dumps({"id": "good", "state": STATE, "operations": [{"op": "read", "va": "0x400000", "cpl": 3}]})
    bad_va = json.dumps({"id": "bad-va", "state": STATE, "operations": [{"op": "read", "va": "0x800000000000"}]})
    lines = [
        (b"not json", None),
        (b"\xff\xfe{}", None),
        (b"", None),
        (b"x" * (2 << 20), None),  # 2 MiB: over the 1 MiB limit
        (b"[1, 2]", None),
        (bad_va.encode(), "bad-va"),
        (good.encode(), "good"),
    ]
    with client.Oracle(vtspec) as oracle:
        for line, id in lines:
            answer = oracle.ask_line(line)
            expect(f"id of the answer to {line[:40]!r}", answer["id"], id)
            if id != "good" and "error" not in answer:
                fail(f"no error for {line[:40]!r}: {answer}")
            answer = oracle.ask_line(good)  # still served
            expect(f"the good line after {line[:40]!r}", answer["operations"][0]["allowed"][0]["event"]["value"],
                   "0x1122334455667788")
        answer = oracle.ask_line(bad_va)
        expect("bad va field", answer["field"], "operations[0].va")
        expect("bad va column", answer["column"], bad_va.index('"0x800000000000"') + 1)

    # The whole stream at once: one valid JSON (and UTF-8) line per line, in order; the
    # requests per second on stderr.
    stream = b"\n".join(line for line, _ in lines) + b"\n"
    p = subprocess.run([vtspec, "oracle"], input=stream, capture_output=True)
    expect("exit code", p.returncode, 0)
    answers = [json.loads(a.decode("utf-8")) for a in p.stdout.split(b"\n")[:-1]]
    expect("answers", [a["id"] for a in answers], [id for _, id in lines])
    if b"requests/s" not in p.stderr:
        fail(f"no requests per second on stderr: {p.stderr!r}")


def main():
    vtspec, docs = sys.argv[1:3]
    sys.path.insert(0, os.path.abspath(docs))
    import oracle_client
    check_outcomes(oracle_client, vtspec)
    check_bad_lines(oracle_client, vtspec)
    # The client's own example runs.
    p = subprocess.run([sys.executable, os.path.join(docs, "oracle_client.py"), vtspec], capture_output=True, text=True)
    expect("oracle_client.py exit code", p.returncode, 0)
    if "#PF error code 0x7 CR2 0x400000" not in p.stdout:
        fail(f"oracle_client.py printed:\n{p.stdout}{p.stderr}")
    print("ok")


if __name__ == "__main__":
    main()
