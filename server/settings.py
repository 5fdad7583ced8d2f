"""Server configuration from environment variables, optionally on top of a TOML file.

Environment variables win over the file so a container can override one value. Names:
CLINICDESK_DATABASE_URL, CLINICDESK_MONGODB_URL, CLINICDESK_MONGODB_DB, CLINICDESK_HOST,
CLINICDESK_PORT, CLINICDESK_TLS_CERT, CLINICDESK_TLS_KEY, CLINICDESK_JWT_SECRET,
CLINICDESK_ACCESS_TTL_SECONDS, CLINICDESK_REFRESH_TTL_SECONDS, CLINICDESK_POOL_SIZE,
CLINICDESK_THREADS. The file uses the same names in lower
case without the prefix (``database_url = "postgresql://..."``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from clinicdesk.errors import UsageError

PREFIX = "CLINICDESK_"


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    mongodb_url: str = ""
    mongodb_db: str = "clinicdesk"
    host: str = "127.0.0.1"
    port: int = 8700
    tls_cert: str | None = None
    tls_key: str | None = None
    #: Shared by every instance behind the load balancer: a token one signs, all accept.
    jwt_secret: str = ""
    access_ttl_seconds: int = 900
    refresh_ttl_seconds: int = 30 * 24 * 3600
    pool_size: int = 10
    #: Worker threads for the (blocking) request handlers; AnyIO's default is 40.
    threads: int = 40

    def check(self) -> Settings:
        missing = [n for n in ("database_url", "mongodb_url", "jwt_secret") if not getattr(self, n)]
        if missing:
            names = ", ".join(PREFIX + n.upper() for n in missing)
            raise UsageError(f"missing server configuration: {names} (or use --dev DATA_DIR)")
        if len(self.jwt_secret) < 32:
            raise UsageError(f"{PREFIX}JWT_SECRET must be at least 32 characters")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise UsageError("TLS needs both a certificate and a key")
        return self


def _coerce(name: str, raw: Any) -> Any:
    kind = Settings.__dataclass_fields__[name].type
    if kind == "int":
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise UsageError(f"{name} must be a whole number") from None
    return None if raw in ("", None) and "None" in str(kind) else str(raw)


def load_settings(config_file: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"cannot read server configuration {config_file}: {exc}") from None
        for key, raw in data.items():
            if key not in Settings.__dataclass_fields__:
                raise UsageError(f"unknown setting {key!r} in {config_file}")
            values[key] = _coerce(key, raw)
    for f in fields(Settings):
        raw = env.get(PREFIX + f.name.upper())
        if raw is not None:
            values[f.name] = _coerce(f.name, raw)
    return replace(Settings(), **values)
