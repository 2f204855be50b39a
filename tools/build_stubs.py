"""Generate the typed Python stubs for every .proto under protos/eqr.

`python tools/build_stubs.py` writes them next to the .proto files (they are git-ignored);
`--check` generates into a temporary folder and fails if the stubs in the tree differ,
so a stale stub never reaches a test run.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent.parent / "protos"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def generate(out_dir: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "eqr").rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out=quiet:{out_dir}",
        f"--mypy_grpc_out=quiet:{out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for package_dir in {p.parent for p in out_dir.rglob("*_pb2.py")}:
        for parent in [package_dir, *package_dir.parents]:
            if parent == out_dir:
                break
            (parent / "__init__.py").touch()


def generated_files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in (root / "eqr").rglob("*") if p.name.endswith(GENERATED_SUFFIXES)}


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        expected, actual = generated_files(fresh), generated_files(PROTO_ROOT)
        stale = sorted(str(p) for p in expected ^ actual)
        stale += sorted(
            str(p) for p in expected & actual if not filecmp.cmp(fresh / p, PROTO_ROOT / p, shallow=False)
        )
    if stale:
        print("stale generated stubs (run `make protos`):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    print("generated stubs are up to date")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the stubs in the tree are stale")
    parser.add_argument("--clean", action="store_true", help="delete the generated stubs")
    args = parser.parse_args()
    if args.check:
        return check()
    for stale in generated_files(PROTO_ROOT):
        (PROTO_ROOT / stale).unlink()
    if not args.clean:
        generate(PROTO_ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
