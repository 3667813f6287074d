#!/usr/bin/env bash
# Writes .env for docker compose with a fresh random value for every secret .env.example
# leaves empty (never committed: .gitignore lists it). Leaves an existing .env alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -e .env ]]; then
    echo ".env exists; remove it first to generate new secrets" >&2
    exit 1
fi
umask 077
while IFS= read -r line; do
    if [[ "$line" =~ ^([A-Z0-9_]+)=$ ]]; then
        echo "${BASH_REMATCH[1]}=$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)"
    else
        echo "$line"
    fi
done < .env.example > .env
echo "wrote .env (mode 600)"
