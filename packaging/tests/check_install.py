#!/usr/bin/python3
"""Installs this build tree into a fresh prefix and uses it as a hypervisor project would
(README, "The model as a library"):

  1. `cmake --install BUILD --prefix TMP`;
  2. every installed header's includes reach only installed headers or the C++ standard
     library (so the headers need nothing the package config does not find);
  3. docs/examples/model_client configured with -DCMAKE_PREFIX_PATH=TMP and built with the
     same compiler and flags, find_package(vtspec) and vtspec::model and nothing of the
     source tree;
  4. the example runs: it checks an SDM outcome (a #PF error code) from the model.

usage: check_install.py BUILD_DIR EXAMPLE_SOURCE_DIR CXX_COMPILER CXX_FLAGS
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def fail(message):
    sys.exit(message)


def run(*args, **kwargs):
    p = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if p.returncode != 0:
        fail(f"{' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def check_headers(include_dir):
    headers = []
    for root, _, files in os.walk(include_dir):
        headers += [os.path.join(root, f) for f in files]
    if not any(h.endswith("model/translation.hpp") for h in headers):
        fail(f"model/translation.hpp is not installed under {include_dir}")
    for header in headers:
        with open(header) as f:
            text = f.read()
        for kind, name in INCLUDE.findall(text):
            if kind == '"':
                if not os.path.isfile(os.path.join(include_dir, name)):
                    fail(f"{header} includes \"{name}\", which is not installed")
            elif "/" in name or "." in name:  # the standard library's headers have neither
                fail(f"{header} includes <{name}>, which the package does not provide")


def main(build, example, compiler, flags):
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "prefix")
        run("cmake", "--install", build, "--prefix", prefix)
        check_headers(os.path.join(prefix, "include", "vtspec"))
        if not os.path.isfile(os.path.join(prefix, "lib", "cmake", "vtspec", "vtspecConfig.cmake")):
            fail("no lib/cmake/vtspec/vtspecConfig.cmake installed")
        # The example is copied away from the source tree: nothing of it may be reached.
        source = os.path.join(tmp, "example")
        shutil.copytree(example, source)
        binary = os.path.join(tmp, "example-build")
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        run("cmake", "-S", source, "-B", binary, *generator, f"-DCMAKE_PREFIX_PATH={prefix}",
            f"-DCMAKE_CXX_COMPILER={compiler}", f"-DCMAKE_CXX_FLAGS={flags}", "-DCMAKE_BUILD_TYPE=Release")
        run("cmake", "--build", binary)
        p = run(os.path.join(binary, "model_client"))
        if "ok: its #PF error code is P | W/R | U/S = 0x7" not in p.stdout:
            fail(f"the example did not check the error code:\n{p.stdout}")
        print(p.stdout, end="")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        fail(__doc__)
    main(*sys.argv[1:])
