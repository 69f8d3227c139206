"""The ``--no-`` options of ``vllm serve``: the switches whose argparse action is ``BooleanOptionalAction``.

Run: ``python tools/vllm_negated_flags.py VLLM_SOURCE_DIR`` (a vLLM wheel unzipped, or a source tree: the
directory holding ``vllm/``). It prints a JSON list of option strings for ``data/engine_flags/vllm.json``.

``argparse.BooleanOptionalAction`` registers ``--name`` and ``--no-name`` together, so the ``--no-`` form of
such an option is in the parser although no source line spells it. This reads, without importing vLLM,
``vllm/engine/arg_utils.py``'s ``add_argument`` calls and takes an option as such a switch where

* the call names ``action=argparse.BooleanOptionalAction``, or
* its keyword arguments come from ``get_kwargs(SomeConfig)["field"]`` (spread into the call, or into a dict
  spread into it) and the field's type hint, read from the ``SomeConfig`` class under ``vllm/config/``,
  holds ``bool`` but is not ``bool | str | None`` (``_compute_kwargs`` in ``arg_utils.py``: a type with
  ``bool`` gets ``BooleanOptionalAction``; ``bool | str | None`` an optional value instead) and is not a
  config class of its own (those take JSON)

unless the call sets its own ``action``. vLLM 0.34.0's ``_compute_kwargs`` is the rule this follows; the
script fails loudly on a call it cannot read rather than guessing.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

#: the type-hint spellings that mean "optional value" rather than a switch (``bool | str | None``)
_OPTIONAL_VALUE = frozenset({"bool", "str", "None"})


def _hint_names(node: ast.expr | None) -> set[str]:
    """The type names a type hint joins (``bool | None`` -> {bool, None}; ``Optional[bool]`` the same)."""
    if node is None:
        return set()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _hint_names(node.left) | _hint_names(node.right)
    if isinstance(node, ast.Constant):
        return {"None"} if node.value is None else _hint_names(ast.parse(str(node.value), mode="eval").body)
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Subscript):
        outer = _hint_names(node.value)
        inner = node.slice
        parts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if outer & {"Optional", "Union"}:
            names = {name for part in parts for name in _hint_names(part)}
            return names | ({"None"} if "Optional" in outer else set())
        if outer == {"Annotated"}:
            return _hint_names(parts[0])
        return outer
    return {ast.unparse(node)}


def config_fields(config_dir: Path) -> dict[str, dict[str, set[str]]]:
    """Every class under ``config_dir`` and the type names of each annotated field."""
    classes: dict[str, dict[str, set[str]]] = {}
    for path in sorted(config_dir.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef):
                fields = classes.setdefault(node.name, {})
                for item in node.body:
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        fields[item.target.id] = _hint_names(item.annotation)
    return classes


def _kwargs_source(call: ast.Call) -> ast.Subscript | None:
    """The ``NAME_kwargs["field"]`` a call spreads, directly or through a dict it spreads."""
    for keyword in call.keywords:
        if keyword.arg is not None:
            continue
        value = keyword.value
        if isinstance(value, ast.Subscript):
            return value
        if isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values):
                if key is None and isinstance(item, ast.Subscript):
                    return item
    return None


def negated_flags(root: Path) -> list[str]:
    """The ``--no-`` forms of the switches ``vllm/engine/arg_utils.py`` registers, sorted."""
    tree = ast.parse((root / "vllm" / "engine" / "arg_utils.py").read_text("utf-8"))
    classes = config_fields(root / "vllm" / "config")
    # NAME_kwargs = get_kwargs(SomeConfig)
    sources: dict[str, str] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "get_kwargs"
            and node.value.args
            and isinstance(node.value.args[0], ast.Name)
        ):
            sources[node.targets[0].id] = node.value.args[0].id
    found: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "add_argument" or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        option = node.args[0].value
        if not (isinstance(option, str) and option.startswith("--")):
            continue
        action = next((k.value for k in node.keywords if k.arg == "action"), None)
        if action is not None:
            if isinstance(action, ast.Attribute) and action.attr == "BooleanOptionalAction":
                found.add("--no-" + option[2:])
            continue
        spread = _kwargs_source(node)
        if spread is None:
            continue
        if not (isinstance(spread.value, ast.Name) and isinstance(spread.slice, ast.Constant)):
            raise SystemExit(f"cannot read the keyword arguments of {option}: {ast.unparse(spread)}")
        config = sources.get(spread.value.id)
        if config is None:
            raise SystemExit(f"{option}: {spread.value.id} is not a get_kwargs(...) result")
        names = classes.get(config, {}).get(str(spread.slice.value))
        if names is None:
            raise SystemExit(f"{option}: field {spread.slice.value!r} of {config} not found")
        config_typed = (names - {"bool", "None"}) & set(classes)  # a config class of its own: JSON
        if "bool" in names and names != _OPTIONAL_VALUE and not config_typed:
            found.add("--no-" + option[2:])
    return sorted(found)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    print(json.dumps(negated_flags(Path(argv[0])), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
