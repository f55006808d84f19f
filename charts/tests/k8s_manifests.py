"""Offline validation of Kubernetes manifests against the API schema of a pinned Kubernetes version.

Every object in the given YAML files is checked with kubernetes-validate's bundled JSON schemas
(strict mode: unknown fields are errors, so a misspelled `readinessprobe` does not slip through).
No cluster and no network are needed. An object whose kind/apiVersion has no schema in that
version fails too (a removed or misspelled API), unless its kind is allowed with --skip-kind.
Custom resources are checked against the openAPIV3Schema of their CustomResourceDefinition when
it is given with --crd, as strictly: a field the schema does not declare is an error, as the API
server's strict field validation makes it.

Usage: scripts/validate-k8s-manifests.sh [--kubernetes-version X.Y] [--skip-kind KIND]... [--crd FILE]... PATH...
PATH is a YAML file, a directory (searched recursively for *.yaml, *.yml and *.json) or - for stdin.
Exit status: 0 all objects valid, 1 some object invalid, 2 bad input (no manifests, unreadable
file, YAML syntax error, a document that is not a Kubernetes object).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import VersionNotSupportedError

# Oldest Kubernetes version the chart supports (charts/todo-chatbot/README.md "Requirements").
DEFAULT_KUBERNETES_VERSION = "1.31"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class ManifestError(Exception):
    """Input that is not a set of Kubernetes manifests (exit status 2)."""


@dataclass(frozen=True)
class ManifestObject:
    source: str
    body: dict[str, Any]

    @property
    def identity(self) -> str:
        metadata = self.body.get("metadata") or {}
        name = metadata.get("name") or metadata.get("generateName", "<no name>")
        namespace = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
        return f"{self.body.get('kind')} {namespace}{name} ({self.body.get('apiVersion')}) in {self.source}"


@dataclass(frozen=True)
class Problem:
    manifest: ManifestObject
    message: str

    def __str__(self) -> str:
        return f"INVALID {self.manifest.identity}: {self.message}"


def manifest_files(paths: Iterable[str]) -> list[str]:
    """The files to read: each path itself, or a directory's manifest files in sorted order."""
    files: list[str] = []
    for path in paths:
        if path == "-":
            files.append(path)
        elif Path(path).is_dir():
            files.extend(str(f) for f in sorted(Path(path).rglob("*")) if f.suffix in MANIFEST_SUFFIXES and f.is_file())
        elif Path(path).is_file():
            files.append(path)
        else:
            raise ManifestError(f"{path}: no such file or directory")
    if not files:
        raise ManifestError(f"no manifest files (*.yaml, *.yml, *.json) in {', '.join(paths)}")
    return files


def load_objects(source: str, text: str) -> Iterator[ManifestObject]:
    """The objects of one multi-document YAML text."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise ManifestError(f"{source}: not valid YAML: {error}") from error
    for index, document in enumerate(documents, start=1):
        if document is not None:  # None: an empty document between two `---`
            yield from _objects_of(source, document, f"document {index}")


def _objects_of(source: str, document: Any, where: str) -> Iterator[ManifestObject]:
    """One document's objects; a `kind: List` is unpacked like kubectl does."""
    if not (isinstance(document, dict) and document.get("apiVersion") and document.get("kind")):
        raise ManifestError(f"{source}: {where} is not a Kubernetes object (no apiVersion and kind)")
    if document["kind"] == "List":
        for index, item in enumerate(document.get("items") or [], start=1):
            yield from _objects_of(source, item, f"{where}, item {index}")
    else:
        yield ManifestObject(source, document)


def read_objects(paths: Iterable[str]) -> list[ManifestObject]:
    objects: list[ManifestObject] = []
    for file in manifest_files(list(paths)):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as error:
            raise ManifestError(f"{file}: {error.strerror}") from error
        objects.extend(load_objects("<stdin>" if file == "-" else file, text))
    if not objects:
        raise ManifestError("the manifests hold no Kubernetes object")
    return objects


CustomResourceSchemas = dict[tuple[str, str], dict[str, Any]]
"""openAPIV3Schema of each custom resource, by (apiVersion, kind)."""


