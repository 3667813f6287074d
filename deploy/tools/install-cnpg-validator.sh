#!/usr/bin/env bash
# Installs the CloudNativePG object validator (deploy/tools/cnpg-validator: validate.mjs and
# the locked @kubernetes-models/cloudnative-pg) into <repo>/.local/node/cnpg-validator with
# `npm ci`, so node_modules never lands in the repository.
# Idempotent: does nothing when the installed copy was made from the same package.json,
# package-lock.json and validate.mjs (a checksum marker), so a second run is instant.
# The npm cache goes under .local/ too. Needs Node.js 20+ and npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/deploy/tools/cnpg-validator"
DEST="$ROOT/.local/node/cnpg-validator"
MARKER="$DEST/.installed"
FILES=(package.json package-lock.json validate.mjs)

wanted="$(cd "$SRC" && cat "${FILES[@]}" | sha256sum | cut -d' ' -f1)"
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$wanted" ] && [ -d "$DEST/node_modules" ]; then
    exit 0
fi

command -v node >/dev/null || { echo "error: node not found: install Node.js 20 or newer (with npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "error: npm not found: install npm (it ships with Node.js 20 or newer)" >&2; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || { echo "error: node $(node --version) is too old: install Node.js 20 or newer" >&2; exit 1; }

rm -f "$MARKER"
mkdir -p "$DEST"
for f in "${FILES[@]}"; do cp "$SRC/$f" "$DEST/$f"; done
# The package's dependencies declare engines node>=22; they run on Node 20 (the repo's tests
# exercise them), so the engine check only warns (npm's default, engine-strict=false).
(cd "$DEST" && npm ci --no-audit --no-fund --loglevel=error --engine-strict=false \
    --cache "$ROOT/.local/node/npm-cache")
echo "$wanted" > "$MARKER"
