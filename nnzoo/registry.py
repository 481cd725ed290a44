"""Find the recipes without importing them (so `nnzoo list` never loads TensorFlow).

A recipe is any public module in ``nnzoo.recipes``. Its summary is the first line of the
module docstring and its lectures are the ``LECTURES`` tuple literal, both read with ``ast``; it is tunable
(``nnzoo tune``) when it defines a top-level ``tunable_model``.
"""

import ast
import dataclasses
import importlib.util
from functools import lru_cache
from pathlib import Path

from nnzoo.errors import unknown_name


@dataclasses.dataclass(frozen=True)
class RecipeInfo:
    name: str
    summary: str
    lectures: tuple
    path: Path
    tunable: bool


def _recipes_dir():
    spec = importlib.util.find_spec("nnzoo.recipes")
    return Path(next(iter(spec.submodule_search_locations)))


def _read_info(path):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    tree = _parse_head(lines, str(path))
    doc = ast.get_docstring(tree) or ""
    lectures = ()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "LECTURES" for t in node.targets):
            lectures = tuple(ast.literal_eval(node.value))
    summary = doc.strip().splitlines()[0] if doc.strip() else ""
    # a top-level def starts its line; parsing every recipe whole to find it took `nnzoo tune`'s user errors 0.35 s
    tunable = any(line.startswith("def tunable_model(") for line in lines)
    return RecipeInfo(path.stem, summary, lectures, path, tunable)


def _parse_head(lines, filename):
    """The module up to the end of its ``LECTURES`` statement (all of it without one): parsing whole recipes
    took most of `nnzoo list`'s time."""
    first = next((i for i, line in enumerate(lines) if line.startswith("LECTURES")), len(lines))
    for stop in range(first + 1, len(lines)):
        try:
            return ast.parse("".join(lines[:stop]), filename=filename)
        except SyntaxError:  # the LECTURES tuple goes on over more lines
            continue
    return ast.parse("".join(lines), filename=filename)


@lru_cache(maxsize=None)
def recipes():
    """All recipes, sorted by name, as {name: RecipeInfo}."""
    found = {}
    for path in sorted(_recipes_dir().glob("*.py")):
        if not path.name.startswith("_"):
            info = _read_info(path)
            found[info.name] = info
    return found


def get(name):
    """The RecipeInfo for ``name``; an unknown name raises NnzooError listing the valid ones."""
    known = recipes()
    if name not in known:
        raise unknown_name("recipe", name, known)
    return known[name]


def load_module(name):
    """Import the recipe module (this is where TensorFlow gets loaded, quietly: see nnzoo/recipes/__init__.py)."""
    get(name)
    return importlib.import_module(f"nnzoo.recipes.{name}")