def strict(schema: Any) -> Any:
    """The schema with unknown fields forbidden wherever it declares properties and keeps no others."""
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) if key in {"items", "additionalProperties"} else value for key, value in schema.items()}
    if "properties" in schema:
        result["properties"] = {name: strict(sub) for name, sub in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            result["additionalProperties"] = False
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            result[key] = [strict(sub) for sub in schema[key]]
    return result


def load_crd_schemas(files: Iterable[str]) -> CustomResourceSchemas:
    schemas: CustomResourceSchemas = {}
    for file in files:
        for crd in yaml.safe_load_all(Path(file).read_text(encoding="utf-8")):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                raise ManifestError(f"{file} holds something other than a CustomResourceDefinition")
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schemas[(f"{group}/{version['name']}", kind)] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


def validate_custom_resource(manifest: ManifestObject, schema: dict[str, Any]) -> Problem | None:
    body = {key: value for key, value in manifest.body.items() if key not in {"apiVersion", "kind", "metadata"}}
    body_schema = {**schema, "properties": {k: v for k, v in schema.get("properties", {}).items() if k not in {"apiVersion", "kind", "metadata"}}}
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(body_schema).iter_errors(body))
    if error is None:
        return None
    where = ".".join(str(part) for part in error.path) or "(top level)"
    return Problem(manifest, f"at {where}: {error.message} (its CustomResourceDefinition's schema)")


def validate_object(
    manifest: ManifestObject,
    kubernetes_version: str,
    skip_kinds: frozenset[str] = frozenset(),
    custom_resources: CustomResourceSchemas | None = None,
) -> Problem | None:
    """None when the object matches the API schema of that Kubernetes version, else the first problem found."""
    crd_schema = (custom_resources or {}).get((manifest.body["apiVersion"], manifest.body["kind"]))
    if crd_schema is not None:
        return validate_custom_resource(manifest, crd_schema)
    try:
        kubernetes_validate.validate(manifest.body, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path) or "(top level)"
        return Problem(manifest, f"at {where}: {error.message}")
    except kubernetes_validate.SchemaNotFoundError:
        if manifest.body["kind"] in skip_kinds:
            return None
        return Problem(
            manifest,
            f"Kubernetes {kubernetes_version} has no {manifest.body['apiVersion']} {manifest.body['kind']}: "
            "a removed or misspelled API, or a custom resource (give its CRD with --crd, or allow it with --skip-kind)",
        )
    return None


def validate_objects(
    objects: Iterable[ManifestObject],
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    skip_kinds: Iterable[str] = (),
    custom_resources: CustomResourceSchemas | None = None,
) -> list[Problem]:
    skipped = frozenset(skip_kinds)
    return [
        problem
        for manifest in objects
        if (problem := validate_object(manifest, kubernetes_version, skipped, custom_resources))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="validate-k8s-manifests.sh",
        description="Validate every object in Kubernetes manifests against the API schema of one Kubernetes version, offline.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="YAML/JSON file, directory (recursive), or - for stdin")
    parser.add_argument(
        "-k",
        "--kubernetes-version",
        default=DEFAULT_KUBERNETES_VERSION,
        help=f"Kubernetes version (default {DEFAULT_KUBERNETES_VERSION})",
    )
    parser.add_argument(
        "--skip-kind", action="append", default=[], metavar="KIND", help="kind without a built-in schema to accept (repeatable)"
    )
    parser.add_argument(
        "--crd", action="append", default=[], metavar="FILE", help="CustomResourceDefinition(s) to check custom resources against (repeatable)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems and the summary")
    args = parser.parse_args(argv)

    try:
        objects = read_objects(args.paths)
        custom_resources = load_crd_schemas(args.crd)
    except ManifestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        problems = validate_objects(objects, args.kubernetes_version, args.skip_kind, custom_resources)
    except VersionNotSupportedError:
        print(f"error: kubernetes-validate has no schemas for Kubernetes {args.kubernetes_version}", file=sys.stderr)
        return 2

    problem_of = {id(problem.manifest): problem for problem in problems}
    for manifest in objects:
        if id(manifest) in problem_of:
            print(problem_of[id(manifest)])
        elif not args.quiet:
            print(f"valid   {manifest.identity}")
    print(
        f"Kubernetes {args.kubernetes_version} API schema: {len(objects) - len(problems)} objects valid, {len(problems)} invalid"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
