"""The Streamlit settings of the deployed lab (.streamlit/config.toml) are real options with the intended values."""

import tomllib
from pathlib import Path

from streamlit import config

ROOT = Path(__file__).resolve().parents[2]


def _settings() -> dict[str, object]:
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        sections = tomllib.load(f)
    return {f"{section}.{key}": value for section, options in sections.items() for key, value in options.items()}


def test_every_setting_is_a_streamlit_option():
    unknown = [name for name in _settings() if name not in config.get_config_options()]
    assert not unknown, f"not Streamlit options (a typo is silently ignored by Streamlit): {unknown}"


def test_deployed_defaults_local_address_no_watching_no_statistics_stated_upload_limit():
    settings = _settings()
    assert settings["server.address"] == "localhost"
    assert settings["server.fileWatcherType"] == "none"
    assert settings["browser.gatherUsageStats"] is False
    assert 0 < settings["server.maxUploadSize"] <= 200
    # if watching is turned on while editing, runs' files and the installed packages are still never watched
    assert {"replearn_data", ".venv", "assets", "bench/results"} <= set(settings["server.folderWatchBlacklist"])


def test_readme_documents_the_classroom_switch():
    readme = (ROOT / "README.md").read_text()
    assert "ADDRESS=0.0.0.0" in readme and "--server.address 0.0.0.0" in readme
