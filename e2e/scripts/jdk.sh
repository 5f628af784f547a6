# Sourced by run.sh and test-all.sh: exports JAVA_HOME as a JDK of the release the build targets (the one the images
# run), so a machine whose default `java` is older still builds and runs; stops with what to install when it has none.
zk_java_release=25

zk_jdk_version() { # the feature version of the JDK at $1 (0 if it is not a JDK)
  [ -x "$1/bin/javac" ] && [ -x "$1/bin/java" ] || { echo 0; return; }
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
  v=${v%%.*}
  echo "${v:-0}"
}

zk_pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(zk_jdk_version "$JAVA_HOME")" -ge "$zk_java_release" ]; then
    export JAVA_HOME; return
  fi
  # the newest JDK under /usr/lib/jvm, then the one on PATH
  local d v best="" bestv=0 onpath
  for d in /usr/lib/jvm/*/; do
    v=$(zk_jdk_version "${d%/}")
    if [ "$v" -gt "$bestv" ]; then bestv=$v; best=${d%/}; fi
  done
  if command -v javac >/dev/null 2>&1; then
    onpath=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    v=$(zk_jdk_version "$onpath")
    if [ "$v" -gt "$bestv" ]; then bestv=$v; best=$onpath; fi
  fi
  if [ "$bestv" -lt "$zk_java_release" ]; then
    echo "Zonekeeper needs a JDK $zk_java_release or newer (found ${JAVA_HOME:+JAVA_HOME=$JAVA_HOME, }${best:-none}${best:+ = $bestv})." >&2
    echo "Install Eclipse Temurin $zk_java_release (Debian/Ubuntu: apt-get install temurin-$zk_java_release-jdk from" >&2
    echo "https://packages.adoptium.net/artifactory/deb, see https://adoptium.net/installation/linux/) or set JAVA_HOME to it." >&2
    exit 1
  fi
  export JAVA_HOME=$best
}
