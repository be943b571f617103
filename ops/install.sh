#!/usr/bin/env bash
# Installs the local stack's binaries under <repo>/.cache (no Docker needed):
#   .cache/kafka/libs                              Kafka broker + tools jars (ops/kafka/pom.xml)
#   .cache/registry/target/quarkus-app/            Apicurio Registry, Confluent-compatible API
#                                                  (ops/registry/pom.xml)
#   redis-server                                   from apt, only when not already on PATH
# Idempotent: each part is skipped when its stamp matches the inputs that built it.
# Needs Java 17+, Maven and network access to Maven Central (and apt for Redis).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
MVN=(mvn -B --no-transfer-progress -Dstyle.color=never)

log() { printf '[install] %s\n' "$*"; }

# Runs Maven with its output in a log file (Maven's jansi writes colour codes even in batch
# mode, so they are stripped) and prints a line every 10 s: elapsed time and the plugin step
# Maven is on. On failure the end of the log is shown.
mvn_with_progress() {
  local part="$1" logfile="$CACHE/$1-build.log"
  shift
  mkdir -p "$CACHE"
  local began=$SECONDS
  ("${MVN[@]}" "$@" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g' >"$logfile") &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (((SECONDS - began) % 10 < 2)) && kill -0 "$pid" 2>/dev/null; then
      local step
      # `|| true`: before Maven's first plugin line grep finds nothing, which under
      # `set -e -o pipefail` would end the script silently.
      step="$(grep -o -- '--- [^ ]* ([^)]*) @' "$logfile" 2>/dev/null | tail -n 1 | sed 's/^--- //; s/ @$//' || true)"
      log "$part: $((SECONDS - began)) s${step:+, at $step} (log: $logfile)"
    fi
  done
  if ! wait "$pid" || grep -q 'BUILD FAILURE' "$logfile"; then
    log "$part: maven failed; last lines of $logfile:"
    tail -n 40 "$logfile"
    exit 1
  fi
}

require() {
  command -v "$1" >/dev/null 2>&1 || { log "error: '$1' not found on PATH ($2)"; exit 1; }
}

# A stamp is the hash of everything that decides a part's output; a changed POM, config or
# JVM (the registry's class-data archive is tied to the JVM that built it) forces a rebuild.
stamp_of() {
  { java -version 2>&1; cat "$@"; } | sha256sum | cut -d' ' -f1
}

install_kafka() {
  local pom="$ROOT/ops/kafka/pom.xml" dir="$CACHE/kafka"
  local stamp
  stamp="$(stamp_of "$pom")"
  if [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" && -d "$dir/libs" ]]; then
    log "kafka: up to date ($dir/libs)"
    return
  fi
  log "kafka: copying broker jars into $dir/libs"
  rm -rf "$dir/libs" "$dir/target" "$dir/.stamp"
  mkdir -p "$dir"
  mvn_with_progress kafka -f "$pom" package -DoutputDirectory="$dir/libs" -DbuildDirectory="$dir/target"
  rm -rf "$dir/target"
  echo "$stamp" >"$dir/.stamp"
  log "kafka: done ($(find "$dir/libs" -name '*.jar' | wc -l) jars)"
}

install_registry() {
  local src="$ROOT/ops/registry" dir="$CACHE/registry"
  local stamp
  stamp="$(stamp_of "$src/pom.xml" "$src/src/main/resources/application.properties")"
  if [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" &&
    -f "$dir/target/quarkus-app/quarkus-run.jar" ]]; then
    log "schema-registry: up to date ($dir/target/quarkus-app)"
    return
  fi
  log "schema-registry: building Apicurio Registry into $dir/target/quarkus-app (about 30 s with a warm Maven cache, 3 min cold)"
  rm -rf "$dir/target" "$dir/.stamp"
  mkdir -p "$dir"
  mvn_with_progress schema-registry -f "$src/pom.xml" package -DskipTests -DbuildDirectory="$dir/target"
  echo "$stamp" >"$dir/.stamp"
  log "schema-registry: done"
}

install_redis() {
  if command -v redis-server >/dev/null 2>&1; then
    log "redis: found $(command -v redis-server)"
    return
  fi
  log "redis: installing redis-server with apt-get"
  local sudo=()
  [[ "$(id -u)" -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server
  log "redis: installed $(command -v redis-server)"
}

require java 'install a JDK 17+'
require mvn 'install Maven 3.8+'
install_kafka
install_registry
install_redis
log "all done"
