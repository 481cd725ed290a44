"""nnzoo notebook: the generated notebooks executed in a real Jupyter kernel (nbclient + ipykernel) at the quick
size, their cells run and their claims in the outputs; an edited hyperparameter cell changes the run; the CLI's
options and user errors; the message naming the extra when it is missing.

Three recipes run here; `pytest -m notebooks` (a CI stage of its own, see .ci/run) runs every recipe's notebook.
"""

import json
import subprocess
import sys

import nbformat
import pytest
from _browser import chromium, full_page_png, is_blank, rendered_images, save_screenshot
from nbclient import NotebookClient

import nnzoo
from nnzoo import cli, registry
from nnzoo.errors import NnzooError

CHEAP = ("losses", "perceptron")  # with mcp_neurons (the editing test) the three cheapest at the quick size


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """`nnzoo notebook all --quick --out DIR`, once: every recipe's notebook."""
    folder = tmp_path_factory.mktemp("notebooks")
    assert cli.main(["notebook", "all", "--quick", "--out", str(folder)]) == 0
    return folder


def client(notebook, cwd):
    return NotebookClient(notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})


def outputs_text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def table_output(cell, mime):
    (result,) = [o for o in cell.outputs if o.output_type == "execute_result"]
    return result["data"][mime]


def run_folder(cwd, recipe):
    (folder,) = sorted((cwd / "runs" / recipe).iterdir())[-1:]
    return folder


def check_executed(notebook, cwd, recipe):
    """Every code cell ran without error; the table, the figures and every claim are in the outputs."""
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    folder = run_folder(cwd, recipe)
    claims = json.loads((folder / "claims.json").read_text())
    printed = outputs_text(code[-1])
    assert claims and f"{recipe}: {sum(c['passed'] for c in claims)}/{len(claims)} claims hold" in printed
    for claim in claims:
        assert f"[{'PASS' if claim['passed'] else 'FAIL'}] {claim['claim']}" in printed
        assert claim["evidence"] in printed
    assert "<table" in table_output(code[-3], "text/html")
    images = [o["data"]["image/png"] for o in code[-2].outputs if "image/png" in o.get("data", {})]
    assert len(images) == len(list(folder.glob("*.png"))) > 0 and all(len(i) > 1000 for i in images)
    assert f"[{recipe}] " in outputs_text(code[3]) and "quick mode, seed 0" in outputs_text(code[3])  # progress
    return claims


@pytest.fixture(scope="module")
def executed(notebooks, tmp_path_factory):
    """Execute a recipe's notebook in a kernel once: (notebook, the claims it printed)."""
    done = {}

    def execute(recipe):
        if recipe not in done:
            cwd = tmp_path_factory.mktemp(recipe)
            notebook = nbformat.read(notebooks / f"{recipe}.ipynb", as_version=4)
            client(notebook, cwd).execute()
            done[recipe] = notebook, check_executed(notebook, cwd, recipe)
        return done[recipe]

    return execute


@pytest.mark.parametrize("recipe", CHEAP)
def test_notebook_runs_in_a_kernel(executed, recipe):
    notebook, claims = executed(recipe)
    assert notebook.metadata["nnzoo"]["recipe"] == recipe and claims


def test_executed_notebook_in_chromium(executed, tmp_path):
    """The executed notebook as a reader sees it (nbconvert's HTML): figures drawn, every claim printed."""
    from nbconvert import HTMLExporter
    from selenium.webdriver.common.by import By

    notebook, claims = executed("losses")
    page = tmp_path / "losses.html"
    page.write_text(HTMLExporter().from_notebook_node(notebook)[0], encoding="utf-8")
    with chromium() as driver:
        driver.get(page.as_uri())
        images = rendered_images(driver)
        assert len(images) == 2 and all(loaded and not is_blank(png) for loaded, png in images)
        text = " ".join(driver.find_element(By.TAG_NAME, "body").text.split())
        for claim in claims:
            assert " ".join(f"[{'PASS' if claim['passed'] else 'FAIL'}] {claim['claim']}".split()) in text
        assert "Univ. of Cologne" in text or "UPM Madrid" in text
        driver.set_window_size(1280, 1600)
        results = driver.find_element(By.XPATH, "//h2[starts-with(normalize-space(), 'Results')]")
        driver.execute_script("arguments[0].scrollIntoView()", results)
        save_screenshot(driver.get_screenshot_as_png(), "notebook.png")  # the table and the figures
        assert not is_blank(full_page_png(driver))


@pytest.mark.notebooks
@pytest.mark.parametrize("recipe", list(registry.recipes()))
def test_every_notebook_runs_in_a_kernel(executed, recipe):
    notebook, claims = executed(recipe)
    assert notebook.metadata["nnzoo"]["recipe"] == recipe and claims


