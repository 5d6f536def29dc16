"""Every pattern a role checks a value with is anchored at the true end: '$' lets a trailing newline through."""
import re
from pathlib import Path

import pytest

ROLES = Path(__file__).resolve().parents[2] / "roles"
# A quoted regex that ends in '$', used by a match test (in a condition or a select/reject filter) or kept as a
# pattern variable.
LOOSE_END = re.compile(r"""(match\(|match['"],\s*|pattern:|_pattern:).*?['"][^'"]*[^\\]\$['"]""")
FILES = sorted(path for path in ROLES.rglob("*.yml") if "tasks" in path.parts or "vars" in path.parts)


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(ROLES)))
def test_patterns_end_at_the_end_of_the_string(path):
    loose = [f"{number}: {line.strip()}" for number, line in enumerate(path.read_text().splitlines(), 1)
             if LOOSE_END.search(line)]
    assert loose == [], "anchor with \\Z, not $"


def test_the_check_finds_a_loose_end():
    assert LOOSE_END.search("""    that: flask_app_name is match('^[a-z]+$')""")
    assert LOOSE_END.search("""    - { name: x, pattern: "^[a-z]*$" }""")
    assert LOOSE_END.search("""    {{ names | reject('match', '^[a-z]+$') | list == [] }}""")
    assert not LOOSE_END.search("""    that: flask_app_name is match('^[a-z]+\\Z')""")
    assert not LOOSE_END.search("""    {{ names | reject('match', '^[a-z]+\\Z') | list == [] }}""")
