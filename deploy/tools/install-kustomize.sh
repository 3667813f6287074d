#!/usr/bin/env bash
# Installs a pinned kustomize into <repo>/.local/bin/kustomize with `go install` through the
# Go module proxy. Idempotent: does nothing when the pinned version is already there.
# Every Go directory (GOPATH, GOCACHE, GOMODCACHE) lives under .local/, so nothing is
# written to the user's home.
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/.local"
BIN="$LOCAL/bin/kustomize"

if [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "${KUSTOMIZE_VERSION}"; then
    exit 0
fi

command -v go >/dev/null || { echo "error: go not found: install Go 1.22 or newer" >&2; exit 1; }

export GOPATH="$LOCAL/go"
export GOCACHE="$LOCAL/go/cache"
export GOMODCACHE="$LOCAL/go/mod"
export GOBIN="$LOCAL/bin"
export GOFLAGS="-mod=mod -modcacherw -buildvcs=false"
export CGO_ENABLED=0
mkdir -p "$GOBIN"

echo "installing kustomize ${KUSTOMIZE_VERSION} into $GOBIN ..." >&2
go install "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}"
"$BIN" version >&2
