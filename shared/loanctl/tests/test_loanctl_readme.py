"""The README names every loanctl command group and command an operator can run."""

from __future__ import annotations

from pathlib import Path

import typer

from loanctl.main import app

README = Path(__file__).resolve().parents[3] / "README.md"


def _commands(cli: typer.Typer) -> list[str]:
    names = [c.name or (c.callback.__name__ if c.callback else "")
             for c in cli.registered_commands]
    for group in cli.registered_groups:
        assert group.typer_instance is not None
        names.append(group.name or "")
        names += [f"{group.name} {sub}" for sub in _commands(group.typer_instance)]
    return names


def test_the_readme_lists_every_loanctl_command_group_and_command() -> None:
    readme = README.read_text()
    table = [line.replace("\\|", "/").split("|")[1] for line in readme.splitlines()
             if line.startswith("| `loanctl ")]
    missing = []
    for name in _commands(app):
        group, _, command = name.partition(" ")
        rows = [row for row in table if f"`loanctl {group}" in row]
        if not rows or (command and not any(
                command in row.replace("`", " ").replace("/", " ").split() for row in rows)):
            missing.append(name)
    assert not missing, f"README.md does not list: {missing}"
