#!/usr/bin/env bash
# Builds the seqpar container images without any registry (this machine and CI reach none):
#   seqpar:local       FROM scratch: a jlinked JDK 25 runtime + the glibc it links + the seqpar
#                      distribution (deploy/target/dist/lib), user 10001, same ENTRYPOINT as
#                      Dockerfile (java ... ContainerMain: `seqpar ARGS`, or `seqpar $SEQPAR_ROLE`).
#   seqpar-tiny:local  static busybox FROM scratch, for Testcontainers' startup check.
# Usage: deploy/docker/build-local-image.sh [--tiny-only] [--tag TAG]
# Needs a Docker engine, a JDK 25 (JAVA_HOME) and, unless --tiny-only, the distribution (it runs
# ./mvnw package when deploy/target/dist/lib is missing). Rebuilds nothing whose inputs are unchanged.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tag=seqpar:local
tiny_tag=seqpar-tiny:local
tiny_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tiny-only) tiny_only=1 ;;
    --tag) tag="$2"; shift ;;
    *) echo "build-local-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export DOCKER_BUILDKIT=0   # the classic builder: FROM scratch builds need no registry and no buildx
stage="$repo/deploy/target/docker-local"
mkdir -p "$stage"

label() { docker image inspect "$1" --format '{{ index .Config.Labels "io.seqpar.inputs" }}' 2>/dev/null || true; }

# Builds image $1 from context $2 and Dockerfile $3 unless one with input hash $4 exists.
build() {
  local image="$1" ctx="$2" file="$3" hash="$4"
  if [ "$(label "$image")" = "$hash" ]; then
    echo "build-local-image: $image is up to date"
    return 0
  fi
  local log
  if ! log="$(docker build -q -f "$file" --label "io.seqpar.inputs=$hash" -t "$image" "$ctx" 2>&1)"; then
    echo "$log" >&2
    return 1
  fi
  echo "build-local-image: built $image"
}

# --- tiny image ------------------------------------------------------------------------------------
busybox=/bin/busybox   # Debian's busybox-static installs it here
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  echo "build-local-image: needs a static /bin/busybox (apt-get install busybox-static)" >&2
  exit 1
fi
tiny="$stage/tiny"
mkdir -p "$tiny"
cp -L "$busybox" "$tiny/busybox"
cp "$here/Dockerfile.tiny" "$tiny/Dockerfile"
build "$tiny_tag" "$tiny" "$tiny/Dockerfile" "$(cat "$tiny/busybox" "$tiny/Dockerfile" | sha256sum | cut -c1-32)"
[ "$tiny_only" = 1 ] && exit 0

# --- seqpar image ----------------------------------------------------------------------------------
dist="$repo/deploy/target/dist/lib"
if [ ! -f "$dist/seqpar-deploy.jar" ]; then
  (cd "$repo" && ./mvnw -B -q -DskipTests -Dspotless.check.skip=true package -pl deploy -am)
fi

# The JDK modules the distribution needs (jdeps --print-module-deps over deploy/target/dist/lib),
# plus TLS with EC keys, the JDK's management beans and JNDI DNS.
modules=java.base,java.compiler,java.logging,java.management,java.naming,java.sql,jdk.crypto.ec,jdk.httpserver,jdk.incubator.vector,jdk.jfr,jdk.management,jdk.naming.dns,jdk.unsupported
jdk_id="$("$JAVA_HOME/bin/java" -version 2>&1 | head -2 | tr '\n' ' ') $modules"
rootfs="$stage/rootfs"
if [ "$(cat "$stage/rootfs.id" 2>/dev/null)" != "$jdk_id" ]; then
  rm -rf "$rootfs" "$stage/rootfs.id"
  mkdir -p "$rootfs/opt/java" "$rootfs/etc" "$rootfs/tmp"
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=zip-6 --output "$rootfs/opt/java/openjdk"
  # Every shared library the runtime links, at its own path (symlinks resolved), plus the loader.
  { ldd "$rootfs/opt/java/openjdk/bin/java"; find "$rootfs/opt/java/openjdk" -name '*.so' -exec ldd {} \; ; } 2>/dev/null \
    | grep -o '/[^ ]*' | sort -u | while read -r lib; do
        [ -e "$lib" ] || continue
        mkdir -p "$rootfs$(dirname "$lib")"
        cp -L "$lib" "$rootfs$lib"
      done
  # glibc loads these at run time (name service, DNS resolver); absent ones are built into libc.
  for lib in /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libnss_dns.so.2 \
             /lib/x86_64-linux-gnu/libresolv.so.2; do
    if [ -e "$lib" ]; then mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"; fi
  done
  printf 'root:x:0:0:root:/root:/sbin/nologin\nseqpar:x:10001:10001:seqpar:/home/seqpar:/sbin/nologin\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nseqpar:x:10001:\n' > "$rootfs/etc/group"
  printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
  chmod 1777 "$rootfs/tmp"
  echo "$jdk_id" > "$stage/rootfs.id"
fi
mkdir -p "$stage/home"
rm -rf "$stage/lib" && mkdir -p "$stage/lib/deps" "$stage/lib/seqpar"
for jar in "$dist"/*.jar; do
  case "$(basename "$jar")" in
    seqpar-*) cp "$jar" "$stage/lib/seqpar/" ;;
    *) cp "$jar" "$stage/lib/deps/" ;;
  esac
done
cp "$here/Dockerfile.local" "$stage/Dockerfile"
hash="$( (cat "$stage/rootfs.id" "$stage/Dockerfile"; cd "$stage/lib" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-32)"
build "$tag" "$stage" "$stage/Dockerfile" "$hash"
