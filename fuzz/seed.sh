#!/usr/bin/env bash
# Seeds each fuzz target's corpus from ../shared/corpus (small files only, so each run
# starts from real-world inputs). Usage: fuzz/seed.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared="$here/../../shared/corpus"
for t in convert text_formats threemf_metadata threemf_model threemf_graph archive datapackage deflate; do mkdir -p "$here/corpus/$t"; done
find "$shared" -type f \( -iname '*.stl' -o -iname '*.obj' \) -size -256k -print0 |
  while IFS= read -r -d '' f; do
    cp "$f" "$here/corpus/convert/$(sha1sum "$f" | cut -c1-16)"
    cp "$f" "$here/corpus/text_formats/$(sha1sum "$f" | cut -c1-16)"
  done
find "$shared" -type f -iname '*.3mf' -size -512k -print0 |
  while IFS= read -r -d '' f; do
    cp "$f" "$here/corpus/threemf_metadata/$(sha1sum "$f" | cut -c1-16)"
    cp "$f" "$here/corpus/archive/$(sha1sum "$f" | cut -c1-16)"
    # The model part alone, for the XML reader.
    python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("3D/3dmodel.model"))' "$f" \
      > "$here/corpus/threemf_model/$(sha1sum "$f" | cut -c1-16)" 2>/dev/null || true
  done
# Model XML for the encoder (its first byte picks the level).
for f in "$here"/corpus/threemf_model/*; do head -c 65536 "$f" > "$here/corpus/deflate/$(basename "$f")"; done
printf '%s' '{"title":"T","licenses":[{"name":"MIT"}],"contributors":[{"title":"A"}],"resources":[]}' > "$here/corpus/datapackage/seed1"
printf '%s' '{"$schema":"x","name":"n","title":"","keywords":["a"],"sensitive":true,"links":[{"path":"u"}]}' > "$here/corpus/datapackage/seed2"
