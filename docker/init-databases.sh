#!/usr/bin/env bash
# Creates the two databases of the deployment, each with its own login role:
#   $AIRFLOW_DB_NAME  owned by $AIRFLOW_DB_USER  Airflow's metadata DB (and the Celery result backend)
#   $NEWS_DB_NAME     owned by $NEWS_DB_USER     the newsdedup database (Connection `news_db`)
#
# The postgres image runs it from /docker-entrypoint-initdb.d ONLY on the first start of an empty
# data volume, against a temporary server that listens on the Unix socket only. Changing a password
# in .env later does not change it here: run ALTER ROLE ... PASSWORD yourself, or (losing all data)
# `docker compose down -v`.
#
# Works both executed and sourced (the entrypoint sources *.sh files that are not executable):
# it never calls `exit` and passes the names and passwords to psql as variables, quoted by psql
# (:"ident" and :'literal'), so any characters in them are safe.
set -Eeo pipefail

for required in AIRFLOW_DB_USER AIRFLOW_DB_PASSWORD AIRFLOW_DB_NAME \
                NEWS_DB_USER NEWS_DB_PASSWORD NEWS_DB_NAME; do
    : "${!required:?init-databases.sh: $required must be set on the postgres service}"
done

echo "init-databases.sh: creating role/database ${AIRFLOW_DB_USER}/${AIRFLOW_DB_NAME}" \
     "and ${NEWS_DB_USER}/${NEWS_DB_NAME}"

psql --no-psqlrc --no-password -v ON_ERROR_STOP=1 \
     --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -v airflow_user="$AIRFLOW_DB_USER" -v airflow_password="$AIRFLOW_DB_PASSWORD" \
     -v airflow_db="$AIRFLOW_DB_NAME" \
     -v news_user="$NEWS_DB_USER" -v news_password="$NEWS_DB_PASSWORD" \
     -v news_db="$NEWS_DB_NAME" <<'EOSQL'
CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_user" ENCODING 'UTF8';
REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;
GRANT ALL ON DATABASE :"airflow_db" TO :"airflow_user";

CREATE ROLE :"news_user" LOGIN PASSWORD :'news_password';
CREATE DATABASE :"news_db" OWNER :"news_user" ENCODING 'UTF8';
REVOKE ALL ON DATABASE :"news_db" FROM PUBLIC;
GRANT ALL ON DATABASE :"news_db" TO :"news_user";
EOSQL

# On PostgreSQL 15+ the public schema belongs to pg_database_owner, i.e. to each database's owner,
# so both roles can create their tables (`airflow db migrate`, sql/NNN_*.sql) without more grants.
echo "init-databases.sh: done"
