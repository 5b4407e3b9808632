"""Validates Kubernetes objects against the strict JSON schemas of kubernetes-validate (unknown fields are
errors, as with kubectl's default --validate=strict) for one Kubernetes version.

    python validate_kubernetes.py <version> < objects.json

Reads a JSON array of objects; writes a JSON array with, per object, null when it is valid or the first
error found: {"path": "spec/template/...", "message": "..."}. A kind without a schema is an error too.
"""

import functools
import json
import sys

import kubernetes_validate
from kubernetes_validate import utils

# validate() reads the version's multi-megabyte definitions file again for every object.
utils.schema_contents = functools.lru_cache(maxsize=None)(utils.schema_contents)


def check(obj, version):
    try:
        kubernetes_validate.validate(obj, version, strict=True)
        return None
    except kubernetes_validate.ValidationError as error:
        return {"path": "/".join(str(part) for part in error.path), "message": error.message}
    except kubernetes_validate.SchemaNotFoundError as error:
        return {"path": "", "message": error.message}


def main():
    version = sys.argv[1]
    json.dump([check(obj, version) for obj in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
