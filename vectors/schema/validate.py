#!/usr/bin/env python3
"""Validate vector files against the JSON Schemas (independently of the C++ loader).

usage: validate.py SCHEMA.json... -- FILE.yaml...   (needs python3-jsonschema and python3-yaml)

Each file is checked against the schema whose `schema` property is the file's `schema:`
(vector-v1.schema.json for vtspec/vector/1, vector-v2.schema.json for vtspec/vector/2,
vector-v3.schema.json for vtspec/vector/3, vector-v4.schema.json for vtspec/vector/4); a file
naming none of them fails.
"""
import json
import sys

import jsonschema
import yaml


def main() -> int:
    if "--" not in sys.argv:
        print("usage: validate.py SCHEMA.json... -- FILE.yaml...")
        return 2
    split = sys.argv.index("--")
    schemas, files = sys.argv[1:split], sys.argv[split + 1:]
    validators = {}
    for path in schemas:
        schema = json.load(open(path))
        validators[schema["properties"]["schema"]["const"]] = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in files:
        document = yaml.safe_load(open(path))
        name = document.get("schema") if isinstance(document, dict) else None
        validator = validators.get(name)
        if validator is None:
            print(f"{path}: schema: {name!r} is none of {sorted(validators)}")
            bad += 1
            continue
        errors = list(validator.iter_errors(document))
        for e in errors[:5]:
            print(f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
        bad += bool(errors)
    print(f"{len(files) - bad} of {len(files)} files match their schema")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
