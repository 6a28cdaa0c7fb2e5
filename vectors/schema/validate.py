#!/usr/bin/env python3
"""Validate vector files against vector-v1.schema.json (independently of the C++ loader).

usage: validate.py SCHEMA.json FILE.yaml...   (needs python3-jsonschema and python3-yaml)
"""
import json
import sys

import jsonschema
import yaml


def main() -> int:
    validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
    bad = 0
    for path in sys.argv[2:]:
        errors = list(validator.iter_errors(yaml.safe_load(open(path))))
        for e in errors[:5]:
            print(f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
        bad += bool(errors)
    print(f"{len(sys.argv) - 2 - bad} of {len(sys.argv) - 2} files match the schema")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
