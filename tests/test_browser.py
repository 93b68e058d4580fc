"""End to end: every lesson runs in a real JupyterLab, driven by headless Chromium; so does the
learner's path (a fresh workspace, one exercise solved in the browser, make lab again, grading).

For each notebook in notebooks/ the test opens it in JupyterLab, runs all cells, and checks what a
learner would see: no exceptions, every plot drawn as an image, and every widget responding when
its slider or dropdown moves. When a notebook fails, a screenshot of the first cell in trouble
goes to screenshots/<name>.png.

Each pytest-xdist worker has one JupyterLab server and one browser page, loaded once: the
notebooks are opened, run and closed one after another in that page. The notebooks are split
into two test classes, which --dist loadscope runs on two workers at once. The server runs on a
temporary copy of notebooks/, so running cells never changes the committed notebooks. It is
started the way `make lab` starts it (common.workspace.lab_command, with the course's Jupyter
settings: no news, no update check), with its own Jupyter config directory for the test's
settings (every cell attached to the page, so cells out of view can be checked). The browser
may only talk to 127.0.0.1.

Needs Debian's Chromium (`sudo apt-get install chromium`); Playwright never downloads a browser.
Without Chromium the test is skipped, except under CI=true, where that is a failure.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from common import classroom
from common.workspace import lab_command, update_workspace

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
SCREENSHOT_DIR = ROOT / "screenshots"
# The lessons a learner sees: JupyterLab hides (and will not open) files whose name starts with "."
NOTEBOOKS = sorted(path.name for path in NOTEBOOK_DIR.glob("*.ipynb")
                   if not path.name.startswith("."))
# The learner's path runs on a workspace of the first two lessons: one exercise solved, the
# others "not done yet".
LEARNER_LESSONS = NOTEBOOKS[:2]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOOPBACK = {"127.0.0.1", "localhost"}
VIEWPORT = {"width": 1280, "height": 900}

SERVER_START_TIMEOUT = 90  # seconds
LOAD_TIMEOUT = 60_000  # milliseconds, for Playwright
RUN_TIMEOUT = 120_000
WIDGET_TIMEOUT = 15_000

# The test's own JupyterLab settings, on top of the course's (jupyter_config/, as make lab uses):
# no kernel dialog, and every cell attached to the page so that cells out of view can be checked.
DISABLED_LAB_EXTENSIONS = {
    # jupytext is an authoring tool in some developers' environments, not a course dependency.
    "jupyterlab-jupytext": True,
}
LAB_USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True,
                                               "windowingMode": "none", "scrollPastEnd": False},
}

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
POPUPS = ".jp-Dialog, .Toastify__toast"  # JupyterLab's dialogs and notifications

# --- JavaScript run in the page (window.jupyterapp exists because of expose_app_in_browser) -----

NOTEBOOK_READY_JS = """(name) => {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    return Boolean(panel && panel.context && panel.context.path === name
                   && panel.context.isReady && panel.sessionContext);
}"""

# Start listening to the kernel's error messages (exceptions in cells and in widget callbacks
# alike), then start running all cells; WAIT_IDLE_JS waits for the end.
RUN_ALL_JS = """async (timeout) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    const late = new Promise((_, reject) => setTimeout(
        () => reject(new Error(`no kernel after ${timeout} ms`)), timeout));
    await Promise.race([panel.sessionContext.ready, late]);
    window.e2eErrors = [];
    panel.sessionContext.session.kernel.iopubMessage.connect((_, msg) => {
        if (msg.header.msg_type === 'error') {
            const error = `${msg.content.ename}: ${msg.content.evalue}`;
            const entry = window.e2eErrors.push(`in the kernel: ${error}`) - 1;
            // Name the code cell whose output shows the traceback, once it is drawn.
            setTimeout(() => {
                const code = panel.content.widgets.filter(cell => cell.model.type === 'code');
                const shows = node => node.innerText.includes(msg.content.evalue.slice(0, 100));
                const where = code.findIndex(cell => shows(cell.outputArea.node));
                const inWidget = where >= 0 && Array.from(code[where].outputArea.node
                    .querySelectorAll('.widget-output')).some(shows);
                const place = where < 0 ? 'in the kernel'
                    : `in ${inWidget ? "the widget's output of " : ''}code cell ${where + 1}`;
                window.e2eErrors[entry] = `${place}: ${error}`;
            }, 200);
        }
    });
    window.e2eRunning = true;
    app.commands.execute('notebook:run-all-cells')
        .finally(() => { window.e2eRunning = false; });
}"""

# Wait until the kernel has been idle, with no cell showing [*], for `quiet` milliseconds.
WAIT_IDLE_JS = """async ([timeout, quiet]) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const start = Date.now();
    let quietSince = Date.now();
    while (Date.now() - start < timeout) {
        const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
        const running = Array.from(panel.node.querySelectorAll('.jp-InputPrompt'))
            .some(prompt => prompt.textContent.includes('*'));
        const images = Array.from(panel.node.querySelectorAll('.jp-OutputArea img'));
        if (window.e2eRunning || !kernel || kernel.status !== 'idle' || running
            || images.some(img => !img.complete)) {
            quietSince = Date.now();
        } else if (Date.now() - quietSince >= quiet) {
            return true;
        }
        await new Promise(resolve => setTimeout(resolve, 50));
    }
    return false;
}"""

# What the browser shows, cell by cell. "images" are plots in the cell's own output area; plots
# drawn inside a widget's Output area are counted separately, with their widget.
CELLS_JS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const measure = img => ({width: img.naturalWidth, height: img.naturalHeight});
    return panel.content.widgets.map((cell, index) => {
        const result = {type: cell.model.type, source: cell.model.sharedModel.getSource()};
        if (cell.model.type !== 'code') return result;
        const area = cell.outputArea.node;
        const children = area.querySelectorAll(':scope > .jp-OutputArea-child');
        const direct = ':scope > .jp-OutputArea-child > .jp-OutputArea-output';
        result.outputs = [];
        result.widgets = [];
        for (let i = 0; i < cell.model.outputs.length; i++) {
            const output = cell.model.outputs.get(i);
            const stderr = output.type === 'stream'
                && output.data['application/vnd.jupyter.stderr'];
            result.outputs.push({type: output.type, mimes: Object.keys(output.data),
                                 stderr: stderr ? String(stderr).slice(0, 500) : null});
            if ('WIDGET_MIME' in output.data && children[i]) {
                // Mark the widget's output so that Playwright can find it again.
                children[i].dataset.e2eWidget = `${index}-${i}`;
                result.widgets.push(`${index}-${i}`);
            }
        }
        result.executionCount = cell.model.executionCount;
        result.prompt = cell.node.querySelector('.jp-InputPrompt').textContent.trim();
        result.images = Array.from(area.querySelectorAll(
            `${direct}[data-mime-type="image/png"] img`)).map(measure);
        result.widgetImages = Array.from(area.querySelectorAll('.jupyter-widgets img'))
            .map(measure);
        return result;
    });
}""".replace("WIDGET_MIME", WIDGET_MIME)

