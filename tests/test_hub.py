"""A real JupyterHub from the teacher's guide (docs/hub/jupyterhub_config.py) on 127.0.0.1, with two students.

The hub starts with the guide's config (plus a token for this test), two students' servers start, each pulls the
course with an nbgitpuller link from a `release` branch (a local git repository standing in for the teacher's
fork), and each runs notebook 01 to the end in a kernel of their own server. Students' servers have no nbgrader
instructor tools. Needs configurable-http-proxy (`npm install -g configurable-http-proxy`): skipped, saying so,
without it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "docs" / "hub" / "jupyterhub_config.py"
NOTEBOOK = "01_recurrence.ipynb"
TOKEN = uuid.uuid4().hex
STUDENTS = ("alice", "bob")
pytestmark = pytest.mark.hub


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, path: str, method: str = "GET", body: dict | None = None, timeout: float = 30):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode()
        return response.status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    if shutil.which("configurable-http-proxy") is None:
        pytest.skip("no configurable-http-proxy: npm install -g configurable-http-proxy")
    pytest.importorskip("jupyterhub", reason="the hub extra is not installed: pip install -e '.[hub]'")
    state = tmp_path_factory.mktemp("hub")
    port, api_port = _free_port(), _free_port()
    test_config = state / "test_config.py"
    allow_root = '\nc.Spawner.args = ["--allow-root"]' if os.getuid() == 0 else ""
    test_config.write_text(f"""c = get_config()  # noqa: F821
load_subconfig({str(CONFIG)!r})  # noqa: F821 (the guide's config, as a teacher uses it)
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {_free_port()}
c.JupyterHub.services = [{{"name": "rnnlab-test", "api_token": {TOKEN!r}}}]
c.JupyterHub.load_roles = [{{"name": "rnnlab-test", "services": ["rnnlab-test"],
                            "scopes": ["admin:users", "admin:servers", "access:servers"]}}]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120{allow_root}
""")
    env = {**os.environ, "RNNLAB_HUB_STATE": str(state), "OMP_NUM_THREADS": "1",
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    log = open(state / "hub.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(test_config)],
                               cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            _api(base, "/hub/api/")
            break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                log.close()
                pytest.fail(f"the hub did not start:\n{(state / 'hub.log').read_text()[-3000:]}")
            time.sleep(1)
    yield base, state
    for student in STUDENTS:
        try:
            _api(base, f"/hub/api/users/{student}/server", "DELETE")
        except OSError:
            pass
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _release_branch(folder: Path) -> Path:
    """A git repository whose `release` branch holds the released notebook, as the guide's step 2 makes."""
    repo = folder / "rnnlab-release"
    repo.mkdir()
    shutil.copyfile(ROOT / "notebooks" / NOTEBOOK, repo / NOTEBOOK)
    git = ["git", "-c", "user.name=teacher", "-c", "user.email=t@example.org", "-C", str(repo)]
    for args in (["init", "-q", "-b", "release"], ["add", NOTEBOOK], ["commit", "-q", "-m", "Release"]):
        subprocess.run(git + args, check=True)
    return repo


async def _run_in_kernel(base: str, student: str, code: str, timeout: float = 600) -> tuple[str, str]:
    """Run `code` in a new kernel of the student's server; return (status, everything it printed)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    _, kernel = _api(base, f"/user/{student}/api/kernels", "POST", {"name": "python3"})
    url = base.replace("http", "ws") + f"/user/{student}/api/kernels/{kernel['id']}/channels"
    socket_ = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {TOKEN}"}))
    msg_id = uuid.uuid4().hex
    socket_.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": student, "session": uuid.uuid4().hex, "msg_type": "execute_request",
                   "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    printed, status, deadline = [], "", time.time() + timeout
    while not status and time.time() < deadline:
        message = json.loads(await asyncio.wait_for(socket_.read_message(), timeout))
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["header"]["msg_type"]
        if kind == "stream":
            printed.append(message["content"]["text"])
        elif kind == "error":
            printed.append("\n".join(message["content"]["traceback"]))
        elif kind == "execute_reply":
            status = message["content"]["status"]
    socket_.close()
    _api(base, f"/user/{student}/api/kernels/{kernel['id']}", "DELETE")
    return status, "".join(printed)


def test_two_students_pull_the_course_and_run_a_notebook(hub, tmp_path):
    base, state = hub
    _api(base, "/hub/api/users", "POST", {"usernames": list(STUDENTS)})
    for student in STUDENTS:
        _api(base, f"/hub/api/users/{student}/server", "POST")
    deadline = time.time() + 180
    while not all(_api(base, f"/hub/api/users/{s}")[1]["servers"].get("", {}).get("ready") for s in STUDENTS):
        assert time.time() < deadline, (state / "hub.log").read_text()[-3000:]
        time.sleep(1)

    # The guide's step 4: the nbgitpuller link (its API is what the link's page calls) puts the course in each home.
    repo = _release_branch(tmp_path)
    for student in STUDENTS:
        query = urllib.parse.urlencode({"repo": str(repo), "branch": "release", "targetpath": "rnnlab"})
        status, text = _api(base, f"/user/{student}/git-pull/api?{query}", timeout=120)
        assert status == 200 and '"phase": "finished"' in text.replace("'", '"'), text[-2000:]
        assert (state / "home" / student / "rnnlab" / NOTEBOOK).is_file()

    # Each student runs the notebook to the end in their own kernel, at the same time.
    code = (f"import nbformat, nbclient\nnb = nbformat.read('rnnlab/{NOTEBOOK}', as_version=4)\n"
            "nbclient.NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': "
            "'rnnlab'}}).execute()\nprint('cells run:', sum(c.cell_type == 'code' for c in nb.cells))\n"
            "print('claims:', sum(o.get('text', '').count('✅') for c in nb.cells for o in c.get('outputs', [])))")

    async def both():
        return await asyncio.gather(*(_run_in_kernel(base, s, code) for s in STUDENTS))

    for student, (status, printed) in zip(STUDENTS, asyncio.run(both()), strict=True):
        assert status == "ok", f"{student}: {printed[-3000:]}"
        assert "cells run:" in printed and "claims: 0" not in printed, printed

    # Students have no nbgrader instructor tools: no formgrader, and JupyterLab is told to hide them.
    with pytest.raises(urllib.error.HTTPError) as missing:
        _api(base, "/user/alice/formgrader")
    assert missing.value.code == 404
    _, lab = _api(base, "/user/alice/lab")
    assert '"@jupyter/nbgrader:create-assignment": true' in lab.replace("'", '"') or \
        "@jupyter/nbgrader:create-assignment" in lab, "JupyterLab's page config does not disable Create Assignment"
