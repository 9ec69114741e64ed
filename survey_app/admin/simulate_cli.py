"""``gesurvey simulate``: the analysis package's simulator, able to store into the web app.

The command itself is ``analysis.synthetic.cli.simulate`` (``--out DIR`` writes files and never
touches the web app). Importing this module registers the loader that ``--into-db`` calls; the
loader imports Flask and the database only when it runs, so ``gesurvey simulate --out`` starts
as light as the other analysis commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from analysis.synthetic.cli import DB_LOADERS, simulate

if TYPE_CHECKING:
    from analysis.synthetic.run import Simulator

__all__ = ["simulate"]


def store_simulation(simulator: Simulator) -> int:
    """Store the simulated interviews as approved submissions in the app of this command.

    The app is the one the command line was started with (Flask's test runner passes its own),
    else the one ``create_app`` builds from the environment.
    """
    from flask.cli import ScriptInfo

    from .synthetic import load_simulation

    context = click.get_current_context(silent=True)
    info = context.find_object(ScriptInfo) if context is not None else None
    if info is None:
        return load_simulation(simulator)
    with info.load_app().app_context():
        return load_simulation(simulator)


if store_simulation not in DB_LOADERS:
    DB_LOADERS.append(store_simulation)
