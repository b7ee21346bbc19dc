"""The redemption service's commands: `serve`, and `api-key create|revoke|list`."""

from __future__ import annotations

import click

from coupondesk.output import emit_json, json_option
from coupondesk.settings import Settings
from coupondesk.tools.errors import BadInputError, NotReadyError


def ready_engine(settings: Settings):  # type: ignore[no-untyped-def]
    """The database engine, reachable and migrated (else one line saying what to run)."""
    from coupondesk.tools.db.migrate import is_current
    from coupondesk.tools.db.session import check_reachable, get_engine

    engine = get_engine(settings.resolved_database_url)
    check_reachable(engine)
    if not is_current(engine):
        raise NotReadyError("the database is not set up; run `coupondesk setup`")
    return engine


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (loopback by default; put a TLS proxy in front to expose it).")
@click.option("--port", default=8765, show_default=True, type=int, help="TCP port.")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log one line per request.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, access_log: bool) -> None:
    """Run the redemption service (OpenAPI at http://HOST:PORT/docs) until interrupted."""
    import logging

    import uvicorn

    from coupondesk.tools.api.app import create_app

    if not 0 < port < 65536:
        raise BadInputError(f"--port {port}: use 1-65535")
    engine = ready_engine(settings)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(policy=settings.guardrails.load_policy(), engine=engine,
                     service_date=settings.service_date, today=settings.today)
    click.echo(f"coupondesk redemption service on http://{host}:{port} (docs at /docs)", err=True)
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")


@click.group("api-key")
def api_key() -> None:
    """Create, revoke and list the redemption service's API keys."""


@api_key.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["checkout", "operator"]), default="checkout",
              show_default=True, help="checkout: validate and redeem; operator: also void codes.")
@json_option("the key")
@click.pass_obj
def api_key_create(settings: Settings, name: str, role: str, as_json: bool) -> None:
    """Create key NAME and print it once (only its SHA-256 is stored)."""
    from sqlalchemy.orm import Session

    from coupondesk.tools.access.api_keys import create_api_key

    with Session(ready_engine(settings)) as session, session.begin():
        created = create_api_key(session, name, role=role)
    if as_json:
        emit_json({**created.info.model_dump(mode="json"), "key": created.secret})
        return
    click.echo(created.secret)
    click.echo(f"api key {name!r} ({role}) created; it is shown only now: store it safely",
               err=True)


@api_key.command("revoke")
@click.argument("name")
@json_option("the revoked key")
@click.pass_obj
def api_key_revoke(settings: Settings, name: str, as_json: bool) -> None:
    """Revoke key NAME; requests with it answer 401 from now on."""
    from sqlalchemy.orm import Session

    from coupondesk.tools.access.api_keys import revoke_api_key

    with Session(ready_engine(settings)) as session, session.begin():
        info = revoke_api_key(session, name)
    if as_json:
        emit_json(info.model_dump(mode="json"))
    else:
        click.echo(f"api key {name!r} revoked at {info.revoked_at}")


@api_key.command("list")
@json_option("the keys")
@click.pass_obj
def api_key_list(settings: Settings, as_json: bool) -> None:
    """Every key: name, role, prefix, created, revoked (never the key)."""
    from sqlalchemy.orm import Session

    from coupondesk.tools.access.api_keys import list_api_keys

    with Session(ready_engine(settings)) as session:
        keys = list_api_keys(session)
    if as_json:
        emit_json([k.model_dump(mode="json") for k in keys])
        return
    for key in keys:
        state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
        click.echo(f"{key.name:<24} {key.role:<9} {key.prefix}…  {state}")


COMMANDS = [serve, api_key]
