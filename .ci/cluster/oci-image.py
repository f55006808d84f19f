#!/usr/bin/env python3
"""Write a one-layer OCI image layout tar from local files, for `ctr images import`.

The CI cluster (scripts/ci-cluster.sh) reaches no image registry, so its few images (pause,
CoreDNS, local-path-provisioner, a busybox for helper and test pods) are static binaries put
into a FROM-scratch image here. No Docker engine is needed, and the output is reproducible
(fixed timestamps and owners), so an unchanged binary gives the same image digest.

Usage: oci-image.py --ref NAME:TAG --out FILE.tar [--entrypoint JSON] [--cmd JSON]
                    [--user UID] --file SRC=DEST ... [--link DEST=TARGET ...]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import tarfile


def add_blob(tar: tarfile.TarFile, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo(f"blobs/sha256/{digest}")
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))
    return f"sha256:{digest}"


def layer(files: list[tuple[str, str]], links: list[tuple[str, str]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        entries = [(dest.lstrip("/"), src, None) for src, dest in files]
        entries += [(dest.lstrip("/"), None, target) for dest, target in links]
        for path, _, _ in entries:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        for d in sorted(dirs | {"tmp"}):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        for path, src, target in sorted(entries, key=lambda e: e[0]):
            if target is not None:
                info = tarfile.TarInfo(path)
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
                tar.addfile(info)
                continue
            with open(src, "rb") as f:
                data = f.read()
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--entrypoint", type=json.loads)
    parser.add_argument("--cmd", type=json.loads)
    parser.add_argument("--user")
    parser.add_argument("--file", action="append", default=[], help="SRC=DEST")
    parser.add_argument("--link", action="append", default=[], help="DEST=TARGET")
    args = parser.parse_args()

    files = [tuple(f.split("=", 1)) for f in args.file]
    links = [tuple(link.split("=", 1)) for link in args.link]
    uncompressed = layer(files, links)  # type: ignore[arg-type]
    compressed = gzip.compress(uncompressed, mtime=0)

    with tarfile.open(args.out, mode="w") as tar:
        layer_digest = add_blob(tar, compressed)
        config: dict = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(uncompressed).hexdigest()}"]},
        }
        if args.entrypoint:
            config["config"]["Entrypoint"] = args.entrypoint
        if args.cmd:
            config["config"]["Cmd"] = args.cmd
        if args.user:
            config["config"]["User"] = args.user
        config_bytes = json.dumps(config, sort_keys=True).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": add_blob(tar, config_bytes),
                "size": len(config_bytes),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest,
                    "size": len(compressed),
                }
            ],
        }
        manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
        manifest_digest = add_blob(tar, manifest_bytes)
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": manifest_digest,
                    "size": len(manifest_bytes),
                    "platform": {"architecture": "amd64", "os": "linux"},
                    # ctr names the imported image after this annotation.
                    "annotations": {
                        "io.containerd.image.name": args.ref,
                        "org.opencontainers.image.ref.name": args.ref.rsplit(":", 1)[1],
                    },
                }
            ],
        }
        for name, data in (
            ("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode()),
            ("index.json", json.dumps(index, sort_keys=True).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
