"""The layering rules of CONTRIBUTING.md, read from the source (ast, no imports):
each native function has one Python owner module, and the drop-ins
(``compat/``) and the Dask splitter (``_distributed.py``) go through the
pillars' Python API, never through ``_core``."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "precipice"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom names."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _dotted(node: ast.expr) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id] + parts[::-1]
    return None


def core_uses(path: Path) -> set[str]:
    """The ``_core`` names a module reaches: ``"bootstrap.stratified_point"``,
    ``"has_openmp"``, ... (a bare ``"<module>"`` for the module itself handed on)."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(), str(path))
    aliases: dict[str, str] = {}  # local name -> dotted path inside _core ("" is _core itself)
    uses: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:
                local = alias.asname or alias.name
                if source == "precipice" and alias.name == "_core":
                    aliases[local] = ""
                elif source == "precipice._core" or source.startswith("precipice._core."):
                    inner = source[len("precipice._core.") :] if source != "precipice._core" else ""
                    name = f"{inner}.{alias.name}" if inner else alias.name
                    aliases[local] = name
                    uses.add(name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("precipice._core"):
                    uses.add("<module>")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = _dotted(node)
            if chain and chain[0] in aliases:
                uses.add(".".join(filter(None, [aliases[chain[0]], *chain[1:]])))
    # Keep the longest chains only: "bootstrap.stratified_point" implies "bootstrap".
    return {u for u in uses if not any(v.startswith(u + ".") for v in uses)}


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_the_parser_sees_the_known_owners():
    uses = core_uses(PACKAGE / "bootstrap.py")
    assert "bootstrap.stratified_replicates" in uses
    assert core_uses(PACKAGE / "_progress.py") == {"_set_progress"}


def test_compat_and_distributed_never_reach_the_core():
    offenders = {
        _module_name(path): sorted(core_uses(path))
        for path in _sources()
        if (
            path.parent.name == "compat"
            or "compat" in path.relative_to(PACKAGE).parts
            or path.name == "_distributed.py"
        )
        and core_uses(path)
    }
    assert offenders == {}, f"these call precipice._core directly; use the pillars' API: {offenders}"


def test_each_native_function_has_one_owner_module():
    owners: dict[str, set[str]] = defaultdict(set)
    for path in _sources():
        if path.name == "__init__.py" and path.parent == PACKAGE:
            continue  # the package re-exports has_openmp for users: not a call
        # A pillar that is a package (precipice.irt) is one owner, whichever of its rooms calls.
        owner = ".".join(_module_name(path).split(".")[:2])
        for name in core_uses(path):
            owners[name].add(owner)
    shared = {name: sorted(mods) for name, mods in owners.items() if len(mods) > 1}
    assert shared == {}, f"native functions called from more than one module: {shared}"
    assert "<module>" not in owners, "precipice._core is imported as a module somewhere"
