from pathlib import Path

from eqr_launcher.paths import default_data_dir, workspace_root


def test_data_dir_is_at_the_workspace_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["libs/*"]\n')
    member = tmp_path / "libs" / "thing"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text('[project]\nname = "thing"\n')
    assert workspace_root(member) == tmp_path
    assert default_data_dir(member) == tmp_path / ".data"


def test_data_dir_outside_a_workspace_is_under_the_start(tmp_path: Path) -> None:
    assert default_data_dir(tmp_path) == tmp_path / ".data"
