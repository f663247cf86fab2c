"""The code's map holds: imports run one way along the stages, no cycle, the sandbox stands alone, modules stay small
and are not named like the standard library or like a sibling with a suffix. Computed from the source with `ast`."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
STAGES = ("core", "config", "target", "checks", "evidence", "decide", "reports")
"""The gate's flow; a module of a stage imports only from its own stage or earlier ones."""
WIRING = ("plugin", "run", "finish", "fixtures", "fleet", "cli", "profile_tools", "runbook_commands")
"""The top-level modules: they wire the stages together (pytest's hooks, a run's state, its end, the runs of a fleet's
targets, the commands) and may import any stage; no stage imports them. They come after every stage."""
VERDICT_WORDS = frozenset({"GO", "NO-GO", "PENDING", "PASS", "FAIL", "WAIVED", "NOT_RUN"})
MAX_LINES = 400


def modules(package: str) -> dict[str, Path]:
    base = SRC / package
    out = {}
    for path in base.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path) -> Iterator[str]:
    """Absolute names of the modules `name` imports (relative imports resolved, `from x import y` as x or x.y)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def graph(package: str) -> dict[str, set[str]]:
    mods = modules(package)
    return {name: {dep for dep in imports_of(name, path) if dep in mods and dep != name} for name, path in mods.items()}


def stage(module: str) -> int | None:
    """Where a module of the gate sits in the flow; None when it has no place (a new top-level module must take one)."""
    parts = module.split(".")
    if len(parts) == 1:
        return -1  # the package itself (version, GateWarning) comes before every stage
    if parts[1] in STAGES:
        return STAGES.index(parts[1])
    return len(STAGES) if len(parts) == 2 and parts[1] in WIRING else None


def test_imports_run_one_way_along_the_stages() -> None:
    wrong = []
    for module, deps in graph("cutover_gate").items():
        own = stage(module)
        assert own is not None, f"{module} is neither in a stage {STAGES} nor a wiring module {WIRING}"
        for dep in deps:
            theirs = stage(dep)
            if theirs is None or theirs > own:
                wrong.append(f"{module} -> {dep}")
    assert not wrong, "imports against the flow core -> config -> target -> checks -> evidence -> decide -> reports " \
                      "-> wiring: " + ", ".join(sorted(wrong))


def test_every_wiring_module_exists() -> None:
    """WIRING names the top-level modules there are, no more."""
    assert sorted(WIRING) == sorted(p.stem for p in (SRC / "cutover_gate").glob("*.py") if p.stem != "__init__")


def test_only_decide_and_core_compare_a_verdict_to_its_word() -> None:
    """Elsewhere a verdict or a result is an enum member (`Verdict.NO_GO`, `Result.FAIL`), never its spelling."""
    found, gate = [], SRC / "cutover_gate"
    for path in sorted([*gate.rglob("*.py"), *(ROOT / "steps").glob("*.py")]):
        rel = (path.relative_to(gate) if gate in path.parents else path.relative_to(ROOT)).as_posix()
        if rel.startswith(("decide/", "core/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                words = [c for side in sides for c in (side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set)
                                                       else [side])
                         if isinstance(c, ast.Constant) and c.value in VERDICT_WORDS]
                if words:
                    found.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    assert not found, found


@pytest.mark.parametrize("package", ["cutover_gate", "cutover_sandbox", "cutover_pg"])
def test_no_import_cycle(package: str) -> None:
    edges = graph(package)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(edges[node]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep):], dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize(("package", "foreign"), [
    ("cutover_sandbox", "cutover_gate"), ("cutover_pg", "cutover_gate"), ("cutover_pg", "cutover_sandbox"),
    ("cutover_gate", "cutover_sandbox")])
def test_packages_stand_alone(package: str, foreign: str) -> None:
    """The reference platform never borrows the gate's code (nor the gate the platform's): one bug on both sides
    could agree with itself. Both share only PostgreSQL discovery, cutover_pg."""
    found = [f"{name} -> {dep}" for name, path in modules(package).items() for dep in imports_of(name, path)
             if dep == foreign or dep.startswith(foreign + ".")]
    assert not found, found


def python_files() -> list[Path]:
    return sorted([*SRC.rglob("*.py"), *(ROOT / "steps").glob("*.py")])


def test_no_module_is_over_the_size_limit() -> None:
    big = {str(p.relative_to(ROOT)): n for p in python_files()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_no_module_is_named_like_the_standard_library_or_a_sibling() -> None:
    clash, twins = [], []
    for path in python_files():
        name = path.stem
        if name != "__init__" and name in sys.stdlib_module_names:
            clash.append(str(path.relative_to(ROOT)))
        siblings = [p.stem for p in path.parent.glob("*.py") if p.stem not in (name, "__init__")]
        twins += [f"{path.parent.name}/{name} ~ {s}" for s in siblings
                  if s.startswith(name) and len(s) - len(name) <= 3]
    assert not clash, f"modules named like the standard library: {clash}"
    assert not twins, f"modules whose names differ by a suffix: {twins}"


def test_the_graph_sees_the_imports() -> None:
    """The checks above would pass on an empty graph: make sure it is not empty."""
    edges = graph("cutover_gate")
    assert "cutover_gate.core.catalogue" in edges["cutover_gate.decide.rules"]
    assert "cutover_gate.evidence.model" in edges["cutover_gate.evidence.recording"]  # a `from x import y` edge
    assert stage("cutover_gate.reports.render") == STAGES.index("reports")
    assert stage("cutover_gate.plugin") == stage("cutover_gate.fleet") == len(STAGES)
    assert stage("cutover_gate.decide.fleet") == STAGES.index("decide") and stage("cutover_gate.surprise") is None
    assert "cutover_gate.decide.fleet" in edges["cutover_gate.fleet"]


def test_the_gate_never_reads_which_dialect_the_sandbox_speaks() -> None:
    """Every difference of a platform is its profile's: no gate or step code names the sandbox's dialect."""
    sources = [*(SRC / "cutover_gate").rglob("*.py"), *(ROOT / "steps").rglob("*.py"), ROOT / "conftest.py"]
    found = [str(p.relative_to(ROOT)) for p in sources if "SANDBOX_DIALECT" in p.read_text(encoding="utf-8")
             or "--dialect" in p.read_text(encoding="utf-8")]
    assert found == []
