"""Headless Chromium for the tests that look at pages as a person would (Debian's chromium + chromium-driver).

Missing Chromium skips those tests with the reason, except in CI (CI=true), where it fails them:
.ci/run installs it. NNZOO_UPDATE_SCREENSHOTS=1 makes the tests write the README's screenshots.
"""

import contextlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "images"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


@contextlib.contextmanager
def chromium(width=1280, height=1000):
    """A selenium driver for a fresh headless Chromium with an empty profile."""
    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver_path is None:
        reason = (
            "Chromium not found (needs /usr/bin/chromium and /usr/bin/chromedriver: "
            "apt-get install chromium chromium-driver; .ci/run installs them)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    with tempfile.TemporaryDirectory(prefix="nnzoo-chromium-") as profile:
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def full_page_png(driver):
    """A screenshot of the whole page: the window grows to the document's height first."""
    width = driver.execute_script("return window.outerWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 120, 8000))
    return driver.get_screenshot_as_png()


def is_blank(png):
    """True when an image is one flat colour (nothing was drawn)."""
    stat = ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L"))
    return stat.stddev[0] < 1.0


def rendered_images(driver):
    """Every <img> on the page as (loaded, element screenshot PNG)."""
    found = []
    for img in driver.find_elements(By.TAG_NAME, "img"):
        driver.execute_script("arguments[0].scrollIntoView()", img)
        loaded = driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
        found.append((loaded, img.screenshot_as_png))
    return found


def save_screenshot(png, name):
    """Write docs/images/NAME when NNZOO_UPDATE_SCREENSHOTS=1 (the README's pictures come from the tests)."""
    if os.environ.get("NNZOO_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / name).write_bytes(png)
