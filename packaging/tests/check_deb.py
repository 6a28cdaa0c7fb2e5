#!/usr/bin/python3
"""Builds the Debian package as the README says (`cpack -G DEB` in the build directory; here
with -B into a temporary directory) and checks its contents with dpkg-deb: the command, the
headers, the libraries and the CMake package under /usr, and its dependencies named.

usage: check_deb.py BUILD_DIR
"""
import glob
import os
import subprocess
import sys
import tempfile


def fail(message):
    sys.exit(message)


def main(build):
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run(["cpack", "-G", "DEB", "-B", tmp], cwd=build, capture_output=True, text=True)
        debs = glob.glob(os.path.join(tmp, "*.deb"))
        if p.returncode != 0 or len(debs) != 1:
            fail(f"cpack -G DEB: exit {p.returncode}, {debs}\n{p.stdout}{p.stderr}")
        contents = subprocess.run(["dpkg-deb", "-c", debs[0]], capture_output=True, text=True, check=True).stdout
        paths = {line.split()[-1].lstrip(".") for line in contents.splitlines()}
        for want in ("/usr/bin/vtspec", "/usr/include/vtspec/model/translation.hpp",
                     "/usr/include/vtspec/spec/paging_walk.hpp", "/usr/lib/libvtspec_model.a",
                     "/usr/lib/cmake/vtspec/vtspecConfig.cmake", "/usr/lib/cmake/vtspec/vtspecTargets.cmake"):
            if want not in paths:
                fail(f"{os.path.basename(debs[0])} lacks {want}:\n{contents}")
        if any("symbolic_domain" in p for p in paths):
            fail("the package installs spec/symbolic_domain.hpp (Z3's domain, not the model's)")
        info = subprocess.run(["dpkg-deb", "-f", debs[0], "Package", "Depends"], capture_output=True, text=True,
                              check=True).stdout
        if "Package: vtspec" not in info or "libfmt-dev" not in info or "libz3" not in info:
            fail(f"control fields: {info}")
        print(f"{os.path.basename(debs[0])}: {len(paths)} paths; {info.strip()}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail(__doc__)
    main(sys.argv[1])
