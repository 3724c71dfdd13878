"""The README documents every setting, and .ci/run runs the README's test command."""
from pathlib import Path

from dashsnap.config import SETTINGS

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_documents_every_setting():
    undocumented = [f"[{s.section}] {s.key}" for s in SETTINGS
                    if f"`[{s.section}]`" not in README or f"`{s.key}`" not in README]
    assert undocumented == []


def test_ci_runs_the_readme_test_command():
    ci_commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "pytest" in line]
    assert ci_commands and all(f"\n{command}\n" in README for command in ci_commands)
