"""Stand-in for pip's ``get-pip.py``, which ``ansible-test`` downloads to bootstrap pip.

``ansible-test sanity`` makes a virtual environment without pip for each test
that needs packages, then runs this script there (from its cache,
``~/.ansible/test/cache/get_pip_<version>.py``) with the pip version it wants.
The download is from a host this network does not reach; this does the same
with the interpreter's own bundled pip (``ensurepip``, no network), then lets
pip install the requested version from the configured package index.
"""

import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
wanted = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *wanted])
