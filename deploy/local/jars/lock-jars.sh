#!/usr/bin/env bash
# Maintainers only: re-resolve the jar sets with Maven after changing a pom,
# writing <name>.lock (repository path and SHA-1 per jar). The stack itself
# downloads from the lock and never needs Maven.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for pom in *.pom.xml; do
  name="${pom%.pom.xml}"
  out="$(mktemp -d)"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -Dmdep.useRepositoryLayout=true -DoutputDirectory="$out"
  (cd "$out" && find . -name '*.jar' | sed 's|^\./||' | sort | while read -r jar; do
    printf '%s\t%s\n' "$jar" "$(sha1sum "$jar" | cut -d' ' -f1)"
  done) > "$name.lock"
  rm -rf "$out"
  echo "$name.lock: $(wc -l < "$name.lock") jars"
done
