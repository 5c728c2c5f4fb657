# Sourced by scripts: points JAVA_HOME at a JDK 25 (the default java here is 17; FFM needs 22+).
# The JDK's release file tells its version without starting a JVM (./vgw sources this on every command).
if [ -z "${JAVA_HOME:-}" ] || ! grep -qs '^JAVA_VERSION="25' "$JAVA_HOME/release"; then
  JAVA_HOME=
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*-25-* /usr/lib/jvm/*25*; do
    if [ -x "$candidate/bin/java" ]; then JAVA_HOME=$candidate; break; fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "vgw needs JDK 25 (FFM): install Temurin 25 under /usr/lib/jvm or set JAVA_HOME" >&2
    exit 1
  fi
fi
export JAVA_HOME
