# Sourced by backup.sh and restore.sh: split DATABASE_URL so that its password never reaches a
# command line (`ps` shows any process's argv to every user of the machine). The password goes
# to a private pgpass file (libpq's PGPASSFILE, mode 0600, removed on exit); the tools get the
# URL without it. Sets: url (no password), PGPASSFILE (exported).
url=${DATABASE_URL/postgresql+psycopg2:/postgresql:}
PGPASSFILE=$(mktemp)
export PGPASSFILE
url=$(PGPASS_OUT="$PGPASSFILE" python3 - "$url" <<'PY'
import os, sys
from urllib.parse import unquote, urlsplit, urlunsplit

parts = urlsplit(sys.argv[1])
def escape(value: str) -> str:  # pgpass fields: « \ » and « : » are escaped
    return value.replace("\\", "\\\\").replace(":", "\\:")
host = parts.hostname or "localhost"
port = str(parts.port or 5432)
database = unquote(parts.path.lstrip("/")) or "*"
user = unquote(parts.username or "") or "*"
with open(os.environ["PGPASS_OUT"], "w", encoding="utf-8") as out:
    if parts.password is not None:
        fields = (host, port, database, user, unquote(parts.password))
        out.write(":".join(escape(f) for f in fields) + "\n")
netloc = (parts.username + "@" if parts.username else "") + (parts.hostname or "")
if parts.port:
    netloc += f":{parts.port}"
if ":" in (parts.hostname or ""):  # an IPv6 literal keeps its brackets
    netloc = netloc.replace(parts.hostname, f"[{parts.hostname}]", 1)
print(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))
PY
)
chmod 600 "$PGPASSFILE"
