#!/usr/bin/env python3
"""Browser check of the Galaxy tools: open each tool form and the cv report, save PNGs.

    python galaxy_tools/screenshots.py --url http://127.0.0.1:8080 --api-key KEY [--out docs/screenshots]

Drives Debian's headless Chromium (``/usr/bin/chromium``, ``/usr/bin/chromedriver``) with
Selenium, against a running Galaxy (the one ``galaxy_tools/run_tests.sh`` starts):

1. with the user's API key: puts enhancer_sk_cv on Galaxy's HTML allow-list (the user must
   be an admin, as in run_tests.sh: without it Galaxy shows any tool's HTML as plain text),
   uploads test-data/train_pos.fa and train_neg.fa into a new history and runs the cv tool
   on them (k-mer SVM, HTML report), unless --report-dataset names a report already made or
   the cv tool is not among --tools;
2. logs the browser in through Galaxy's login form (--email / --password);
3. opens ``/?tool_id=<id>`` for every tool, waits for the form, fails when it has no input
   field or shows an error, and saves ``<tool_id>.png``;
4. opens the report in Galaxy (``/datasets/<id>/preview``) and saves ``cv_report.png``.

Exit code 1, with a message naming what went wrong, when a page logs a JavaScript error
(a SEVERE entry of the browser console, except the known harmless ones in HARMLESS; the
script turns Galaxy's silenced console on), a form is empty or does not appear, or the cv
job fails; the PNGs are written all the same. One line is printed per screenshot.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS_DIR = HERE / "enhancer_sk"
TEST_DATA = TOOLS_DIR / "test-data"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WIDTH, HEIGHT = 1280, 900

# SEVERE console entries that are known noise, not errors of the page or of the tools:
# (source, regular expression matched against the message). Everything else SEVERE fails.
HARMLESS = [
    # Galaxy 26's client asks every page for the user's own ("unprivileged") tools, which a
    # user may not have unless the admin enables them: 403
    ("network", r"/api/unprivileged_tools - Failed to load resource: .* 403"),
    # the tool panel fetches the Galaxy Training Network's top-tools list from the internet;
    # the test machine is offline (any server but Galaxy ({galaxy}: its URL) that cannot be reached)
    ("network", r"^(?!{galaxy}/)https?://[^ ]* - Failed to load resource: net::ERR_"),
]
GALAXY_URL = ""  # set by main


class CheckError(Exception):
    pass


# ------------------------------------------------------------------ Galaxy API (the user's key)
class Api:
    def __init__(self, url: str, key: str):
        self.url = url.rstrip("/")
        self.key = key

    def call(self, method: str, path: str, payload: dict | None = None):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(f"{self.url}/api/{path}", data=data, method=method)
        req.add_header("x-api-key", self.key)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise CheckError(f"{method} /api/{path}: HTTP {e.code}: {e.read()[:500].decode(errors='replace')}") from e
        except OSError as e:  # URLError, timeouts: Galaxy is not there
            raise CheckError(f"{method} /api/{path}: {e}") from e

    def get(self, path: str):
        return self.call("GET", path)

    def post(self, path: str, payload: dict):
        return self.call("POST", path, payload)

    def wait_ok(self, dataset_ids: list[str], timeout: float) -> None:
        end = time.monotonic() + timeout
        pending = list(dataset_ids)
        while pending:
            states = {i: self.get(f"datasets/{i}?keys=state,name,misc_info") for i in pending}
            for d in states.values():
                if d["state"] in ("error", "failed_metadata", "deleted", "discarded"):
                    raise CheckError(f"dataset {d.get('name')} is in state {d['state']}: {d.get('misc_info')}")
            pending = [i for i, d in states.items() if d["state"] != "ok"]
            if pending and time.monotonic() > end:
                raise CheckError(f"datasets not ready after {timeout:.0f} s: {pending}")
            if pending:
                time.sleep(2)


def make_cv_report(api: Api, timeout: float) -> tuple[str, str]:
    """Upload the two FASTA files into a new history and run cv on them; (history id, report id)."""
    history = api.post("histories", {"name": "enhancer-sk screenshots"})["id"]
    files = ["train_pos.fa", "train_neg.fa"]
    fetched = api.post(
        "tools/fetch",
        {
            "history_id": history,
            "targets": [
                {
                    "destination": {"type": "hdas"},
                    "elements": [
                        {"src": "pasted", "paste_content": (TEST_DATA / f).read_text(), "name": f, "ext": "fasta"}
                        for f in files
                    ],
                }
            ],
        },
    )
    ids = [o["id"] for o in fetched["outputs"]]
    api.wait_ok(ids, timeout)
    run = api.post(
        "tools",
        {
            "history_id": history,
            "tool_id": "enhancer_sk_cv",
            "inputs": {
                "data|source": "classes",
                "data|positive": {"src": "hda", "id": ids[0]},
                "data|negative": {"src": "hda", "id": ids[1]},
                "model|model": "kmer",
                "folds": 3,
                "html_report": True,
            },
        },
    )
    outputs = {o["output_name"]: o["id"] for o in run["outputs"]}
    if "report" not in outputs:
        raise CheckError(f"the cv tool made no 'report' output (outputs: {sorted(outputs)})")
    api.wait_ok(list(outputs.values()), timeout)
    return history, outputs["report"]


# ------------------------------------------------------------------ browser
def start_browser():
    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium-manager download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for exe in (CHROMIUM, CHROMEDRIVER):
        if not os.access(exe, os.X_OK):
            raise CheckError(f"{exe} not found: apt-get install chromium chromium-driver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--lang=en-US",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    # the viewport (not the window) WIDTH x HEIGHT, so every PNG has that size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.set_page_load_timeout(120)
    return driver


def wait_for(driver, css: str, timeout: float, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.5).until(
            EC.visibility_of_element_located((By.CSS_SELECTOR, css))
        )
    except TimeoutException as e:
        raise CheckError(f"{what}: no visible {css!r} after {timeout:.0f} s") from e


def console_errors(driver) -> list[str]:
    """The SEVERE browser console entries since the last call, less the known harmless ones."""
    errors = []
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        msg, source = entry.get("message", ""), entry.get("source", "")
        harmless = (re.search(p.replace("{galaxy}", re.escape(GALAXY_URL)), msg) for s, p in HARMLESS if s == source)
        if not any(harmless):
            errors.append(f"[{source}] {msg}")
    return errors


def visible(driver, css: str) -> list[str]:
    """The text of the elements matching css that are displayed (one script: no stale elements)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])]"
        ".filter(e => e.offsetParent !== null || e.getClientRects().length)"
        ".map(e => e.innerText || '')",
        css,
    )


