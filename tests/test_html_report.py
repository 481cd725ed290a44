"""report.html and `nnzoo report FOLDER`'s index.html, opened in headless Chromium: figures rendered (loaded,
not blank), every claim's text present and coloured by its verdict, readable on a laptop and a phone width,
the index's links leading to the reports. Also what the pages hold without a browser, and the user errors."""

import base64
import json
import re

import _browser
import numpy as np
import pandas as pd
import pytest
from _browser import chromium, full_page_png, is_blank, rendered_images, save_screenshot
from matplotlib.figure import Figure
from selenium.webdriver.common.by import By

import nnzoo
from nnzoo import cli
from nnzoo.report import write_run
from nnzoo.results import Claim, RecipeResult, Run


def failing_result():
    """A run with a failing claim, written by the same write_run as every recipe's."""
    fig = Figure(figsize=(4, 3))
    fig.subplots().plot(np.arange(10), np.arange(10) ** 2)
    claims = [
        Claim("Squares grow <fast> & steadily", True, "9^2 = 81 > 8^2 = 64", "03:1-2"),
        Claim("Squares are negative", False, "min = 0, so the claim fails", "04:3-4"),
    ]
    info = {
        "recipe": "synthetic",
        "summary": "a made-up run with a failing claim",
        "lectures": ["003"],
        "seed": 5,
        "quick": False,
        "config": {"n": 10},
        "started_utc": "2026-12-01T10:00:00+00:00",
        "wall_time_s": 0.1,
        "claims": {"total": 2, "passed": 1},
    }
    table = pd.DataFrame({"n": [1, 2], "square": [1.0, float("nan")], "note": ["<b>bold?</b>", None]})
    return RecipeResult(table, {"squares": fig}, claims, notes=["a note"]), info


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two real quick runs and one with a failing claim under one folder, and its index."""
    root = tmp_path_factory.mktemp("runs")
    results = [
        nnzoo.run("losses", quick=True, seed=seed, out=root / "losses" / f"seed{seed}", verbose=0) for seed in (0, 1)
    ]
    (root / "synthetic" / "a").mkdir(parents=True)
    result, info = failing_result()
    synthetic = Run(recipe="synthetic", result=result, out_dir=root / "synthetic" / "a", info=info)
    write_run(synthetic)
    assert cli.main(["report", str(root)]) == 0
    return root, [*results, synthetic]


def words(text):
    return " ".join(text.split())


def test_report_html_is_self_contained(runs):
    root, results = runs
    for result in results:
        page = (result.out_dir / "report.html").read_text()
        assert not re.search(r"(src|href)=\"(?!data:|#)", page), "only embedded resources"
        embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
        assert sorted(base64.b64decode(e) for e in embedded) == sorted(
            p.read_bytes() for p in result.out_dir.glob("*.png")
        )
    page = (root / "synthetic" / "a" / "report.html").read_text()
    assert "Squares grow &lt;fast&gt; &amp; steadily" in page and "&lt;b&gt;bold?&lt;/b&gt;" in page
    assert '<span class="verdict fail">FAIL</span>' in page and '<span class="verdict pass">PASS</span>' in page


def test_report_in_chromium(runs):
    root, results = runs
    with chromium() as driver:
        for result in results:
            driver.set_window_size(1280, 900)
            driver.get((result.out_dir / "report.html").as_uri())
            images = rendered_images(driver)
            assert len(images) == len(result.figures) > 0
            assert all(loaded and not is_blank(png) for loaded, png in images)
            claims_text = words(driver.find_element(By.CSS_SELECTOR, "table.claims").text)
            for claim in result.claims:
                assert words(claim.claim) in claims_text and words(claim.evidence) in claims_text
            badges = driver.find_elements(By.CSS_SELECTOR, "table.claims .verdict")
            assert [b.text for b in badges] == ["PASS" if c.passed else "FAIL" for c in result.claims]
            colours = {b.text: b.value_of_css_property("background-color") for b in badges}
            assert colours.get("PASS", "rgba(218, 251, 225, 1)") == "rgba(218, 251, 225, 1)"
            assert colours.get("FAIL", "rgba(255, 235, 233, 1)") == "rgba(255, 235, 233, 1)"
            driver.set_window_size(390, 844)  # a phone: the page never scrolls sideways, only its tables do
            assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            driver.set_window_size(1280, 900)
            driver.execute_script("window.scrollTo(0, 0)")
            if result.info["seed"] == 0 and result.recipe == "losses":
                save_screenshot(driver.get_screenshot_as_png(), "report.png")  # the page's top: claims, table
            assert not is_blank(full_page_png(driver))
    assert {c.passed for c in results[-1].claims} == {True, False}


def test_index_in_chromium(runs):
    root, results = runs
    with chromium(width=1000, height=500) as driver:
        driver.get((root / "index.html").as_uri())
        rows = driver.find_elements(By.CSS_SELECTOR, "table.runs tbody tr")
        cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
        expected = sorted(results, key=lambda r: (r.info["started_utc"], r.recipe, str(r.out_dir)))
        assert [c[0] for c in cells] == [r.recipe for r in expected]
        assert [c[2] for c in cells] == [str(r.info["seed"]) for r in expected]
        assert [c[4] for c in cells] == [
            f"{'PASS' if r.passed else 'FAIL'} {sum(x.passed for x in r.claims)}/{len(r.claims)}" for r in expected
        ]
        assert "3 runs; all claims hold in 2 of them" in driver.find_element(By.CLASS_NAME, "meta").text
        png = full_page_png(driver)
        assert not is_blank(png)
        save_screenshot(png, "index.png")
        for k, result in enumerate(expected):
            driver.get((root / "index.html").as_uri())
            driver.find_elements(By.CSS_SELECTOR, "table.runs tbody a")[k].click()
            assert driver.current_url == (result.out_dir / "report.html").as_uri()
            assert driver.find_element(By.TAG_NAME, "h1").text == result.recipe


def test_index_refreshes_its_own_page_only(runs, tmp_path, capsys):
    root, _ = runs
    assert cli.main(["report", str(root)]) == 0  # its own index.html: replaced
    assert capsys.readouterr().out.strip() == f"wrote {root / 'index.html'}"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text(json.dumps({"recipe": "x", "claims": {"total": 0, "passed": 0}}))
    (tmp_path / "index.html").write_text("<p>my page</p>")
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "was not written by nnzoo; it is left as it is" in capsys.readouterr().err
    assert (tmp_path / "index.html").read_text() == "<p>my page</p>"


@pytest.mark.parametrize(
    "case, needle",
    [
        ("empty", "No runs (folders with run.json) under"),
        ("missing", "is not a folder of runs"),
        ("corrupt", "is not a run.json nnzoo can read"),
    ],
)
def test_report_user_errors(case, needle, tmp_path, capsys):
    if case == "corrupt":
        (tmp_path / "run.json").write_text("{not json")
    folder = tmp_path / "missing" if case == "missing" else tmp_path
    assert cli.main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "index.html").exists()


@pytest.mark.parametrize("ci, outcome", [(None, pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_missing_chromium_skips_outside_ci_and_fails_in_it(ci, outcome, monkeypatch):
    monkeypatch.setattr(_browser.shutil, "which", lambda name: None)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="Chromium not found .*apt-get install chromium chromium-driver"):
        with chromium():
            pass
