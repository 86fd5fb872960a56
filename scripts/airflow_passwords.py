"""Create or repair the passwords file of Airflow's simple auth manager (the UI login) before an
Airflow process reads it: owner-only (0600), with a password for every configured user.

An Airflow api-server (or `airflow standalone`) that finds a user missing from the file makes up
a password, writes the file with its umask (0644 under the usual 022: anyone on the machine may
read it) and prints the password to its log. With every user already in an owner-only file it
does neither. This script never prints a password either: read it from the file.

Reads what Airflow reads: AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE, else
$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated; the users of
AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS ("name:role,..."), else Airflow's default, admin.
Standard library only: `make` runs it with the system Python, before the venv is needed.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from pathlib import Path

DEFAULT_FILE = "simple_auth_manager_passwords.json.generated"


def passwords_file() -> Path:
    configured = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    if configured:
        return Path(configured)
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return Path(home) / DEFAULT_FILE


def configured_users() -> list[str]:
    listed = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS") or "admin:admin"
    return [entry.split(":")[0].strip() for entry in listed.split(",") if entry.strip()]


def ensure_passwords(path: Path, users: list[str]) -> list[str]:
    """Give each of `users` missing from the file a random password; returns those added."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)  # one an api-server wrote before may be 0644
    with os.fdopen(fd, "r+") as file:
        # Airflow takes the same lock while it reads and fills the file
        fcntl.flock(file, fcntl.LOCK_EX)
        text = file.read().strip()
        passwords: dict[str, str] = json.loads(text) if text else {}
        added = [user for user in users if user not in passwords]
        for user in added:
            passwords[user] = secrets.token_urlsafe(18)
        if added:
            file.seek(0)
            file.truncate()
            file.write(json.dumps(passwords) + "\n")
    return added


def main() -> None:
    path = passwords_file()
    users = configured_users()
    ensure_passwords(path, users)
    print(f"Airflow UI login ({', '.join(users)}): the password is in {path} (mode 0600)")


if __name__ == "__main__":
    main()