def settle(driver, seconds: float = 1.5) -> None:
    """Let Vue finish rendering (spinners, fonts) before a screenshot."""
    end = time.monotonic() + 20
    while time.monotonic() < end and visible(driver, ".fa-spinner, .loading-message"):
        time.sleep(0.5)
    driver.execute_script("return document.fonts ? document.fonts.ready : null")
    time.sleep(seconds)


def login(driver, url: str, email: str, password: str, timeout: float, history: str | None) -> str:
    """Log in through the login form; make `history` the current one (the panel on the right)."""
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/login/start")
    wait_for(driver, "form#login", timeout, "login form")
    driver.find_element(By.ID, "login-form-name").send_keys(email)
    driver.find_element(By.ID, "login-form-password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form#login button[name='login']").click()
    wait_for(driver, "#masthead .loggedin-only", timeout, f"login as {email}")
    # Galaxy's client silences `console` unless debugging is on (a stored setting): turn it
    # on, so that errors the client catches and logs (Vue's render errors) reach the log
    driver.execute_script("if (window.enableDebugging) { window.enableDebugging(); }")
    if history:
        driver.get(f"{url}/history/set_as_current?id={history}")
    return f"logged in as {email}"


def save_png(driver, path: Path) -> int:
    png = driver.get_screenshot_as_png()
    try:  # optional: a palette PNG is a third of the size (Pillow is there with matplotlib)
        import io

        from PIL import Image

        img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True)
        png = buf.getvalue()
    except ImportError:
        pass
    path.write_bytes(png)
    return len(png)


def shoot_tool(driver, url: str, tool_id: str, out: Path, timeout: float) -> str:
    console_errors(driver)  # drop what earlier pages logged
    driver.get(f"{url}/?tool_id={tool_id}")
    problems = []
    fields: list[str] = []
    try:
        # the tool form's title bar, drawn once the tool's JSON has loaded (or an error box)
        wait_for(driver, "#center .tool-header, #center .alert-danger", timeout, "no tool form")
        if not visible(driver, "#center .tool-header"):
            raise CheckError("no tool form")
        settle(driver)
        fields = visible(driver, "#center .ui-form-element")
        if not fields:
            problems.append("the form has no input field")
    except CheckError as e:
        problems.append(str(e))
    size = save_png(driver, out / f"{tool_id}.png")
    problems += [f"error shown: {a}" for a in visible(driver, "#center .alert-danger") if a.strip()]
    problems += [f"JavaScript error: {m}" for m in console_errors(driver)]
    if problems:
        raise CheckError(f"{tool_id}: " + "; ".join(problems))
    return f"{tool_id}.png: {len(fields)} fields, {size // 1024} KB"


