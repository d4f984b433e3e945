#!/usr/bin/env bash
# Rebuilds the playground from a clean install and fails when the committed dist/ differs
# from what the sources and the lockfile produce.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
git diff --exit-code -- dist
# New files (a changed content hash) are not in git diff; list them too.
untracked=$(git ls-files --others --exclude-standard -- dist)
if [ -n "$untracked" ]; then
	echo "dist/ has files that are not committed:" >&2
	echo "$untracked" >&2
	exit 1
fi
