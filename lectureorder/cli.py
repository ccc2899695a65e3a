"""Flask CLI commands: seed-demo, create-user, dispatch-pending, expire-offers, send-notifications,
scheduler, backup, restore."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .domain.errors import DomainError
from .extensions import db
from .services.clock import now_utc
from .services.settings import from_app


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(dispatch_pending)
    app.cli.add_command(expire_offers)
    app.cli.add_command(send_notifications)
    app.cli.add_command(scheduler)
    app.cli.add_command(backup)
    app.cli.add_command(restore)


def _refuse_in_production() -> None:
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if current_app.config.get("ENV_NAME") == "production" or (
        not uri.startswith("sqlite") and not current_app.config.get("ALLOW_DEMO_DATA")
    ):
        raise click.ClickException(
            "seed-demo is refused in production (set ALLOW_DEMO_DATA=1 for a staging database)."
        )


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
def seed_demo(if_empty: bool) -> None:
    """Load demo data (idempotent: a second run adds nothing)."""
    from sqlalchemy import select

    from .models import User
    from .services.demo import seed

    _refuse_in_production()
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("database not empty: demo data not loaded")
        return
    added = seed(now=now_utc())
    db.session.commit()
    click.echo(f"demo data: {added}")


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["member", "coordinator", "admin"]), default="coordinator")
@click.option("--name", "display_name", default="")
@click.password_option()
def create_user(username: str, role: str, display_name: str, password: str) -> None:
    """Create a login (members also get a team-member profile)."""
    from .models import Member
    from .services.accounts import create_user as make

    try:
        user = make(username, password, role, display_name)
    except DomainError as exc:
        raise click.ClickException(exc.reason % exc.params if exc.params else exc.reason) from exc
    if role == "member":
        db.session.add(Member(user=user, name=display_name or username))
    db.session.commit()
    click.echo(f"created {role} {username}")


@click.command("dispatch-pending")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most this many orders (default: one pass's limit).")
def dispatch_pending(limit: int | None) -> None:
    """One dispatch pass: offer the orders waiting since they were placed (the scheduler runs
    this every DISPATCH_INTERVAL_SECONDS)."""
    from .services.dispatch import PASS_LIMIT
    from .services.dispatch import dispatch_pending as dispatch_pass

    count = dispatch_pass(now=now_utc(), settings=from_app(current_app), limit=limit or PASS_LIMIT)
    db.session.commit()
    click.echo(f"dispatched {count} order(s)")


@click.command("expire-offers")
def expire_offers() -> None:
    """Expire overdue offers and move their orders on (the scheduler runs this too)."""
    from .services.dispatch import expire_offers as sweep

    count = sweep(now=now_utc(), settings=from_app(current_app))
    db.session.commit()
    click.echo(f"expired {count} offer(s)")


@click.command("send-notifications")
def send_notifications() -> None:
    """Deliver queued notifications with the configured sender."""
    from .services.notify import send_pending

    # The claim is committed before any provider call, each outcome as it comes (see notify).
    count = send_pending(now=now_utc(), settings=from_app(current_app), checkpoint=db.session.commit)
    db.session.commit()
    click.echo(f"processed {count} notification(s)")


@click.command("scheduler")
def scheduler() -> None:
    """Run the background jobs; start exactly ONE of these next to the web workers."""
    from .jobs import build_scheduler

    sched = build_scheduler(current_app._get_current_object())
    click.echo("scheduler running (Ctrl+C to stop)")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass


def _database_uri() -> str:
    # The engine's URL, not the config's: create_app resolves a relative SQLite path.
    return db.engine.url.render_as_string(hide_password=False)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=str))
@with_appcontext
def backup(path: str) -> None:
    """Back up the database and the photos to PATH (a .tar.gz file, else a new directory).

    SQLite: the online backup API, safe while the app runs. PostgreSQL: pg_dump --format=custom
    (needs postgresql-client)."""
    from pathlib import Path

    from .services import backup as backups

    uri = _database_uri()
    if not uri.startswith("sqlite"):
        click.echo("running: " + " ".join(backups.pg_dump_command(uri, "<archive>/database.dump")))
    try:
        done = backups.backup(uri, from_app(current_app).photo_root, Path(path), now=now_utc())
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(done.tables.values())
    click.echo(f"backup written: {done.path} ({done.engine}, {len(done.tables)} tables, "
               f"{rows} rows, {done.photos} photos)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, path_type=str))
@click.option("--force", is_flag=True, help="Replace a database or photos folder that holds data.")
@with_appcontext
def restore(path: str, force: bool) -> None:
    """Restore a backup made by `backup` (stop the web workers and the scheduler first).

    Refuses a database that already holds data unless --force. PostgreSQL: pg_restore --clean."""
    from pathlib import Path

    from .services import backup as backups

    uri = _database_uri()
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours stands in the restore's way
    if not uri.startswith("sqlite"):
        click.echo("running: " + " ".join(backups.pg_restore_command(uri, "<archive>/database.dump")))
    try:
        done = backups.restore(Path(path), uri, from_app(current_app).photo_root, force=force,
                               on_step=click.echo)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {done.path}: {sum(done.tables.values())} rows, {done.photos} photos")