def shoot_report(driver, url: str, dataset_id: str, out: Path, timeout: float) -> str:
    from selenium.webdriver.common.by import By

    console_errors(driver)  # drop what earlier pages logged
    driver.get(f"{url}/datasets/{dataset_id}/preview")
    problems = []
    text = ""
    try:
        # the center panel shows the dataset's display URL in an iframe
        frame = wait_for(driver, f'iframe[src*="/datasets/{dataset_id}/display"]', timeout, "no report frame")
        driver.switch_to.frame(frame)
        try:
            wait_for(driver, "body *", timeout, "an empty report")
            text = driver.find_element(By.TAG_NAME, "body").text
        finally:
            driver.switch_to.default_content()
        settle(driver)
        if not text.strip():
            problems.append("the report shows no text")
    except CheckError as e:
        problems.append(str(e))
    size = save_png(driver, out / "cv_report.png")
    problems += [f"JavaScript error: {m}" for m in console_errors(driver)]
    if problems:
        raise CheckError("cv report: " + "; ".join(problems))
    return f"cv_report.png: {len(text.split())} words, {size // 1024} KB"


# ------------------------------------------------------------------ main
def tool_ids() -> list[str]:
    ids = []
    for xml in sorted(TOOLS_DIR.glob("*.xml")):
        root = ET.parse(xml).getroot()
        if root.tag == "tool":
            ids.append(root.get("id"))
    return ids


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="Galaxy's URL, e.g. http://127.0.0.1:8080")
    p.add_argument("--api-key", required=True, help="the user's API key (uploads and the cv run)")
    p.add_argument("--email", default="ci@example.org", help="the user the browser logs in as")
    p.add_argument("--password", default="ci-password-123")
    p.add_argument("--out", type=Path, default=HERE.parent / "docs" / "screenshots", help="where the PNGs go")
    p.add_argument("--tools", nargs="*", help="tool ids (default: every tool in galaxy_tools/enhancer_sk)")
    p.add_argument("--report-dataset", help="id of a cv HTML report to show (default: run cv to make one)")
    p.add_argument(
        "--no-allowlist",
        action="store_true",
        help="do not put enhancer_sk_cv on Galaxy's HTML allow-list (the report then shows as plain text)",
    )
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for a page (default 60)")
    p.add_argument("--job-timeout", type=float, default=600, help="seconds to wait for the cv job (default 600)")
    p.add_argument("--json", type=Path, help="also write the results as galaxy-tool-test style JSON")
    args = p.parse_args(argv)
    url = args.url.rstrip("/")
    global GALAXY_URL
    GALAXY_URL = url
    tools = args.tools or tool_ids()
    args.out.mkdir(parents=True, exist_ok=True)
    api = Api(url, args.api_key)
    t0 = time.monotonic()
    results: dict[str, str | None] = {}  # page -> None (passed) or what went wrong

    def record(page: str, step) -> None:
        from selenium.common.exceptions import WebDriverException

        try:
            line = step()
            results[page] = None
            print(f"screenshots: {line}", flush=True)
        except (CheckError, WebDriverException) as e:
            msg = str(e) if isinstance(e, CheckError) else f"{page}: {type(e).__name__}: {e.msg}"
            results[page] = msg
            print(f"screenshots: FAILED {msg}", flush=True)

    if not args.no_allowlist:
        # Galaxy (sanitize_all_html, the default) shows the HTML of a tool that is not on the
        # admin's allow-list as plain text: allow-list the report's tool, as an admin must
        try:
            api.call("PUT", "sanitize_allow?tool_id=enhancer_sk_cv")
        except CheckError as e:
            print(f"screenshots: cannot allow-list enhancer_sk_cv's HTML (report shown as text): {e}")
    report, history = args.report_dataset, None
    if report is None and "enhancer_sk_cv" in tools:
        try:
            history, report = make_cv_report(api, args.job_timeout)
            print(f"screenshots: cv report made ({time.monotonic() - t0:.0f} s)", flush=True)
        except CheckError as e:
            results["cv_report"] = f"cv run: {e}"
            print(f"screenshots: FAILED cv run: {e}", flush=True)

    driver = None
    try:
        driver = start_browser()
        record("login", lambda: login(driver, url, args.email, args.password, args.timeout, history))
        if results["login"] is None:
            del results["login"]  # not a page of its own
            console_errors(driver)  # the login page's own log is not a tool's
            for tool_id in tools:
                record(tool_id, lambda t=tool_id: shoot_tool(driver, url, t, args.out, args.timeout))
            if report:
                record("cv_report", lambda: shoot_report(driver, url, report, args.out, args.timeout))
    except Exception as e:  # noqa: BLE001 - e.g. Chromium does not start: the check fails, with why
        results["browser"] = f"browser: {type(e).__name__}: {e}"
    finally:
        if driver is not None:
            driver.quit()
    failures = [msg for msg in results.values() if msg]
    print(
        f"screenshots: {len(results) - len(failures)} passed, {len(failures)} failed in "
        f"{time.monotonic() - t0:.0f} s; PNGs in {args.out}"
    )
    if args.json:
        tests = [
            {"id": f"screenshot/{page}", "data": {"status": "failure" if msg else "success", "problems": msg}}
            for page, msg in results.items()
        ]
        args.json.write_text(json.dumps({"tests": tests}, indent=1) + "\n")
    for msg in failures:
        print(f"screenshots: FAILED {msg}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
