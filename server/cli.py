"""``clinicdesk-server``: run the central sync service.

clinicdesk-server [--config FILE] [--host H] [--port P]   # configured by CLINICDESK_* variables
clinicdesk-server init [--config FILE]                    # migrate an empty database, make the first admin
clinicdesk-server --dev DATA_DIR [--no-demo]              # own PostgreSQL + MongoDB-wire in DATA_DIR
clinicdesk-server --migrate-only                          # bring the schema up to date and exit

``init`` reads the first administrator's password without echo (or from CLINICDESK_ADMIN_PASSWORD,
for scripted installs); the account's user name is ``admin``. It refuses a database that has staff
accounts already, so running it twice changes nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from clinicdesk.errors import ClinicDeskError
from server.settings import Settings, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinicdesk-server", description="ClinicDesk central sync service.")
    parser.add_argument(
        "command",
        nargs="?",
        choices=("init",),
        help="init: migrate an empty database, create the first administrator (admin) and exit",
    )
    parser.add_argument("--config", type=Path, help="TOML file with settings (environment variables win)")
    parser.add_argument(
        "--dev", type=Path, metavar="DATA_DIR", help="start local databases in DATA_DIR and seed demo users"
    )
    parser.add_argument("--host", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default 8700; 0 picks a free one with --dev)")
    parser.add_argument("--migrate-only", action="store_true", help="migrate the database and exit")
    parser.add_argument(
        "--no-demo",
        action="store_true",
        help="with --dev: no demo accounts, only the administrator (an empty practice)",
    )
    return parser


ADMIN_PASSWORD_ENV = "CLINICDESK_ADMIN_PASSWORD"
MIN_ADMIN_PASSWORD = 12


def _admin_password() -> str:
    """From CLINICDESK_ADMIN_PASSWORD, or typed twice without echo."""
    import getpass

    from clinicdesk.errors import UsageError, ValidationError

    given = os.environ.get(ADMIN_PASSWORD_ENV)
    if given is None:
        if not sys.stdin.isatty():
            raise UsageError(
                f"no password for the first administrator: set {ADMIN_PASSWORD_ENV} or run init in a terminal"
            )
        given = getpass.getpass("Password for the administrator 'admin': ")
        if getpass.getpass("Again: ") != given:
            raise ValidationError("the two passwords differ; nothing was created")
    if len(given) < MIN_ADMIN_PASSWORD:
        raise ValidationError(f"the administrator's password needs at least {MIN_ADMIN_PASSWORD} characters")
    return given


def init(settings: Settings) -> int:
    """Migrate an empty database and create the first administrator. Refuses a database that
    already has staff accounts (nothing is changed then)."""
    from clinicdesk.errors import UsageError, ValidationError
    from server.db import make_engine
    from server.migrate import upgrade
    from server.seed import ADMIN_USERNAME, create_first_admin, has_users

    if not settings.database_url:
        raise UsageError("missing server configuration: CLINICDESK_DATABASE_URL (the PostgreSQL to set up)")
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        upgrade(engine)
        if has_users(engine):
            raise ValidationError("this database already has staff accounts; init is for an empty one")
        password = _admin_password()
        create_first_admin(engine, password)
    finally:
        engine.dispose()
    print(f"database is ready; sign in as {ADMIN_USERNAME} to set the practice up", flush=True)
    return 0


def _dev_secret(data_dir: Path) -> str:
    path = data_dir / "jwt-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _dev_admin(data_dir: Path, created: tuple[str, str] | None) -> tuple[str, str] | None:
    """The development server's admin credential: kept (owner-only) in its data directory so it can
    be shown again on the next start. Never done for a real deployment."""
    path = data_dir / "admin-credential"
    if created is not None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(created))
        return created
    if path.exists():
        username, _, password = path.read_text(encoding="utf-8").partition("\n")
        return username, password
    return None


def serve(
    settings: Settings, *, dev_data: Path | None = None, migrate_only: bool = False, demo: bool = True
) -> int:
    import uvicorn

    from server.api.main import create_app
    from server.db import make_engine
    from server.embedded import EmbeddedMongo, EmbeddedPostgres, free_port
    from server.migrate import upgrade
    from server.seed import DEMO_PASSWORD, DEMO_USERS, seed_admin, seed_demo_users

    # SIGTERM (a service manager, a container stop) unwinds like Ctrl-C, also during start-up, so the
    # databases --dev started are always stopped. uvicorn handles the signal while serving and
    # raises it again once it has shut down, which lands here too.
    signal.signal(signal.SIGTERM, _interrupt)
    with ExitStack() as stack:
        if dev_data is not None:
            dev_data = dev_data.resolve()
            dev_data.mkdir(parents=True, exist_ok=True)
            print(f"starting PostgreSQL in {dev_data / 'postgres'} ...", flush=True)
            pg = stack.enter_context(EmbeddedPostgres(dev_data / "postgres"))
            mongo_url = os.environ.get("MONGODB_URL") or settings.mongodb_url
            if not mongo_url:
                print(f"starting the MongoDB-wire server in {dev_data / 'mongo'} ...", flush=True)
                mongo_url = stack.enter_context(EmbeddedMongo(dev_data / "mongo")).url
            settings = replace(
                settings,
                database_url=pg.url,
                mongodb_url=mongo_url,
                jwt_secret=settings.jwt_secret or _dev_secret(dev_data),
                port=settings.port or free_port(),
            )
        settings.check()
        engine = make_engine(settings.database_url, pool_size=2)
        upgrade(engine)
        seed = seed_demo_users if demo else seed_admin
        admin = _dev_admin(dev_data, seed(engine)) if dev_data is not None else None
        engine.dispose()
        if migrate_only:
            print("database is up to date", flush=True)
            return 0
        scheme = "https" if settings.tls_cert else "http"
        print(f"ClinicDesk sync service on {scheme}://{settings.host}:{settings.port}", flush=True)
        if admin is not None:
            print(f"first admin credential: username {admin[0]} password {admin[1]}", flush=True)
            if demo:
                names = ", ".join(u for u, _, _ in DEMO_USERS)
                print(f"demo users ({names}) have the password {DEMO_PASSWORD}", flush=True)
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            ssl_certfile=settings.tls_cert,
            ssl_keyfile=settings.tls_key,
            log_level="warning",
            access_log=False,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
        if args.host:
            settings = replace(settings, host=args.host)
        if args.port is not None:
            settings = replace(settings, port=args.port)
        elif args.dev is not None and "CLINICDESK_PORT" not in os.environ:
            settings = replace(settings, port=0)
        if args.no_demo and args.dev is None:
            parser_error = "--no-demo goes with --dev DATA_DIR"
            print(f"clinicdesk-server: error: {parser_error}", file=sys.stderr)
            return 2
        if args.command == "init":
            return init(settings)
        return serve(settings, dev_data=args.dev, migrate_only=args.migrate_only, demo=not args.no_demo)
    except ClinicDeskError as exc:
        print(f"clinicdesk-server: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
