#!/usr/bin/env bash
# One database and one owner per service, as `make run` creates them: no service can read
# another's tables. Runs once, when the postgres container initialises an empty volume; each
# owner's password comes from <SERVICE>_DB_PASSWORD (docker-compose.yml, from .env), passed
# to psql as a variable so that no password is written in this file or quoted by hand.
set -euo pipefail

for service in intake underwriting ledger servicing collections; do
    var="${service^^}_DB_PASSWORD"
    password="${!var:?$var is not set (see .env.example)}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE CONNECT ON DATABASE :"role" FROM PUBLIC;
SQL
done
