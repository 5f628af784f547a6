#!/usr/bin/env bash
# Runs the DNS server (dns-server) with the given arguments, building its jar first when a source is newer than it.
# Picks a JDK 25 (the release the build targets) even when the default `java` is older: see jdk.sh.
# Usage: e2e/scripts/run.sh [server options...]   (e.g. --zone example.test; --help lists them)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. e2e/scripts/jdk.sh
zk_pick_jdk

jar=dns-server/target/zonekeeper-dns-server.jar
# the modules the jar is built from (dns-core once it exists) and the build files
sources=(pom.xml dns-server/pom.xml dns-server/src/main)
[ -d dns-core ] && sources+=(dns-core/pom.xml dns-core/src/main)
if [ ! -f "$jar" ] || [ -n "$(find "${sources[@]}" -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
  echo "[run] building $jar with $JAVA_HOME" >&2
  ./mvnw -q -B -pl dns-server -am package -DskipTests
fi
exec "$JAVA_HOME/bin/java" -jar "$jar" "$@"
