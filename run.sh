#!/usr/bin/env bash
# Gatehouse launcher: builds target/gatehouse.jar when the sources changed, then runs it.
#   ./run.sh [--key=value ...]   the gateway, or the demo when no discord.token is configured
#   ./run.sh test                the whole test suite
#   ./run.sh bench [...]         the end-to-end benchmark (simulator -> gatehouse -> PostgreSQL + bot); bench spill, bench startup
#   ./run.sh bench peers [...]   the same firehose into gatehouse, JDA and @discordjs/ws, each in its own process
#   ./run.sh jmh [JMH options]   the JMH microbenchmarks in jmh/
#   ./run.sh simulate [...]      the Discord gateway simulator alone
#   ./run.sh reshard [--shards=N] asks the running gatehouse (api.port of config.properties) for a zero-downtime reshard
#   ./run.sh simbench [...]      the simulator's own throughput (dispatches/s on one core, zlib-stream)
#   ./run.sh build               build the jar only
set -euo pipefail
cd "$(dirname "$0")"

MAVEN_VERSION=3.9.11
MIN_JAVA=21

java_major() { # prints the major version of the java binary $1, or 0
  local v
  v=$("$1" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)[."].*/\1/p' | head -n 1)
  echo "${v:-0}"
}

find_java() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for d in /usr/lib/jvm/*/bin/java /opt/java/*/bin/java /opt/*/bin/java; do
    [ -x "$d" ] && candidates+=("$d")
  done
  local best="" best_v=0 c v
  for c in "${candidates[@]}"; do
    [ -x "$c" ] || continue
    v=$(java_major "$c")
    if [ "$v" -ge "$MIN_JAVA" ] && [ -z "$best" ]; then best="$c"; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    echo "run.sh: Gatehouse needs a JDK $MIN_JAVA or newer; none found in JAVA_HOME, PATH or /usr/lib/jvm." >&2
    echo "run.sh: install one (e.g. 'apt-get install openjdk-21-jdk' or a Temurin 21+) or set JAVA_HOME to it." >&2
    exit 1
  fi
  JAVA="$best"
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$best")")")
  export JAVA_HOME
  if [ ! -x "$JAVA_HOME/bin/javac" ] && [ "${1:-}" = build ]; then
    echo "run.sh: $JAVA_HOME is a JRE; building needs a JDK (javac) $MIN_JAVA or newer." >&2
    exit 1
  fi
}

find_maven() {
  if [ "$(java_major "$JAVA")" -ge 23 ]; then # Maven's own Guava warns about sun.misc.Unsafe on JDK 24+ (see launch_flags)
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
  if command -v mvn >/dev/null 2>&1; then MVN=(mvn -B); return; fi
  local home=".mvn/maven/apache-maven-$MAVEN_VERSION"
  if [ ! -x "$home/bin/mvn" ]; then
    local url="https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/$MAVEN_VERSION/apache-maven-$MAVEN_VERSION-bin.tar.gz"
    echo "run.sh: Maven not found; fetching Maven $MAVEN_VERSION from Maven Central" >&2
    mkdir -p .mvn/maven
    if command -v curl >/dev/null 2>&1; then curl -fsSL "$url" -o .mvn/maven/maven.tar.gz
    elif command -v wget >/dev/null 2>&1; then wget -q "$url" -O .mvn/maven/maven.tar.gz
    else echo "run.sh: need mvn, curl or wget to build" >&2; exit 1; fi
    tar -xzf .mvn/maven/maven.tar.gz -C .mvn/maven && rm -f .mvn/maven/maven.tar.gz
  fi
  MVN=("$home/bin/mvn" -B)
}

build_if_stale() {
  if [ -f target/gatehouse.jar ] && [ -z "$(find src sql jmh pom.xml -newer target/gatehouse.jar -print -quit 2>/dev/null)" ]; then
    aot_train_if_stale
    return
  fi
  find_maven
  echo "run.sh: building target/gatehouse.jar" >&2
  "${MVN[@]}" -q -DskipTests package
  aot_train_if_stale
}

# --- JVM launch flags: the AOT cache (JDK 25+) -------------------------------------------------------------
# On JDK 25+ Gatehouse's JVM starts from an AOT cache (JEP 483/514/515: classes loaded and linked, and method
# profiles, from a training run), so the JIT compiles the hot paths with the profiles of a real load instead of
# profiling them during the first shard's GUILD_CREATE burst and the firehose after it. The training, after each
# build, is `bench train`: a small initial load (300 guilds: simulator, embedded PostgreSQL, sample bot) and then
# 7 s of a 3000/s firehose through the state writer and delivery POSTs, so the steady state's paths have profiles
# too (about 25 s on the 2-core machine, docs/BENCHMARKS.md "Branch http6"; it once trained on `bench load
# --guilds=300` alone, which cut the JVM's CPU in a 2500-guild load from 8.3-8.5 s to 6.0-6.5 s, "Initial load").
# `./run.sh test` never trains (it does not build the jar).
# JDK 21-24 never get the flag; GATEHOUSE_AOT=off turns both the training and the flag off.
AOT_CACHE=target/gatehouse.aot

aot_wanted() { [ "${GATEHOUSE_AOT:-on}" != off ] && [ "$(java_major "$JAVA")" -ge 25 ]; }

aot_train_if_stale() {
  aot_wanted || return 0
  for f in "$AOT_CACHE" "$AOT_CACHE.failed"; do # trained for this jar already, or failed for it (not retried)
    if [ -f "$f" ] && [ "$f" -nt target/gatehouse.jar ]; then return 0; fi
  done
  echo "run.sh: training the JVM's AOT cache on a 300-guild initial load and a 3000/s firehose (about 25 s; GATEHOUSE_AOT=off skips it)" >&2
  rm -f "$AOT_CACHE" "$AOT_CACHE.tmp" "$AOT_CACHE.failed"
  # a training that hangs must not hold up the launch that triggered it: 5 minutes at most (--foreground keeps the
  # JVM in the terminal's process group, so Ctrl-C still stops it; -k kills a JVM that ignores the TERM)
  local limit=()
  if command -v timeout >/dev/null 2>&1; then limit=(timeout --foreground -k 10 300); fi
  if ${limit[@]+"${limit[@]}"} "$JAVA" -Xmx4g "${JIT_FLAGS[@]}" -XX:AOTCacheOutput="$AOT_CACHE.tmp" -jar target/gatehouse.jar bench train \
      >target/aot-training.log 2>&1 && [ -f "$AOT_CACHE.tmp" ]; then
    mv "$AOT_CACHE.tmp" "$AOT_CACHE"
  else
    rm -f "$AOT_CACHE.tmp"
    touch "$AOT_CACHE.failed"
    echo "run.sh: the AOT training failed (target/aot-training.log); Gatehouse runs without the cache" >&2
  fi
}

# Gatehouse's C2 inlines less (hot callees up to 100 bytecodes instead of 325, none compiled to more than 1000 bytes
# instead of 2500): its CPU in the initial load halves (5.3-5.6 s to 2.6 s of one shard's 2500-guild load) with the
# steady state's CPU per event unchanged (docs/BENCHMARKS.md, "Initial load", "C2's inlining adopted"); the AOT
# training runs with the same flags. Both are C2's: a HotSpot without C2 ignores them instead of refusing to start.
JIT_FLAGS=(-XX:+IgnoreUnrecognizedVMOptions -XX:FreqInlineSize=100 -XX:InlineSmallCode=1000)

launch_flags() { # sets LAUNCH_FLAGS: the flags of Gatehouse's own JVM (run, bench; the simulator's without the JIT's)
  LAUNCH_FLAGS=()
  case "${1:-}" in simulate|simbench) ;; *) LAUNCH_FLAGS+=("${JIT_FLAGS[@]}") ;; esac
  # JDK 24+ warns at the first sun.misc.Unsafe memory access (Netty's direct buffers) on every start; the option
  # exists from JDK 23 and keeps the access as it is on 21-22, without the four lines of warning
  if [ "$(java_major "$JAVA")" -ge 23 ]; then LAUNCH_FLAGS+=(--sun-misc-unsafe-memory-access=allow); fi
  if aot_wanted && [ -f "$AOT_CACHE" ] && [ "$AOT_CACHE" -nt target/gatehouse.jar ]; then
    LAUNCH_FLAGS+=(-XX:AOTCache="$AOT_CACHE")
  fi
}

test_classpath() { # compiles the tests and writes the test-scope class path (JDA, JMH) to target/test-classpath.txt
  find_maven
  "${MVN[@]}" -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
  CLASSPATH_TEST="target/test-classes:target/classes:$(cat target/test-classpath.txt)"
}

find_java build
cmd="${1:-run}"
case "$cmd" in
  test)
    shift
    find_maven
    exec "${MVN[@]}" test "$@"
    ;;
  build)
    build_if_stale # and, on JDK 25+, the AOT cache
    ;;
  bench|simulate|simbench)
    shift
    build_if_stale
    if [ "$cmd" = bench ] && [ "${1:-}" = peers ]; then
      test_classpath # the JDA peer is a test-scope dependency
      launch_flags # Gatehouse's peer JVM starts as ./run.sh starts Gatehouse (the AOT cache on JDK 25+); PEERS_JVM_FLAGS replaces them
      exec "$JAVA" -cp "$CLASSPATH_TEST" "-Dpeers.gatehouseJvmFlags=${PEERS_JVM_FLAGS-${LAUNCH_FLAGS[*]+"${LAUNCH_FLAGS[*]}"}}" \
        dev.gatehouse.Main bench "$@"
    fi
    launch_flags "$cmd"
    exec "$JAVA" -Xmx4g ${LAUNCH_FLAGS[@]+"${LAUNCH_FLAGS[@]}"} -jar target/gatehouse.jar "$cmd" "$@"
    ;;
  jmh)
    shift
    test_classpath
    exec "$JAVA" -cp "$CLASSPATH_TEST" org.openjdk.jmh.Main "$@"
    ;;
  reshard)
    shift
    build_if_stale
    exec "$JAVA" -jar target/gatehouse.jar reshard --config=config.properties "$@"
    ;;
  run)
    shift || true
    build_if_stale
    launch_flags
    exec "$JAVA" ${LAUNCH_FLAGS[@]+"${LAUNCH_FLAGS[@]}"} -jar target/gatehouse.jar run --config=config.properties "$@"
    ;;
  --*)
    build_if_stale
    launch_flags
    exec "$JAVA" ${LAUNCH_FLAGS[@]+"${LAUNCH_FLAGS[@]}"} -jar target/gatehouse.jar run --config=config.properties "$@"
    ;;
  *)
    echo "run.sh: unknown command '$cmd'; expected test, bench, simbench, jmh, simulate, build, or --key=value options" >&2
    exit 2
    ;;
esac