# A widget's "result": the text and pictures in its Output areas (what interact redraws).
WIDGET_RESULT_JS = """(root) => Array.from(root.querySelectorAll('.widget-output')).map(out =>
    out.innerText + Array.from(out.querySelectorAll('img')).map(img => img.src).join('|')
).join('\\n---\\n')"""

# Open a notebook in the page that is already loaded; close it again and stop its kernel.
OPEN_JS = """async (path) => {
    const panel = await window.jupyterapp.commands.execute('docmanager:open', {path});
    window.jupyterapp.shell.activateById(panel.id);
}"""
# The kernel shuts down in the background while the next notebook opens.
CLOSE_ALL_JS = """() => {
    for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
        if (widget.sessionContext) {
            widget.sessionContext.shutdown().catch(() => {});
        }
        widget.dispose();
    }
}"""
# Whether the open notebook counts as modified once its kernel has told JupyterLab who it is.
DIRTY_AFTER_KERNEL_INFO_JS = """async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.sessionContext.ready;
    await panel.sessionContext.session.kernel.info;
    await new Promise(resolve => setTimeout(resolve, 500));
    return panel.model.dirty;
}"""
# Type a new source into one cell (found by its id) as the editor would, through its model.
SET_SOURCE_JS = """([cellId, source]) => {
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    const cell = cells.find(cell => cell.model.id === cellId);
    cell.model.sharedModel.setSource(source);
}"""
OUTPUT_TEXT_JS = """(cellId) => window.jupyterapp.shell.currentWidget.content.widgets
    .find(cell => cell.model.id === cellId).outputArea.node.innerText"""
SAVE_JS = """async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.context.save();
    return panel.model.dirty;
}"""
SCROLL_TO_CELL_JS = """(index) => {
    const panel = window.jupyterapp.shell.currentWidget;
    window.jupyterapp.shell.collapseLeft();
    const code = panel.content.widgets.filter(cell => cell.model.type === 'code');
    (code[index] || panel.content.widgets[0]).node.scrollIntoView();
}"""


