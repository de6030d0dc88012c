#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into an empty database and data directory.
#
#   bash scripts/restore.sh BACKUP_DIR
#
# Stop the API and the workers first. Reads DATABASE_URL and HOLDOUT_DATA_DIR like the apps do.
# The database named in DATABASE_URL is created if it does not exist and must hold no tables;
# the data directory must be empty or absent. The database stores absolute paths into the data
# directory, so HOLDOUT_DATA_DIR must be the directory the backup was taken from (the manifest
# names it; restore refuses another). Checksums are verified before anything is written.
# Afterwards start the API as usual: it applies any newer migrations (an upgrade restore).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${1:?usage: restore.sh BACKUP_DIR}"
db_url="${DATABASE_URL:-postgres://holdout@127.0.0.1:54329/holdout}"
data_dir="${HOLDOUT_DATA_DIR:-$ROOT/.data/data}"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
bin() { echo "${pg_bin:+$pg_bin/}$1"; }
fail() { echo "restore: $*" >&2; exit 1; }

[ -f "$src/manifest.json" ] || fail "$src/manifest.json not found: not a Holdout backup"
expected_dir="$(node -e 'const m=require(process.argv[1]); if (m.format!=="holdout-backup/1") { console.error("unknown backup format " + m.format); process.exit(1) } process.stdout.write(m.dataDir)' "$(cd "$src" && pwd)/manifest.json")"
mkdir -p "$data_dir"
data_dir="$(cd "$data_dir" && pwd -P)"
[ "$data_dir" = "$expected_dir" ] || fail "the backup was taken from $expected_dir, but HOLDOUT_DATA_DIR is $data_dir (stored paths would not resolve)"
[ -z "$(ls -A "$data_dir")" ] || fail "the data directory $data_dir is not empty"

echo "restore: verifying checksums" >&2
node - "$src" <<'EOF'
const { createHash } = require('node:crypto');
const { createReadStream } = require('node:fs');
const dir = process.argv[2];
const m = require(`${dir}/manifest.json`);
(async () => {
  for (const [f, { sha256 }] of Object.entries(m.files)) {
    const h = createHash('sha256');
    await new Promise((ok, no) => createReadStream(`${dir}/${f}`).on('data', (d) => h.update(d)).on('end', ok).on('error', no));
    if (h.digest('hex') !== sha256) { console.error(`restore: ${f} does not match its checksum: the backup is damaged`); process.exit(1); }
  }
})();
EOF

db_name="$(node -e 'process.stdout.write(decodeURIComponent(new URL(process.argv[1]).pathname.slice(1)))' "$db_url")"
admin_url="$(node -e 'const u=new URL(process.argv[1]); u.pathname="/postgres"; process.stdout.write(u.toString())' "$db_url")"
exists="$("$(bin psql)" "$admin_url" -Atc "SELECT 1 FROM pg_database WHERE datname = '${db_name//\'/\'\'}'")"
if [ "$exists" = 1 ]; then
  tables="$("$(bin psql)" "$db_url" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
  [ "$tables" = 0 ] || fail "the database $db_name already has $tables tables; restore into an empty one"
else
  "$(bin psql)" "$admin_url" -qc "CREATE DATABASE \"${db_name//\"/\"\"}\""
fi

echo "restore: restoring the database" >&2
"$(bin pg_restore)" --no-owner --no-privileges --exit-on-error --dbname="$db_url" "$src/database.dump"
echo "restore: restoring $data_dir" >&2
tar --extract --file="$src/data.tar" --directory="$data_dir" --same-permissions
echo "restore: done" >&2
