#!/bin/sh
# Runs the static binary in an empty root (a folder holding only it, an inbox with one STL
# and an empty library): proof that it needs no library, loader or file of the system.
# `make static-check`; BIN is the musl binary. Root uses chroot; others `unshare -r`. With
# EMULATOR (a static qemu-user, for a binary of another architecture) it is copied in too.
set -eu
BIN=${1:?usage: empty-root.sh BIN}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/inbox" "$root/library"
cp "$BIN" "$root/to3mf"
emu=
if [ -n "${EMULATOR:-}" ]; then cp "$EMULATOR" "$root/emulator"; emu=/emulator; fi
# A tetrahedron as a binary STL: 80-byte header, count, four triangles.
python3 - "$root/inbox/tetra.stl" <<'PY'
import struct, sys
o, x, y, z = (0, 0, 0), (9, 0, 0), (0, 9, 0), (0, 0, 9)
tris = [(o, y, x), (o, x, z), (o, z, y), (x, y, z)]
b = bytearray(80) + struct.pack('<I', len(tris))
for t in tris:
    b += struct.pack('<3f', 0, 0, 0) + b''.join(struct.pack('<3f', *v) for v in t) + b'\0\0'
open(sys.argv[1], 'wb').write(b)
PY
if [ "$(id -u)" = 0 ]; then run="chroot $root"; else run="unshare -r chroot $root"; fi
$run $emu /to3mf watch /inbox --out-dir /library --once --settle 0
ls "$root/library/tetra/tetra.3mf" "$root/inbox/.done/tetra.stl" >/dev/null
echo "ok: the static binary ran in an empty root ($(ls "$root" | tr '\n' ' '))"
