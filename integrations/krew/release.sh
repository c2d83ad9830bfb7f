#!/usr/bin/env sh
# Writes the release's version and its archives' sha256 into the krew manifest.
#
#   integrations/krew/release.sh 0.2.0 dist/ > kubetoml.yaml
#
# dist/ holds the release archives, named as in the manifest and in
# Cargo.toml's [package.metadata.binstall]: kubetoml-vVERSION-TARGET.tar.gz
# (.zip for Windows). Every archive the manifest names must be there.
set -eu
version=$1
dist=$2
manifest="$(dirname "$0")/kubetoml.yaml"
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
uri=""
while IFS= read -r line; do
  case "$line" in
    *"  version: v"*)
      printf '%s\n' "${line%%version:*}version: v$version" ;;
    *"uri: "*)
      uri=$(printf '%s' "${line#*uri: }" | sed "s/v[0-9][0-9.]*[0-9]/v$version/g")
      printf '%s\n' "${line%%uri:*}uri: $uri" ;;
    *"sha256: "*)
      archive="$dist/${uri##*/}"
      [ -f "$archive" ] || { echo "release.sh: no $archive" >&2; exit 1; }
      printf '%s\n' "${line%%sha256:*}sha256: $(sha256 "$archive")" ;;
    *)
      printf '%s\n' "$line" ;;
  esac
done < "$manifest"
