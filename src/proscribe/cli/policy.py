"""``proscribe policy``: where the institution operates and which lists bind it."""

from __future__ import annotations

from pathlib import Path

import typer

from proscribe.cli import identity
from proscribe.cli.common import console, fail, open_store, print_json, words
from proscribe.enforcement.errors import InputError

app = typer.Typer(
    help="The jurisdiction policy: which lists bind, and what a hit does.", no_args_is_help=True
)

#: the preset policies (``proscribe.enforcement.policy.PRESETS``), named here so that ``--help`` does
#: not import the enforcement code; tests/test_cli_imports.py checks that they agree
PRESETS = ("us-bank", "eu-bank", "eu-subsidiary-of-us-bank")


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json")) -> None:
    """The policy in force."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement.policy import load_policy

    store = open_store()
    with Session(store.engine) as s:
        data = load_policy(s).to_dict()
    if as_json:
        print_json(data)
        return
    console.print(
        f"[bold]{data['institution']['name']}[/] ({data['name']}): {', '.join(data['jurisdictions'])}"
    )
    console.print(f"US person: {words(data['us_person'])}; EU operator: {words(data['eu_operator'])}")
    for ds, rule in data["lists"].items():
        basis = str(rule["basis"]).replace("_", " ")  # risk_based: a value of the policy file, in words
        console.print(
            f"  {ds}: {basis} -> {rule['action']}  ({rule['authority']})", highlight=False, markup=False
        )
    console.print(f"EU Blocking Statute Annex programs: {', '.join(data['blocking_statute']) or 'none'}")


@app.command("use")
def use(
    name: str = typer.Argument(..., help=f"One of: {', '.join(PRESETS)}; or a YAML file."),
    reason: str = typer.Option(..., "--reason", help="Why the policy changes (for the record)."),
) -> None:
    """Propose a preset (or a policy file); a second person approves it with proscribe alerts approve."""

    from sqlalchemy.orm import Session

    from proscribe.enforcement.policy import preset, propose_policy, read_policy

    store = open_store()
    try:
        policy = read_policy(Path(name)) if name.endswith((".yaml", ".yml")) else preset(name)
        with Session(store.engine) as s, s.begin():
            decision = propose_policy(
                s, policy, actor=identity.person(s, "admin", "proposing a policy"), reason=reason
            )
            decision_id = decision.id
    except InputError as exc:
        fail(str(exc), code=2)
    console.print(
        f"policy {policy.name} for {policy.institution.name} proposed as decision {decision_id}: "
        f"it takes effect when a second person approves it (proscribe alerts approve {decision_id})"
    )
