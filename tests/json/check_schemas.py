#!/usr/bin/python3
"""Checks vmatlas's JSON documents against the JSON Schemas of docs/schema/.

Usage: check_schemas.py SCHEMA_DIR MANIFEST

MANIFEST holds one line per file of output: the schema name its documents must carry, a tab, and
the file. A file holds one document, or one a line (JSON Lines, as `where --json` writes).

For every document: its "schema" key equals the name, and the document is valid under that
schema (draft 2020-12). Then, for every object in the document (one of each shape: the same
place and keys), a copy of the document with an undocumented key added to that object must be
invalid: every object the schema describes is closed (additionalProperties false).

Prints one line per problem, "FILE: document N: what"; exits 0 when there is none, 1 when there
is, 2 on bad usage, and 77 when jsonschema is not installed (apt-get install python3-jsonschema).
"""
import copy
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("jsonschema is not installed for " + sys.executable +
          " (apt-get install python3-jsonschema)")
    sys.exit(77)

UNDOCUMENTED = "undocumented_key"


def load_schemas(directory):
    """The documents' schemas by name (their title), and a store of every schema by $id."""
    by_name, store = {}, {}
    for path in sorted(pathlib.Path(directory).glob("*.schema.json")):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        store[schema["$id"]] = schema
        if "properties" in schema:  # common.schema.json holds definitions only
            by_name[schema["title"]] = schema
    return by_name, store


def validator(schema, store):
    """A validator of schema that finds the others by their $id in store, never on the network."""
    try:
        from referencing import Registry, Resource
    except ImportError:  # jsonschema before 4.18, such as Debian 12's 4.10
        resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)
    registry = Registry().with_resources(
        (uri, Resource.from_contents(s)) for uri, s in store.items())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def objects(value, path=()):
    """The path of every object in value, one of each shape (place without indices, and keys)."""
    seen = set()

    def walk(v, p):
        if isinstance(v, dict):
            shape = (tuple(k if isinstance(k, str) else "*" for k in p), tuple(sorted(v)))
            if shape not in seen:
                seen.add(shape)
                yield p
            for k, child in v.items():
                yield from walk(child, p + (k,))
        elif isinstance(v, list):
            for i, child in enumerate(v):
                yield from walk(child, p + (i,))

    yield from walk(value, path)


def with_undocumented_key(doc, path):
    out = copy.deepcopy(doc)
    target = out
    for k in path:
        target = target[k]
    target[UNDOCUMENTED] = 0
    return out


def documents(text):
    """The document text holds, or else its lines' (JSON Lines)."""
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def check(name, file, schemas, store):
    problems = []
    schema = schemas.get(name)
    if schema is None:
        return [f"{file}: no schema is named {name}"]
    v = validator(schema, store)
    try:
        docs = documents(pathlib.Path(file).read_text())
    except ValueError as e:
        return [f"{file}: not JSON: {e}"]
    for n, doc in enumerate(docs, 1):
        where = f"{file}: document {n}"
        if not isinstance(doc, dict) or next(iter(doc), None) != "schema":
            problems.append(f"{where}: \"schema\" is not its first key")
        elif doc["schema"] != name:
            problems.append(f"{where}: schema is {doc['schema']!r}, not {name!r}")
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:5]:
            at = "/".join(str(k) for k in e.absolute_path) or "(top)"
            problems.append(f"{where}: at {at}: {e.message[:300]}")
        if errors:
            continue
        for path in objects(doc):
            if v.is_valid(with_undocumented_key(doc, path)):
                at = "/".join(str(k) for k in path) or "(top)"
                problems.append(f"{where}: a key added at {at} is not refused by the schema")
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    schemas, store = load_schemas(argv[1])
    problems = []
    count = 0
    for line in pathlib.Path(argv[2]).read_text().splitlines():
        if not line:
            continue
        name, file = line.split("\t", 1)
        problems += check(name, file, schemas, store)
        count += 1
    for p in problems:
        print(p)
    print(f"{count} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
