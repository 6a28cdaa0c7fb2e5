#!/usr/bin/python3
"""A client of `vtspec oracle` (docs/oracle.md): ask the reference model which outcomes the
architecture allows, from Python, without C++.

    from oracle_client import Oracle
    with Oracle("build/default/cli/vtspec") as oracle:
        answer = oracle.ask(state, operations)
        for outcome in answer["operations"][0]["allowed"]:
            print(outcome["result"], outcome["event"]["description"], outcome["flags"])

Run as a script, it asks the worked example of docs/oracle.md and prints the answer:

    docs/oracle_client.py build/default/cli/vtspec
"""
import itertools
import json
import subprocess
import sys


class OracleError(Exception):
    """The service refused a request: `str(error)` says where and why, `error.field` names
    the request's field ("operations[0].va"), or is empty."""

    def __init__(self, answer):
        super().__init__(answer["error"])
        self.field = answer["field"]
        self.column = answer["column"]


class Oracle:
    """One `vtspec oracle` process: one request line written, one answer line read."""

    def __init__(self, vtspec="vtspec"):
        self.process = subprocess.Popen([vtspec, "oracle"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.ids = itertools.count(1)

    def ask_line(self, line):
        """Sends one line (bytes or str, without its newline) and returns the answer, parsed."""
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise EOFError("vtspec oracle ended")
        return json.loads(answer)

    def ask(self, state, operations, entries=None):
        """Every allowed outcome of each operation run in order on `state` (a vtspec/state/1
        document as a dict). Raises OracleError if the request is refused."""
        request = {"id": next(self.ids), "state": state, "operations": operations}
        if entries:
            request["entries"] = entries
        answer = self.ask_line(json.dumps(request))
        if "error" in answer:
            raise OracleError(answer)
        assert answer["id"] == request["id"]
        return answer

    def close(self):
        self.process.stdin.close()
        self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# docs/oracle.md, "A worked example": a user-mode write to a read-only user page.
EXAMPLE_STATE = {"paging": {"root": "0x1000", "map": ["map VA 0x400000 -> PA 0x20000, 4K, [P, US]"]}}
EXAMPLE_OPERATIONS = [{"op": "write", "va": "0x400000", "value": "0x1", "cpl": 3}]


def main():
    vtspec = sys.argv[1] if len(sys.argv) > 1 else "vtspec"
    with Oracle(vtspec) as oracle:
        answer = oracle.ask(EXAMPLE_STATE, EXAMPLE_OPERATIONS)
    for operation in answer["operations"]:
        print(operation["operation"])
        for outcome in operation["allowed"]:
            flags = f"  [{', '.join(outcome['flags'])}]" if outcome["flags"] else ""
            print(f"  {outcome['result']}: {outcome['event']['description']}{flags}")
        print("  " + operation["trace"].rstrip().replace("\n", "\n  "))
    for flag, why in answer["notes"].items():
        print(f"{flag}: {why}")


if __name__ == "__main__":
    main()
