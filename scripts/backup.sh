#!/usr/bin/env bash
# Encrypted PostgreSQL backup with retention (docs/deploy.md, « Sauvegardes »):
#   DATABASE_URL=postgresql://… BACKUP_PASSPHRASE_FILE=/run/secrets/backup scripts/backup.sh [DIR]
# Writes DIR/clinic-YYYYmmddTHHMMSSZ.dump.gpg (pg_dump custom format, then GnuPG AES-256 with
# the passphrase of BACKUP_PASSPHRASE_FILE: the dump holds health data, sealed or not), then
# deletes the backups older than BACKUP_RETENTION_DAYS (default 30). Run it daily (cron, a
# systemd timer); scripts/restore.sh is the way back, and `make test` drills it.
set -euo pipefail
dir=${1:-${BACKUP_DIR:-backups}}
: "${DATABASE_URL:?set DATABASE_URL (postgresql://…)}"
: "${BACKUP_PASSPHRASE_FILE:?set BACKUP_PASSPHRASE_FILE (a file holding the backup passphrase)}"
[ -s "$BACKUP_PASSPHRASE_FILE" ] || { echo "error: $BACKUP_PASSPHRASE_FILE is missing or empty" >&2; exit 1; }
retention=${BACKUP_RETENTION_DAYS:-30}
umask 077
# shellcheck source=scripts/pgpass.sh
. "$(dirname "$0")/pgpass.sh"
mkdir -p "$dir"
chmod 700 "$dir"
target="$dir/clinic-$(date -u +%Y%m%dT%H%M%SZ).dump.gpg"
partial="$target.partial"
trap 'rm -f "$partial" "$PGPASSFILE"' EXIT
pg_dump --format=custom --no-owner --dbname="$url" \
  | gpg --batch --yes --quiet --symmetric --cipher-algo AES256 \
        --pinentry-mode loopback --passphrase-file "$BACKUP_PASSPHRASE_FILE" --output "$partial"
mv "$partial" "$target"
find "$dir" -maxdepth 1 -name 'clinic-*.dump.gpg' -mtime "+$retention" -print -delete \
  | sed 's/^/removed (older than '"$retention"' days): /'
echo "backup written: $target"
