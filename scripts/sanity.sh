#!/usr/bin/env bash
# ansible-test sanity on the collection, with no ignore file: on a copy of the files git does not ignore, under
# ansible_collections/wsgi/stack, in a git repository of its own, which is where ansible-test looks for them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
copy=$root/.cache/sanity/ansible_collections/wsgi/stack

# Findings are fixed, never ignored.
if compgen -G "$root/tests/sanity/ignore-*.txt" > /dev/null; then
  echo "sanity: remove tests/sanity/ignore-*.txt and fix what it hides" >&2
  exit 1
fi

rm -rf "$copy"
mkdir -p "$copy"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
  | xargs -0 -I{} sh -c 'test ! -e "$1" || cp -P --parents "$1" "$2"' _ {} "$copy")
git -C "$copy" init --quiet
git -C "$copy" add --all
git -C "$copy" -c user.name=sanity -c user.email=sanity@localhost -c commit.gpgsign=false \
  commit --quiet --no-verify --message sanity

# ansible-test bootstraps pip in its test environments with a script it downloads from a host outside the package
# index, cached under the pip version it pins; the standard library's ensurepip does the same from Python's own wheel.
pip_version=$(python3 - <<'PY'
import pathlib, re, ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
PY
)
bootstrap=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [[ ! -e $bootstrap ]]; then
  mkdir -p "$(dirname "$bootstrap")"
  printf '%s\n' 'import ensurepip, sys' 'sys.exit(ensurepip._main(["--upgrade", "--default-pip"]))' > "$bootstrap"
fi

cd "$copy"
ansible-test sanity --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --requirements "$@"
