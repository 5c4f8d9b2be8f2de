"""The dependency rule of ARCHITECTURE.md, read from the source with ``ast`` so the structure cannot drift.

- ``common/`` imports none of the task packages (``superres``, ``translate``), nor ``export``;
- within ``common/``, a sub-package imports only lower-ranked ones (:data:`COMMON_RANKS`), never a sibling of
  its own rank or a higher one; every module of ``common/`` lives in a ranked sub-package;
- ``export/`` imports no task package, and the two tasks never import each other.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = ("common", "export", "superres", "translate")
# Lowest first: a sub-package may import those of a lower rank only.
COMMON_RANKS = {"core": 0, "io": 1, "tiling": 2, "degrade": 2, "backbones": 2, "weights": 2, "video": 2, "nn": 3, "metrics": 3, "train": 4,
                "cli": 5}
FORBIDDEN_TOP = {"common": {"export", "superres", "translate"}, "export": {"superres", "translate"},
                 "superres": {"translate"}, "translate": {"superres"}}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, function-level ones and relative ones included.
    ``from a.b import c`` yields ``a.b``; ``from a import b`` yields ``a.b`` (b may be a sub-package)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if "." in base:
                found.append((node.lineno, base))
            else:
                found += [(node.lineno, f"{base}.{alias.name}" if base else alias.name) for alias in node.names]
    return found


def violations(root: Path) -> list[str]:
    """Every import under ``root`` that breaks the rule, as ``file:line: why``."""
    problems = []
    for top in TOP_LEVEL:
        for path in sorted((root / top).rglob("*.py")):
            where = path.relative_to(root)
            parts = where.parts
            own_sub = parts[1] if top == "common" and len(parts) > 2 else None
            if top == "common" and own_sub is None and path.name != "__init__.py":
                problems.append(f"{where}: a module directly in common/; put it in a ranked sub-package")
                continue
            if own_sub is not None and own_sub not in COMMON_RANKS:
                problems.append(f"{where}: common/{own_sub}/ has no rank in COMMON_RANKS")
                continue
            for line, name in imported_modules(path, root):
                head = name.split(".")
                if head[0] in FORBIDDEN_TOP[top]:
                    problems.append(f"{where}:{line}: {top}/ must not import {name}")
                elif top == "common" and head[0] == "common" and len(head) > 1 and own_sub is not None:
                    other = head[1]
                    if other != own_sub and other in COMMON_RANKS and COMMON_RANKS[other] >= COMMON_RANKS[own_sub]:
                        problems.append(f"{where}:{line}: common/{own_sub}/ (rank {COMMON_RANKS[own_sub]}) must not import "
                                        f"{name} (rank {COMMON_RANKS[other]})")
    return problems


def test_the_source_keeps_the_dependency_rule():
    assert violations(ROOT) == []


def test_every_common_sub_package_is_ranked_and_says_what_belongs_there():
    subs = {p.name for p in (ROOT / "common").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert subs == set(COMMON_RANKS)
    for sub in subs:
        docstring = ast.get_docstring(ast.parse((ROOT / "common" / sub / "__init__.py").read_text()))
        assert docstring and "import" in docstring, f"common/{sub}/__init__.py needs a docstring saying what may import it"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for top in TOP_LEVEL:
        (tmp_path / top).mkdir(exist_ok=True)
        (tmp_path / top / "__init__.py").write_text("")
    for sub in COMMON_RANKS:
        (tmp_path / "common" / sub).mkdir(exist_ok=True)
        (tmp_path / "common" / sub / "__init__.py").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("name, text, why", [
    ("common/core/a.py", "from common.io.images import read_image\n", "common/core/ (rank 0) must not import common.io.images"),
    ("common/io/a.py", "def f():\n    from common.train import loop\n", "common/io/ (rank 1) must not import common.train (rank 4)"),
    ("common/nn/a.py", "from ..metrics import fid\n", "common/nn/ (rank 3) must not import common.metrics"),
    ("common/backbones/a.py", "import common.degrade.kernels\n", "must not import common.degrade.kernels (rank 2)"),
    ("common/train/a.py", "from superres.models import SRResNet\n", "common/ must not import superres.models"),
    ("common/a.py", "x = 1\n", "a module directly in common/"),
    ("export/a.py", "import translate.models\n", "export/ must not import translate.models"),
    ("superres/a.py", "from translate import Translator\n", "superres/ must not import translate.Translator"),
])
def test_a_forbidden_import_is_caught(tmp_path, name, text, why):
    problems = violations(_tree(tmp_path, {name: text}))
    assert len(problems) == 1 and why in problems[0], problems


def test_allowed_imports_pass(tmp_path):
    allowed = {"common/train/a.py": "from common.core.errors import UserError\nfrom common.nn import ema\nfrom . import b\n",
               "common/train/b.py": "import torch\n", "superres/a.py": "from common.train.loop import fit\nimport export\n"}
    assert violations(_tree(tmp_path, allowed)) == []
