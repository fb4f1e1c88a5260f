"""Every command in the README's shell blocks runs as written, in order, against the simulated board.

Each block runs in a scratch folder of its own that holds the repository's `examples/` and
`instruments/`, with the built `xbar` first on PATH. The blocks are independent of each other, so
they run side by side, each block's lines in order; every line is still its own test. A few lines
cannot run inside the test suite; each is skipped with its reason (pytest -rs prints them)."""
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT, xbar_binary

# Lines that are not run here, and why. Everything else must succeed.
NOT_RUN = [
    (re.compile(r"^make (demo|test)\b"), "one of the two commands: CI runs it; this test is part of it"),
    (re.compile(r"^swift build\b"), "the test runs the build it is part of"),
    (re.compile(r"\.\.\."), "an elision in the example, not a whole command"),
    (re.compile(r"Makefile\.models|tools\.board_training"), "trains models: about an hour on two cores"),
    (re.compile(r"--board (serial:/dev/tty|usb:)"), "needs a board on a real serial port or USB"),
]


def readme_blocks():
    text = open(os.path.join(ROOT, "README.md")).read()
    blocks = []
    for number, block in enumerate(re.findall(r"```sh\n(.*?)```", text, re.S)):
        lines, pending = [], ""
        for raw in block.splitlines():
            line = pending + raw.strip()
            if line.endswith("\\"):
                pending = line[:-1].rstrip() + " "
                continue
            pending = ""
            if line and not line.startswith("#"):
                lines.append(line)
        blocks.append((number, lines))
    return blocks


CASES = [(number, index, line) for number, lines in readme_blocks() for index, line in enumerate(lines)]


def reason_not_run(line):
    for pattern, reason in NOT_RUN:
        if pattern.search(line):
            return reason
    return None


def run_block(folder, lines, env):
    """Runs a block's lines in order in its folder; a line not run gets None."""
    results = []
    for line in lines:
        if reason_not_run(line):
            results.append(None)
            continue
        results.append(subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=folder, env=env,
                                      capture_output=True, text=True, timeout=900))
    return results


@pytest.fixture(scope="module")
def blocks(tmp_path_factory):
    """Every block started at once, in a scratch folder of its own; each test waits for its block."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(xbar_binary()) + os.pathsep + env["PATH"]
    env.pop("XBAR_STORE", None)
    runnable = [(number, lines) for number, lines in readme_blocks() if not all(map(reason_not_run, lines))]
    started = {}
    with ThreadPoolExecutor(max_workers=len(runnable)) as pool:
        for number, lines in runnable:
            folder = tmp_path_factory.mktemp(f"readme-block-{number}")
            for name in ("examples", "instruments"):
                os.symlink(os.path.join(ROOT, name), folder / name)
            started[number] = pool.submit(run_block, folder, lines, env)
        yield started


@pytest.mark.parametrize("number,index,line", CASES, ids=[f"block{n}-line{i}" for n, i, _ in CASES])
def test_readme_command(number, index, line, blocks):
    reason = reason_not_run(line)
    if reason:
        pytest.skip(f"README block {number}, \"{line[:60]}\": {reason}")
    done = blocks[number].result()[index]
    assert done.returncode == 0, f"README block {number}: `{line}` exited {done.returncode}:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"


def test_readme_has_commands():
    assert len(CASES) >= 15
    assert shutil.which("bash")
