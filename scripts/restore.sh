#!/usr/bin/env bash
# Restore an encrypted backup of scripts/backup.sh into DATABASE_URL (its tables are replaced):
#   DATABASE_URL=postgresql://… BACKUP_PASSPHRASE_FILE=… scripts/restore.sh FILE.dump.gpg
# Stop the assistant's processes first; start them again after (docs/deploy.md).
set -euo pipefail
file=${1:?usage: scripts/restore.sh FILE.dump.gpg}
: "${DATABASE_URL:?set DATABASE_URL (postgresql://…)}"
: "${BACKUP_PASSPHRASE_FILE:?set BACKUP_PASSPHRASE_FILE}"
umask 077
# shellcheck source=scripts/pgpass.sh
. "$(dirname "$0")/pgpass.sh"
trap 'rm -f "$PGPASSFILE"' EXIT
gpg --batch --quiet --decrypt --pinentry-mode loopback --passphrase-file "$BACKUP_PASSPHRASE_FILE" "$file" \
  | pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction --dbname="$url"
echo "restored: $file"