def test_editing_the_hyperparameter_and_model_cells_changes_the_run(notebooks, tmp_path):
    notebook = nbformat.read(notebooks / "mcp_neurons.ipynb", as_version=4)
    config_index = next(i for i, c in enumerate(notebook.cells) if c.source.startswith("# the recipe's QUICK"))
    runner = client(notebook, tmp_path)
    with runner.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            runner.execute_cell(cell, index)
        check_executed(notebook, tmp_path, "mcp_neurons")
        first_table = table_output(notebook.cells[-5], "text/plain")
        first_folder = run_folder(tmp_path, "mcp_neurons")
        assert "sweep_step=0.25," in notebook.cells[config_index].source
        notebook.cells[config_index].source = notebook.cells[config_index].source.replace(
            "sweep_step=0.25,", "sweep_step=0.5,"
        )
        model_cell = notebook.cells[config_index + 2]  # the run must build its networks with the cell's definition
        model_cell.source = model_cell.source.replace(
            "recipe.build_model = build_model",
            "built = []\n\ndef recorded(variant, *args, **kwargs):\n    built.append(variant)\n"
            "    return build_model(variant, *args, **kwargs)\n\nrecipe.build_model = recorded",
        )
        for index in range(config_index, len(notebook.cells)):
            runner.execute_cell(notebook.cells[index], index)
        probe = nbformat.v4.new_code_cell("print(sorted(built) == sorted(recipe.NETWORKS), len(built))")
        notebook.cells.append(probe)
        runner.execute_cell(probe, len(notebook.cells) - 1)
        notebook.cells.pop()
    assert outputs_text(probe).split()[0] == "True" and int(outputs_text(probe).split()[1]) > 0
    check_executed(notebook, tmp_path, "mcp_neurons")
    second_folder = run_folder(tmp_path, "mcp_neurons")
    assert second_folder != first_folder
    assert json.loads((second_folder / "run.json").read_text())["config"]["sweep_step"] == 0.5
    assert json.loads((first_folder / "run.json").read_text())["config"]["sweep_step"] == 0.25
    assert table_output(notebook.cells[-5], "text/plain") != first_table


def test_notebook_is_built_from_the_recipe_module(notebooks):
    import inspect

    from nnzoo.recipes import batchnorm

    notebook = nbformat.read(notebooks / "batchnorm.ipynb", as_version=4)
    sources = [c.source for c in notebook.cells]
    assert inspect.getsource(batchnorm.build_model).strip() in sources[5]
    assert "from nnzoo import custom_layers" in sources[5] and "from nnzoo.recipes.batchnorm import" in sources[5]
    assert inspect.getsource(batchnorm.Config).strip() in sources[2]
    assert f"epochs={batchnorm.QUICK.epochs!r}," in sources[3]
    assert "Univ. of Cologne" in sources[0] and "UPM Madrid" in sources[0] and "lines 820-960" in sources[0]
    assert "result = nnzoo.run('batchnorm', quick=True, seed=0, config=config)" in sources
    assert notebook.metadata["nnzoo"] == {"recipe": "batchnorm", "quick": True, "seed": 0, "version": nnzoo.__version__}
    assert sorted(p.stem for p in notebooks.glob("*.ipynb")) == list(registry.recipes())


def test_cli_defaults_out_and_seed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["notebook", "hebb"]) == 0
    full = nbformat.read(tmp_path / "notebooks" / "hebb.ipynb", as_version=4)
    assert any(c.source.startswith("# the recipe's FULL") for c in full.cells)
    assert "result = nnzoo.run('hebb', quick=False, seed=0, config=config)" in [c.source for c in full.cells]
    assert cli.main(["notebook", "hebb", "--out", "lesson.ipynb", "--seed", "7"]) == 0
    seeded = nbformat.read(tmp_path / "lesson.ipynb", as_version=4)
    assert "result = nnzoo.run('hebb', quick=False, seed=7, config=config)" in [c.source for c in seeded.cells]
    assert "wrote lesson.ipynb" in capsys.readouterr().out


def test_all_writes_nothing_when_one_notebook_exists(tmp_path, capsys):
    (tmp_path / "xor_mlp.ipynb").write_text("my own edits")
    assert cli.main(["notebook", "all", "--out", str(tmp_path)]) == 2
    assert f"'{tmp_path / 'xor_mlp.ipynb'}' already exists" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["xor_mlp.ipynb"]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["notebook", "hebb", "--out", "lesson.txt"], "--out must name a .ipynb file. Received: out='lesson.txt'"),
        (["notebook", "hebb", "--out", "mine.ipynb"], "'mine.ipynb' already exists; nnzoo does not overwrite"),
        (["notebook", "hebb", "--seed", "-1"], "--seed must be an integer in [0, 2147483647]"),
        (["notebook", "nope"], "Unknown recipe 'nope'; expected one of:"),
    ],
)
def test_cli_user_errors(args, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.ipynb").write_text("my own edits")
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "mine.ipynb").read_text() == "my own edits"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.ipynb"]


def test_run_refuses_a_config_of_another_recipe(tmp_path):
    from nnzoo.recipes import losses

    with pytest.raises(NnzooError, match=r"config must be an instance of nnzoo.recipes.hebb.Config"):
        nnzoo.run("hebb", config=losses.QUICK, out=tmp_path / "run", verbose=0)


def test_missing_extra_names_it_without_loading_tensorflow():
    code = (
        "import sys; sys.modules['nbformat'] = None; from nnzoo.cli import main; rc = main(['notebook', 'hebb']); "
        "assert 'tensorflow' not in sys.modules, 'TF imported'; sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        "nnzoo notebook: error: This needs the optional 'nbformat' package; install it "
        "with: pip install 'nnzoo[notebook]'. Received: nbformat is not installed"
    )
