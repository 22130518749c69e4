"""`make lab`'s JupyterLab settings: no "get notified about official Jupyter news?" pop-up for a learner."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OVERRIDES = REPO / "scripts" / "jupyterlab_overrides.json"


def test_make_lab_installs_the_overrides_where_jupyterlab_reads_its_default_settings():
    from jupyterlab.commands import get_app_dir

    plan = subprocess.run(["make", "-n", "lab"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    target = Path(get_app_dir()) / "settings" / "overrides.json"  # this .venv's JupyterLab: <prefix>/share/jupyter/lab
    assert f"cp scripts/jupyterlab_overrides.json {target.relative_to(REPO)}" in plan


def _defaults(app_settings: Path, tmp_path: Path) -> dict:
    """The notification plugin's default settings as JupyterLab serves them with ``app_settings``."""
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import get_settings

    found, _ = get_settings(str(app_settings), str(Path(get_app_dir()) / "schemas"), str(tmp_path / "user"),
                            schema_name="@jupyterlab/apputils-extension:notification")
    return {name: spec.get("default") for name, spec in found["schema"]["properties"].items()}


def test_the_overrides_switch_the_news_question_and_the_update_check_off(tmp_path):
    # JupyterLab asks "get notified about official Jupyter news?" while fetchNews is "none", the schema's default
    assert _defaults(tmp_path / "nothing", tmp_path)["fetchNews"] == "none"
    app_settings = tmp_path / "app"
    app_settings.mkdir()
    shutil.copy(OVERRIDES, app_settings / "overrides.json")
    defaults = _defaults(app_settings, tmp_path)
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False
