#!/usr/bin/python3
"""Generates the Python protobuf and gRPC stubs of the Disco.Geo API into disco_geo/_stubs.

Run it once after cloning and again whenever protos/ changes:

    /usr/bin/python3 clients/python/generate_stubs.py

The stubs are not committed: generated code must match the protobuf runtime it runs on (Debian's
python3-grpc-tools and python3-protobuf are released together), and protos/ stays the one source of truth, so
the stubs can never drift from it. protoc writes imports such as ``from disco.geo.v1 import common_pb2``; they
are rewritten to ``disco_geo._stubs.disco.geo.v1`` so the package does not claim the top-level name ``disco``.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY_PROTOS = HERE.parent.parent / "protos"
CLIENT_PROTOS = HERE / "protos"
PACKAGE = "disco_geo._stubs"
_IMPORT = re.compile(r"^from (disco\.geo\.v1) import ", re.MULTILINE)


def generate(target: Path = HERE / "disco_geo" / "_stubs") -> Path:
    """Writes the stubs into ``target`` (replaced as a whole, so a failed run leaves the old stubs in place)."""
    try:
        from grpc_tools import protoc
    except ImportError as error:
        raise SystemExit("grpc_tools is missing: apt-get install python3-grpc-tools (and run /usr/bin/python3)") from error

    api = sorted(p.relative_to(REPOSITORY_PROTOS).as_posix() for p in (REPOSITORY_PROTOS / "disco" / "geo" / "v1").glob("*.proto"))
    if not api:
        raise SystemExit(f"no .proto files under {REPOSITORY_PROTOS}")
    # The well-known types (timestamp.proto, any.proto) ship inside grpc_tools.
    well_known = Path(protoc.__file__).resolve().parent / "_proto"

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".stubs-", dir=target.parent))
    try:
        arguments = ["protoc", f"-I{REPOSITORY_PROTOS}", f"-I{CLIENT_PROTOS}", f"-I{well_known}",
                     f"--python_out={work}", f"--grpc_python_out={work}", *api, "disco_geo_rpc.proto"]
        if protoc.main(arguments) != 0:
            raise SystemExit("protoc failed (its message is above)")
        for generated in work.rglob("*.py"):
            text = generated.read_text(encoding="utf-8")
            generated.write_text(_IMPORT.sub(lambda m: f"from {PACKAGE}.{m.group(1)} import ", text), encoding="utf-8")
        # Regular packages (not namespace ones), so the stubs import the same way on every Python 3.
        for directory in [work, *(d for d in work.rglob("*") if d.is_dir())]:
            (directory / "__init__.py").touch()

        # Swap in the new tree; a concurrent reader sees either the old or the new stubs, never half of each.
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=".old-stubs-", dir=target.parent))
            os.replace(target, old / "stubs")
        os.replace(work, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


if __name__ == "__main__":
    print(f"wrote {generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / 'disco_geo' / '_stubs')}")
