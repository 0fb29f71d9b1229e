"""A JupyterHub for an rnnlab class: `jupyterhub -f docs/hub/jupyterhub_config.py` (docs/teaching.md, "On a
JupyterHub"). Tested by tests/test_hub.py, which starts this hub on 127.0.0.1 with two students.

Install on the hub node, in one environment for the hub and the students' servers (a trial on one machine):
    pip install torch==2.13.0 --extra-index-url https://download.pytorch.org/whl/cpu
    pip install "rnnlab[lab,hub] @ git+https://github.com/<you>/rnnlab@main"
    npm install -g configurable-http-proxy
What to change for a real class is marked CHANGE below.
"""

import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub defines it)
HERE = Path(__file__).resolve().parent
STATE = Path(os.environ.get("RNNLAB_HUB_STATE", "."))  # where the hub keeps its database and secrets

# CHANGE: who may log in. DummyAuthenticator takes any name and password: for a trial on your own machine only.
# A class uses its institution's login (oauthenticator, ldapauthenticator, ltiauthenticator).
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")

# CHANGE: how servers are started. SimpleLocalProcessSpawner runs every student's server as the hub's own user,
# each in its own home folder: right for a trial, not for a class. It does NOT enforce mem_limit or cpu_limit:
# it only passes them to the server as the environment variables MEM_LIMIT and CPU_LIMIT. Spawners that enforce
# them: systemdspawner.SystemdSpawner (one Linux user per student, cgroups), dockerspawner.DockerSpawner,
# kubespawner.KubeSpawner (Zero to JupyterHub).
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.default_url = "/lab"
c.Spawner.cmd = [shutil.which("jupyterhub-singleuser", path=str(Path(sys.executable).parent))
                 or "jupyterhub-singleuser"]
# Sizing (docs/teaching.md, "Sizing a JupyterHub"): every notebook's kernel peaks below 0.9 GB; rnnlab runs torch
# on one thread, so one core per student is enough.
c.Spawner.mem_limit = "1.5G"
c.Spawner.cpu_limit = 1

# Students do not get nbgrader's instructor tools (the "Nbgrader" menu, "Create Assignment", the formgrader):
# their servers read docs/hub/student-config first, which turns those extensions off and keeps the assignment list
# and "Validate" (students may submit through nbgrader's exchange).
c.Spawner.environment = {"JUPYTER_CONFIG_DIR": str(HERE / "student-config"), "RNNLAB_PROGRESS": "1"}
