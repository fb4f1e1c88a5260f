"""`xbar report` rendered by headless Chromium: every figure draws, nothing fails in the console."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import run_ids, xbar, xbar_binary

# Appended to a copy of the report: measures every figure as laid out and drawn by the browser.
CHECK_SCRIPT = """
<script>
const figures = [...document.querySelectorAll("figure svg")].map(svg => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll("rect, line, polyline, circle, text")];
  const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  const caption = svg.parentElement.querySelector("figcaption");
  return {caption: caption ? caption.textContent : "", width: box.width, height: box.height,
          marks: marks.length, drawn: drawn.length,
          data: svg.querySelectorAll("polyline, circle").length + [...svg.querySelectorAll("rect")].filter(r => r.querySelector("title") || r.getAttribute("height") > 0).length};
});
const pre = document.createElement("pre");
pre.id = "figure-check";
pre.textContent = JSON.stringify(figures);
document.body.appendChild(pre);
</script>
"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on this machine: the report's rendering test needs it "
                "(apt-get install -y chromium, which scripts/ensure-deps.sh runs as root)")


def headless(browser, *arguments):
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--enable-logging=stderr", "--v=0", *arguments],
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def report(store):
    s, path, folder = store
    runs = sorted(int(r) for ids in run_ids(s).values() for r in ids)
    out = str(folder / "report.html")
    printed = xbar("report", *map(str, runs), "--out", out, "--store", path)
    assert f"to {out}" in printed
    return out, runs


def test_every_figure_draws_in_chromium(report, tmp_path):
    out, runs = report
    browser = chromium()
    checked = tmp_path / "checked.html"
    html = open(out).read()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html, \
        "the report must be self-contained"
    checked.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"))
    done = headless(browser, "--dump-dom", checked.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], "console messages while rendering the report:\n" + "\n".join(console)
    match = re.search(r'<pre id="figure-check">(.*?)</pre>', done.stdout, re.S)
    assert match, "the figure check did not run"
    figures = json.loads(match.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"'))
    captions = [f["caption"] for f in figures]
    # What each kind of run must show.
    for expected in ["Tile 1: target", "Tile 1: achieved (shadow map)", "Tile 1: error (achieved − target)",
                     "Achieved against target, every cell", "Error of converged cells", "Pulses per cell",
                     "Write-verify trajectories", "Read trains against board time", "Fitted time constants",
                     "SET curves", "RESET curves", "Device to device", "Confusion matrix", "Backend of each sample",
                     "Tile 2: conductance read"]:
        assert any(c.startswith(expected) for c in captions), f"no figure \"{expected}\" in {captions}"
    for f in figures:
        assert f["width"] > 100 and f["height"] > 100, f
        assert f["drawn"] >= 10 and f["data"] >= 1, f"figure \"{f['caption']}\" drew {f['drawn']} marks, {f['data']} of data"

    shots = os.environ.get("XBAR_REPORT_SCREENSHOTS")
    folder = shots if shots else str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    shot = os.path.join(folder, "report.png")
    done = headless(browser, "--window-size=1400,3200", f"--screenshot={shot}", f"file://{out}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert os.path.getsize(shot) > 50_000, "the screenshot is nearly empty"


def test_report_refuses_a_bad_output_before_reading(store, tmp_path):
    _, path, _ = store
    bad = subprocess.run([xbar_binary(), "report", "1", "--out", str(tmp_path / "missing" / "r.html"),
                          "--store", path], capture_output=True, text=True)
    assert bad.returncode != 0 and "does not exist" in bad.stderr
    wrong = subprocess.run([xbar_binary(), "report", "1", "--out", str(tmp_path / "r.pdf"),
                            "--store", path], capture_output=True, text=True)
    assert wrong.returncode != 0 and ".html" in wrong.stderr