def _on_ci():
    return os.environ.get("CI", "").strip().lower() == "true"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(server, method, path):
    request = urllib.request.Request(f"{server['url']}{path}", method=method,
                                     headers={"Authorization": f"token {server['token']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _write_jupyter_config(config_dir):
    (config_dir / "labconfig").mkdir(parents=True)
    (config_dir / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": DISABLED_LAB_EXTENSIONS}))
    # Keep authoring-only server extensions (jupytext) out, as in a learner's environment.
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyterlab_jupytext": False}}}))
    for plugin, settings in LAB_USER_SETTINGS.items():
        path = config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


def _kill_leftover_kernels(runtime_dir):
    """Kill kernels the server did not stop; they are found by the connection file they use."""
    marker = str(runtime_dir).encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def _stop_server(process, runtime_dir):
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the server then shuts its kernels down
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    _kill_leftover_kernels(runtime_dir)


@pytest.fixture(scope="module")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        message = (f"the browser test needs Debian's Chromium at {CHROMIUM}; "
                   "install it with `sudo apt-get install chromium`")
        if _on_ci():
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium, starting_server):  # Chromium starts while the server boots
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def starting_server(chromium, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1, started, whose root holds a copy of notebooks/ (and,
    for the learner's path, a workspace); yields url, token, root, its process and log."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "root"
    shutil.copytree(NOTEBOOK_DIR, root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    config_dir, runtime_dir = tmp / "config", tmp / "runtime"
    _write_jupyter_config(config_dir)
    token = secrets.token_hex(24)
    port = _free_port()
    command, env = lab_command(root, port=port, extra=[
        "--no-browser", f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True"])
    env.update(JUPYTER_CONFIG_DIR=str(config_dir), JUPYTER_RUNTIME_DIR=str(runtime_dir),
               IPYTHONDIR=str(tmp / "ipython"), PYTHONDONTWRITEBYTECODE="1")
    for name in ("JUPYTER_TOKEN", "MPLBACKEND"):  # a developer's settings must not leak in
        env.pop(name, None)
    log_path = tmp / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=tmp, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = {"url": f"http://127.0.0.1:{port}", "token": token, "root": root,
              "process": process, "log": log_path}
    try:
        yield server
    finally:
        _stop_server(process, runtime_dir)


@pytest.fixture(scope="module")
def lab_server(starting_server, browser):
    """The server, once it answers; yields url, token, root."""
    server, process, log_path = starting_server, starting_server["process"], starting_server["log"]
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {process.returncode}:\n"
                        + log_path.read_text()[-3000:])
        try:
            _api(server, "GET", "/api/status")
            return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n"
                            + log_path.read_text()[-3000:])
            time.sleep(0.1)


def _loopback_only_context(browser):
    """A browser context that can reach only the loopback address; it lists what it blocked."""
    context = browser.new_context(viewport=VIEWPORT)
    context.e2e_blocked = []

    def is_remote(url):
        parts = urlsplit(url)
        return parts.scheme not in ("data", "blob", "about") and parts.hostname not in LOOPBACK

    def block(route):
        context.e2e_blocked.append(route.request.url)
        route.abort()

    context.route(is_remote, block)
    context.route_web_socket(is_remote,
                             lambda ws: (context.e2e_blocked.append(ws.url), ws.close()))
    return context


@pytest.fixture(scope="module")
def lab_page(browser, lab_server):
    """One page with JupyterLab loaded, for every notebook of this worker, one after another."""
    context = _loopback_only_context(browser)
    page = context.new_page()
    page.e2e_page_errors = []
    page.on("pageerror", lambda error: page.e2e_page_errors.append(str(error)))
    page.goto(f"{lab_server['url']}/lab?token={lab_server['token']}&reset")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell",
                           timeout=LOAD_TIMEOUT)
    page.evaluate("() => window.jupyterapp.restored")
    try:
        yield page
    finally:
        if context.e2e_blocked:
            print("blocked requests to other hosts:", *sorted(set(context.e2e_blocked)),
                  sep="\n  ")
        context.close()


@pytest.fixture
def page(lab_page):
    """The worker's page; each test's notebook is closed and its kernel stopped after it."""
    try:
        yield lab_page
    finally:
        try:
            lab_page.evaluate(CLOSE_ALL_JS)
        except PlaywrightError:
            pass


def _stored_code_cells(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def _describe(cell):
    first = next((line for line in cell["source"].splitlines() if line.strip()), "")
    return f"code cell {cell['number']} ({first.strip()[:60]!r})"


def _check_outputs(cells, stored_cells, errors):
    """The problems a learner would see in the cells' own outputs, as a list of sentences."""
    problems = [f"exception raised: {error}" for error in errors]
    code = [cell for cell in cells if cell["type"] == "code"]
    for number, cell in enumerate(code, start=1):
        cell["number"] = number
    if len(code) != len(stored_cells):
        return problems + [f"browser shows {len(code)} code cells, the file has "
                           f"{len(stored_cells)}"]
    not_run = [cell for cell in code if cell["executionCount"] is None or "*" in cell["prompt"]]
    if not_run:
        problems.append(f"{len(not_run)} code cell(s) did not run, the first is "
                        f"{_describe(not_run[0])} (prompt {not_run[0]['prompt'] or 'empty'})")
    for cell, stored in zip(code, stored_cells, strict=True):
        where = _describe(cell)
        for output in cell["outputs"]:
            if output["type"] == "error":
                problems.append(f"{where} shows an error output")
        stderr = [output["stderr"] for output in cell["outputs"] if output["stderr"]]
        stored_stderr = any(out.get("name") == "stderr" for out in stored["outputs"])
        if stderr and not stored_stderr:  # warnings the notebook does not show on purpose
            problems.append(f"{where} writes to stderr: {stderr[0][:300]!r}")
        expected = sum("image/png" in out.get("data", {}) for out in stored["outputs"])
        shown = [img for img in cell["images"] if img["width"] > 0 and img["height"] > 0]
        if len(shown) != expected or len(cell["images"]) != expected:
            problems.append(f"{where} should show {expected} plot(s), the browser shows "
                            f"{len(cell['images'])} image(s), {len(shown)} of them drawn")
        broken = [img for img in cell["widgetImages"] if img["width"] == 0 or img["height"] == 0]
        if broken:
            problems.append(f"{where} has {len(broken)} widget image(s) of zero size")
    return problems


def _wait_idle(page, what, quiet=300):
    """Wait until the kernel has been idle, with every cell done, for ``quiet`` milliseconds."""
    if not page.evaluate(WAIT_IDLE_JS, [RUN_TIMEOUT, quiet]):
        pytest.fail(f"the kernel was still busy {RUN_TIMEOUT // 1000} s after {what}")


def _errors_since(page, count):
    return page.evaluate("() => window.e2eErrors")[count:]


class ControlDidNotMove(Exception):
    pass


def _move_control(control, kind):
    """Change one control the way a learner would; return a description of the change."""
    if kind == "slider":
        control.focus()
        before = control.get_attribute("aria-valuenow")
        high = control.get_attribute("aria-valuemax")
        # One key press that moves the slider five steps: one change, one redraw to wait for.
        key = "PageDown" if before == high else "PageUp"
        control.press(key)
        after = control.get_attribute("aria-valuenow")
        if after == before:
            raise ControlDidNotMove(f"pressing {key} did not move the slider from {before}")
        return f"slider moved from {before} to {after}"
    options = control.locator("option").all_inner_texts()
    current = control.evaluate("select => select.selectedIndex")
    if len(options) < 2:
        raise ControlDidNotMove(f"the dropdown has only the options {options}")
    target = (current + 1) % len(options)
    control.select_option(index=target)
    return f"dropdown changed from {options[current]!r} to {options[target]!r}"


def _check_widgets(page, cells):
    """Move every slider and dropdown of every widget; each must change what the widget shows."""
    problems = []
    code = [cell for cell in cells if cell["type"] == "code"]
    for cell in code:
        where = _describe(cell)
        for number, widget_id in enumerate(cell["widgets"], start=1):
            label = f"{where}, widget {number}" if len(cell["widgets"]) > 1 else where
            root = page.locator(f'[data-e2e-widget="{widget_id}"] > .jp-OutputArea-output')
            try:
                root.locator(".jupyter-widgets").first.wait_for(state="visible",
                                                               timeout=WIDGET_TIMEOUT)
            except PlaywrightError:
                problems.append(f"{label}: the widget did not render; the output reads "
                                f"{root.inner_text(timeout=1000)[:200]!r}")
                continue
            text = root.inner_text()
            if "Error displaying widget" in text or "Loading widget" in text:
                problems.append(f"{label} did not render: {text[:200]!r}")
                continue
            if root.locator(".widget-output").count() == 0:
                problems.append(f"{label} has no Output area to show a result in")
                continue
            if not root.evaluate(WIDGET_RESULT_JS).strip():
                problems.append(f"{label} shows nothing before it is touched")
            controls = [(handle, "slider") for handle in
                        root.locator(".widget-slider .noUi-handle").all()]
            controls += [(select, "dropdown") for select in
                         root.locator(".widget-dropdown select").all()]
            if not controls:
                problems.append(f"{label} has no slider or dropdown to move")
            for control, kind in controls:
                before = root.evaluate(WIDGET_RESULT_JS)
                known_errors = len(page.evaluate("() => window.e2eErrors"))
                try:
                    change = _move_control(control, kind)
                except ControlDidNotMove as error:
                    problems.append(f"{label}: {error}")
                    continue
                button = root.get_by_role("button", name="Run Interact")
                if button.count():
                    button.click()
                try:
                    page.wait_for_function(
                        f"([root, before]) => ({WIDGET_RESULT_JS})(root) !== before",
                        arg=[root.element_handle(), before], timeout=WIDGET_TIMEOUT)
                except PlaywrightError:
                    problems.append(f"{label}: {change}, but what it shows did not change "
                                    f"within {WIDGET_TIMEOUT // 1000} s")
                    continue
                # The redraw has been seen: a short quiet spell lets a late error arrive.
                _wait_idle(page, f"moving a widget in {label}", quiet=100)
                print(f"{label}: {change}; the widget redrew")
                errors = _errors_since(page, known_errors)
                if errors:
                    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                    problems.append(f"{label}: {change} raised {errors[-1]}{more}")
                images = root.locator(".widget-output img")
                for img in images.all():
                    if not img.evaluate("img => img.naturalWidth > 0 && img.naturalHeight > 0"):
                        problems.append(f"{label}: {change} drew an empty image")
    return problems


def _screenshot(page, name, cells=()):
    """Photograph the first code cell in trouble (or the top of the notebook): the viewport only."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    code = [cell for cell in cells if cell["type"] == "code"]
    trouble = next((i for i, cell in enumerate(code)
                    if cell["executionCount"] is None or "*" in cell["prompt"]
                    or any(out["type"] == "error" for out in cell["outputs"])), 0)
    try:
        page.evaluate(SCROLL_TO_CELL_JS, trouble)
    except PlaywrightError:  # JupyterLab did not get that far: photograph whatever is there
        pass
    page.screenshot(path=str(SCREENSHOT_DIR / f"{Path(name).stem}.png"))


def _open(page, path):
    page.evaluate(OPEN_JS, path)
    page.wait_for_function(NOTEBOOK_READY_JS, arg=path, timeout=LOAD_TIMEOUT)


def _run_all(page):
    page.evaluate(RUN_ALL_JS, LOAD_TIMEOUT)
    _wait_idle(page, "Run All Cells")


def _run_notebook(page, lab_server, name):
    """Open, run and check one notebook; photograph it if it fails."""
    stored_cells = _stored_code_cells(lab_server["root"] / "notebooks" / name)
    known_page_errors = len(page.e2e_page_errors)
    cells, problems = [], []
    try:
        started = time.monotonic()
        _open(page, f"notebooks/{name}")
        opened = time.monotonic()
        _run_all(page)
        ran = time.monotonic()
        cells = page.evaluate(CELLS_JS)
        problems = _check_outputs(cells, stored_cells, page.evaluate("() => window.e2eErrors"))
        checked = time.monotonic()
        problems += _check_widgets(page, cells)
        print(f"{name}: opened in {opened - started:.1f} s, ran in {ran - opened:.1f} s, "
              f"outputs checked in {checked - ran:.1f} s, widgets in "
              f"{time.monotonic() - checked:.1f} s")
        problems += [f"a pop-up covers the notebook: {text[:200]!r}"
                     for text in page.locator(POPUPS).all_inner_texts()]
        problems += [f"JavaScript error in the page: {error}"
                     for error in page.e2e_page_errors[known_page_errors:]]
    finally:
        if problems or sys.exc_info()[0] is not None:
            _screenshot(page, name, cells)
    assert not problems, f"{name} in JupyterLab:\n" + "\n".join(f"- {p}" for p in problems)


def _learner_path(page, lab_server, grade, tmp_path):
    """A fresh workspace; one exercise solved in the browser; make lab again; grade."""
    reference = tmp_path / "reference"
    reference.mkdir()
    for name in LEARNER_LESSONS:
        shutil.copy(NOTEBOOK_DIR / name, reference / name)
    workspace = lab_server["root"] / "workspace"
    update_workspace(workspace, reference=reference, quiet=True)  # what make lab does first

    # The first exercise of the course, solved with its reference solution.
    lesson = next(name for name in LEARNER_LESSONS
                  if any("exercise" in classroom.tags(cell) for cell in
                         nbformat.read(reference / name, as_version=4).cells))
    cells = nbformat.read(reference / lesson, as_version=4).cells
    exercise = next(cell for cell in cells if "exercise" in classroom.tags(cell))
    check = next(cell for cell in cells[cells.index(exercise):] if "check" in classroom.tags(cell))
    solved = "\n".join(line for line in exercise.source.splitlines()
                       if line.strip() not in (classroom.BEGIN, classroom.END))

    # A committed lesson, opened and saved with nothing edited, is the same file.
    committed = lab_server["root"] / "notebooks" / lesson
    before = committed.read_bytes()
    _open(page, f"notebooks/{lesson}")
    page.evaluate(DIRTY_AFTER_KERNEL_INFO_JS)
    page.evaluate(SAVE_JS)
    assert committed.read_bytes() == before, f"opening and saving notebooks/{lesson} changed it"
    page.evaluate(CLOSE_ALL_JS)

    _open(page, f"workspace/{lesson}")
    assert not page.evaluate(DIRTY_AFTER_KERNEL_INFO_JS), \
        f"opening workspace/{lesson} marked it modified before anything was edited"
    page.evaluate(SET_SOURCE_JS, [exercise.id, solved])
    _run_all(page)
    shown = page.evaluate(OUTPUT_TEXT_JS, check.id)
    assert shown.startswith("✔ "), f"the check of the solved exercise shows {shown[:300]!r}"
    assert not page.evaluate(SAVE_JS), "the notebook is still modified after saving"
    assert not page.locator(POPUPS).count(), page.locator(POPUPS).all_inner_texts()

    update_workspace(workspace, reference=reference, quiet=True)  # make lab again
    kept = nbformat.read(workspace / lesson, as_version=4)
    assert next(c for c in kept.cells if c.id == exercise.id).source == solved, "work lost"

    code, out, table = grade(workspace)
    rows = [row for name in LEARNER_LESSONS for row in table.get(name, [])]
    assert code == 1 and rows, out
    assert rows[0].startswith("PASS"), out
    assert all(re.fullmatch(r"FAIL  \w+ +\[\w+\] not done yet: .*", row) for row in rows[1:]), out
    assert len(rows) >= 2, out


# xdist's --dist loadscope sends each class to one worker, so the two halves run in parallel,
# each with its own server and browser page (the fixtures are module-scoped, per worker).
class TestFirstHalf:
    @pytest.mark.parametrize("name", NOTEBOOKS[::2])
    def test_notebook_runs_in_jupyterlab(self, page, lab_server, name):
        _run_notebook(page, lab_server, name)


class TestSecondHalf:
    @pytest.mark.parametrize("name", NOTEBOOKS[1::2])
    def test_notebook_runs_in_jupyterlab(self, page, lab_server, name):
        _run_notebook(page, lab_server, name)

    def test_learner_path_workspace_solve_keep_grade(self, page, lab_server, grade, tmp_path):
        _learner_path(page, lab_server, grade, tmp_path)

    def test_browser_reaches_only_the_loopback_address(self, browser, lab_server):
        context = _loopback_only_context(browser)
        try:
            _check_loopback_only(context.new_page(), lab_server)
        finally:
            context.close()


def _check_loopback_only(page, lab_server):
    # A page from the server whose security policy lets scripts fetch (JSON pages do not).
    page.goto(f"{lab_server['url']}/login")
    outcomes = page.evaluate("""async (local) => {
        const fetched = url => fetch(url, {mode: 'no-cors'}).then(() => 'loaded', () => 'blocked');
        const socket = url => new Promise(resolve => {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve('open');
            ws.onclose = ws.onerror = () => resolve('blocked');
        });
        return [await fetched('https://jupyter.org/'), await socket('wss://jupyter.org/'),
                await fetched(local)];
    }""", f"{lab_server['url']}/api/status?token={lab_server['token']}")
    assert outcomes == ["blocked", "blocked", "loaded"]
    assert set(page.context.e2e_blocked) == {"https://jupyter.org/", "wss://jupyter.org/"}
