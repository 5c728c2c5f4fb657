#!/bin/sh
# Builds the XDP program of AF_XDP ports: build-xdp.sh OUTPUT.o
# Run by gateway/pom.xml (exec-maven-plugin, compile phase); CLANG overrides clang.
# Needs clang and libbpf-dev (bpf_helpers.h); the asm/ headers come from the multiarch include folder.
set -eu
out=$1
src=$(dirname "$0")/vgw_xdp.bpf.c
mkdir -p "$(dirname "$out")"
${CLANG:-clang} -O2 -g -Wall -target bpf -I/usr/include/"$(gcc -dumpmachine)" -c "$src" -o "$out"
