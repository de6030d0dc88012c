#!/usr/bin/env bash
# Backs up a Holdout installation: the PostgreSQL database (pg_dump, custom format) and the data
# directory (uploads, kernel logs and outputs, model predictions, competition data, the session
# secret) into one new folder with a manifest of checksums. Restore with scripts/restore.sh.
#
#   bash scripts/backup.sh DEST_DIR        → DEST_DIR/holdout-<UTC time>/
#
# Reads DATABASE_URL and HOLDOUT_DATA_DIR like the apps do (defaults: those of `npm start`).
# The database is dumped first, then the files: every file a row refers to was written before the
# row was committed, so the archive holds every file the dump names (files written after the dump
# are extra and harmless). Scratch space of running kernels is left out. Safe while the platform
# runs; pg_dump sees one consistent snapshot.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest_root="${1:?usage: backup.sh DEST_DIR}"
db_url="${DATABASE_URL:-postgres://holdout@127.0.0.1:54329/holdout}"
data_dir="${HOLDOUT_DATA_DIR:-$ROOT/.data/data}"
[ -d "$data_dir" ] || { echo "backup: data directory $data_dir does not exist (set HOLDOUT_DATA_DIR)" >&2; exit 1; }
data_dir="$(cd "$data_dir" && pwd -P)"

# The newest installed client, so it is never older than the server it dumps.
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
pg_dump="${pg_bin:+$pg_bin/}pg_dump"

out="$dest_root/holdout-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest_root"
[ ! -e "$out" ] || { echo "backup: $out already exists" >&2; exit 1; }
partial="$out.partial"
rm -rf "$partial"
mkdir -p "$partial"
trap 'rm -rf "$partial"' ERR

echo "backup: dumping the database" >&2
"$pg_dump" --format=custom --no-owner --no-privileges --file="$partial/database.dump" "$db_url"

echo "backup: archiving $data_dir" >&2
tar --create --file="$partial/data.tar" --directory="$data_dir" \
  --exclude=./kernel-scratch --exclude=./kernel-views --exclude=./sandbox --exclude='*.partial' --exclude='*.tmp' \
  --one-file-system --sparse .

migration="$("${pg_bin:+$pg_bin/}psql" "$db_url" -Atc 'SELECT name FROM migrations ORDER BY "timestamp" DESC LIMIT 1' 2>/dev/null || true)"
node - "$partial" "$data_dir" "$migration" <<'EOF'
const { createHash } = require('node:crypto');
const { createReadStream, writeFileSync, statSync } = require('node:fs');
const [dir, dataDir, migration] = process.argv.slice(2);
const sha = (f) => new Promise((ok, no) => { const h = createHash('sha256'); createReadStream(`${dir}/${f}`).on('data', (d) => h.update(d)).on('end', () => ok(h.digest('hex'))).on('error', no); });
(async () => {
  const files = {};
  for (const f of ['database.dump', 'data.tar']) files[f] = { bytes: statSync(`${dir}/${f}`).size, sha256: await sha(f) };
  const manifest = { format: 'holdout-backup/1', createdAt: new Date().toISOString(), dataDir, migration: migration || null, files };
  writeFileSync(`${dir}/manifest.json`, JSON.stringify(manifest, null, 2) + '\n');
})().catch((e) => { console.error(e); process.exit(1); });
EOF
mv "$partial" "$out"
trap - ERR
echo "backup: done" >&2
echo "$out"
