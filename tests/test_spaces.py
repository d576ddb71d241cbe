"""The app as a Hugging Face Space runs it: a fresh copy of the repository's files, SPACE_ID set,
`python app.py` with no arguments, the port from the environment.

Only files git tracks (or would track) are copied: nothing built, downloaded or cached here
can make the test pass. Spaces set SYSTEM=spaces too, which is how Gradio itself knows.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tools.browser import REPO, AppDidNotStart, free_port, serving

gradio_client = pytest.importorskip("gradio_client")

SPACE_ID = "user/gan-studio"


def fresh_copy(dest: Path) -> Path:
    """The repository's tracked and not-ignored files, as a clone (or a push to a Space) has them."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # not one deleted in the work tree
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    root = fresh_copy(tmp_path_factory.mktemp("space"))
    assert not (root / ".venv").exists() and (root / "checkpoints").is_dir()
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "GAN_CORE_CHECKPOINTS", "PYTHONPATH")}
    env.update(SPACE_ID=SPACE_ID, SYSTEM="spaces", PORT=str(port), GRADIO_ANALYTICS_ENABLED="False",
               PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1")
    log = root.parent / "app.log"
    try:
        with serving(["app.py"], port, log, env, root) as url:
            yield url, log
    except AppDidNotStart as exc:
        pytest.fail(str(exc))


@pytest.mark.browser  # starts the app: seconds, not milliseconds
def test_it_listens_on_every_interface_at_the_spaces_port(space):
    url, log = space
    port = url.rstrip("/").rsplit(":", 1)[1]
    assert f"0.0.0.0:{port}" in log.read_text()  # the Space's proxy reaches it from outside the container
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200 and "GAN studio" in response.read().decode()


@pytest.mark.browser  # starts the app: seconds, not milliseconds
def test_an_endpoint_answers(space):
    url, _ = space
    client = gradio_client.Client(url, verbose=False)
    grid, png = client.predict("cifar10-dcgan32", 3, 1, api_name="/generate")
    assert Path(grid).stat().st_size > 100 and Path(png).suffix == ".png"


@pytest.mark.browser  # starts the app: seconds, not milliseconds
def test_its_mcp_tools_carry_the_spaces_name(space):
    url, _ = space
    with urllib.request.urlopen(url + "gradio_api/mcp/schema", timeout=30) as response:
        names = {tool["name"] for tool in json.load(response)}
    assert "gan_studio_generate_files" in names  # Gradio prefixes a Space's tools with its name


def test_the_port_comes_from_the_environment_and_a_bad_one_is_refused(monkeypatch):
    import app

    for name in ("SPACE_ID", "PORT", "GRADIO_SERVER_PORT", "GRADIO_SERVER_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "9000")  # a variable many machines set: only a Space's is the app's
    assert (app.parse_args([]).host, app.parse_args([]).port) == ("127.0.0.1", 7860)
    monkeypatch.setenv("SPACE_ID", SPACE_ID)
    assert (app.parse_args([]).host, app.parse_args([]).port) == ("0.0.0.0", 9000)
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    assert app.parse_args([]).port == 7861 and app.parse_args(["--port", "7000"]).port == 7000
    assert not app.parse_args([]).no_mcp and app.parse_args(["--no-mcp"]).no_mcp
    monkeypatch.setenv("GRADIO_SERVER_PORT", "http")
    with pytest.raises(SystemExit, match="GRADIO_SERVER_PORT must be a port number"):
        app.parse_args([])
