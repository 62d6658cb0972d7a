"""``liushou db``: the store's schema (``liushou db upgrade``)."""

from __future__ import annotations

from typing import Final

import click
from rich.console import Console
from rich.markup import escape

from liushou_adapters.cli._app import _CONTEXT, BadInput, Settings, cli, tr
from liushou_adapters.storage import redact_url
from liushou_core.errors import LiushouError
from liushou_core.i18n import N_

__all__ = ["db", "upgrade"]

_UI: Final[dict[str, str]] = {
    "applied": N_("Store {url}: applied schema migrations {versions}; now at version {version}"),
    "current": N_("Store {url}: the schema is current (version {version})"),
}


@cli.group(
    context_settings=_CONTEXT,
    epilog="Example: liushou --store postgresql://liushou@db/county db upgrade",
)
def db() -> None:
    """The store's database schema."""


@db.command(
    context_settings=_CONTEXT,
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  liushou db upgrade\n"
        "  liushou --store postgresql://liushou@db.example/county db upgrade"
    ),
)
@click.pass_obj
def upgrade(settings: Settings) -> None:
    """Bring the store's schema up to this version of liushou, in one transaction.

    Idempotent: a current schema is left alone. Opening a store upgrades an
    older schema too; run this from a deployment script after installing a
    new liushou, before the services start, to do it at a time you choose. A
    schema newer than this liushou is refused (install the newer liushou).
    """
    store = settings.open_store(existing=True)
    try:
        applied = store.upgrade()
        version = store.schema_version() if hasattr(store, "schema_version") else None
    except LiushouError as exc:
        raise BadInput(f"--store {redact_url(settings.store_url)}: {exc}") from None
    finally:
        store.close()
    url = redact_url(settings.store_url)
    shown = "-" if version is None else str(version)
    if applied:
        versions = ", ".join(str(v) for v in applied)
        text = tr(_UI["applied"], settings.lang, url=url, versions=versions, version=shown)
    else:
        text = tr(_UI["current"], settings.lang, url=url, version=shown)
    Console(highlight=False).print(escape(text))
