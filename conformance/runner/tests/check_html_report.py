#!/usr/bin/python3
"""Checks `vtspec run --html DIR` in a real browser: headless Chromium (Debian's package
chromium, installed by .ci/setup-deps) loads the page from the file system, runs its script
and dumps the DOM. The page must have no script error (Chromium's console log has no error,
and the page's script ran to its end: body data-script="ok") and show the counts that
json_report_corpus.yaml implies (three vectors: json/agrees passes, json/wrong-value-a and -b
diverge in one class). The page must load nothing from elsewhere. A page with a script error
is checked to be caught, so that the check can fail. The two-dimensional grid is checked on
the page vtspec_html_grid_page writes (v1 vectors have no EPT): 24 references in its cells.

usage: check_html_report.py VTSPEC GRID_PAGE_WRITER SOURCE_DIR CORPUS
Exit 77 (ctest: skipped) when Chromium is not installed, saying so.
"""
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def fail(message):
    sys.exit(message)


class Dom(html.parser.HTMLParser):
    """The text of each element with an id, body's data-script, the matrix rows, the grid."""

    def __init__(self):
        super().__init__()
        self.by_id, self.stack, self.body_script = {}, [], None
        self.rows, self.row, self.in_matrix, self.in_grid = {}, None, False, False
        self.classes, self.grid_references = 0, []
        self.cell_text = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body_script = a.get("data-script")
        if tag == "section" and "class" in a.get("class", "").split():
            self.classes += 1
        if tag == "table":
            self.in_matrix = a.get("id") == "matrix"
            self.in_grid = a.get("class") == "grid2d"
        if tag == "tr" and self.in_matrix and "data-family" in a:
            self.row = a["data-family"]
            self.rows[self.row] = []
        if tag in ("td", "th", "b", "span", "p"):
            self.stack.append((a.get("id"), []))
            if tag == "b" and self.in_grid:
                self.cell_text = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_matrix = self.in_grid = False
        if tag in ("td", "th", "b", "span", "p") and self.stack:
            ident, text = self.stack.pop()
            value = "".join(text).strip()
            if ident:
                self.by_id[ident] = value
            if tag == "td" and self.row is not None and self.in_matrix:
                self.rows[self.row].append(value)
            if tag == "b" and self.cell_text is not None:
                self.grid_references.append(value)
                self.cell_text = None
            for _, outer in self.stack:
                outer.append(value + " ")

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][1].append(data)


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def render(browser, page, tmp):
    """The DOM after the page's scripts ran, and the console errors Chromium logged."""
    p = subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
                        f"--user-data-dir={os.path.join(tmp, 'profile')}", "--enable-logging=stderr", "--v=0",
                        "--dump-dom", "file://" + os.path.abspath(page)],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail(f"chromium exit {p.returncode}:\n{p.stderr}")
    errors = [line for line in p.stderr.splitlines()
              if "CONSOLE" in line and re.search(r"Uncaught|Error|error", line)]
    dom = Dom()
    dom.feed(p.stdout)
    return dom, errors


def check_offline(page):
    with open(page) as f:
        text = f.read()
    for remote in ("src=", "href=", "http:", "https:", "@import", "url("):
        if remote in text:
            fail(f"{page} refers to something outside it ({remote!r}): it must work offline")


def main(vtspec, grid_writer, source, corpus):
    browser = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report")
        p = subprocess.run([vtspec, "run", "--target", "model", "--html", out, corpus], capture_output=True, text=True)
        if p.returncode != 1 or not os.path.isfile(os.path.join(out, "index.html")):
            fail(f"vtspec run --html: exit {p.returncode} (expected 1: two divergences)\n{p.stdout}{p.stderr}")
        page = os.path.join(out, "index.html")
        check_offline(page)
        if browser is None:
            print("SKIP: chromium is not installed (apt-get install chromium; .ci/setup-deps installs it)")
            sys.exit(SKIP)

        # The check catches a script error: a page whose script fails must be flagged.
        broken = os.path.join(tmp, "broken.html")
        with open(broken, "w") as f:
            f.write('<!DOCTYPE html><body data-script="none"><script>no_such_function();'
                    'document.body.setAttribute("data-script", "ok");</script></body>')
        dom, errors = render(browser, broken, tmp)
        if dom.body_script == "ok" or not errors:
            fail(f"a page with a script error was not caught: data-script={dom.body_script!r}, console {errors}")

        dom, errors = render(browser, page, tmp)
        if errors:
            fail(f"script errors in {page}: {errors}")
        if dom.body_script != "ok":
            fail(f"the page's script did not run to its end: data-script={dom.body_script!r}")
        want = {"count-files": "1", "count-vectors": "3", "count-operations": "3", "count-passed": "1",
                "count-failed": "2", "count-skipped": "0", "count-errors": "0"}
        got = {k: dom.by_id.get(k) for k in want}
        if got != want:
            fail(f"counts shown {got}, expected {want}")
        if dom.rows.get("json") != ["1", "2", "0", "0", "0"]:
            fail(f"matrix row json (pass, divergence, skip, known, error): {dom.rows.get('json')}, expected 1, 2, 0, 0, 0")
        if dom.classes != 1:
            fail(f"{dom.classes} divergence classes shown, expected 1")

        grid = os.path.join(tmp, "grid")
        subprocess.run([grid_writer, source, grid], check=True)
        check_offline(os.path.join(grid, "index.html"))
        dom, errors = render(browser, os.path.join(grid, "index.html"), tmp)
        if errors or dom.body_script != "ok":
            fail(f"the grid page: script errors {errors}, data-script={dom.body_script!r}")
        if sorted(dom.grid_references, key=lambda r: int(r[1:])) != [f"#{n}" for n in range(1, 25)]:
            fail(f"the 2D grid shows references {dom.grid_references}, expected #1 to #24 once each")
        print("ok: counts, matrix, one class, no script error; the 2D grid holds references #1 to #24")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        fail(__doc__)
    main(*sys.argv[1:])
