"""Writes each role's README.md from its meta/argument_specs.yml; --check names the READMEs that are out of date.

Usage: role_docs.py [--check]
"""
import argparse
import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# A default whose JSON is longer than this goes below the table, where it has room.
LONG_DEFAULT = 60
# Ansible's documentation markup: C(code), O(option), V(value), U(url), L(text,url), I(italic), B(bold)...
MARKUP = re.compile(r"\b(RV|[BCEILMOPRUV])\(")
# Characters Markdown would read as its own in plain text; an underscore inside a word is only a character.
SPECIAL = re.compile(r"[\\`*\[\]<]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


class SpecLoader(yaml.SafeLoader):
    """Reads argument specs as Ansible does, where `!unsafe` marks a default shown as written, never templated."""


SpecLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SpecLoader) or {}


def code(text):
    """Text as a Markdown code span, fenced by more backticks than it holds in a row."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text):
    """Plain text as Markdown shows it, as written."""
    return SPECIAL.sub(lambda match: "\\" + match.group(), text)


def closing(text, start):
    """Index of the parenthesis that closes the one before start, counting nested pairs; -1 when none does."""
    depth = 1
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return text.find(")", start)


def markup(text):
    """Ansible's documentation markup as Markdown."""
    parts = []
    position = 0
    while match := MARKUP.search(text, position):
        end = closing(text, match.end())
        if end < 0:
            break
        name, content = match.group(1), text[match.end():end]
        if name == "U":
            content = f"<{content}>"
        elif name == "L":
            label, comma, url = content.rpartition(",")
            content = f"[{escape(label.strip())}]({url.strip()})" if comma else f"<{content}>"
        elif name == "R":
            content = escape(content.partition(",")[0].strip())
        elif name == "I":
            content = f"*{escape(content)}*"
        elif name == "B":
            content = f"**{escape(content)}**"
        else:
            content = code(content)
        parts += [escape(text[position:match.start()]), content]
        position = end + 1
    return "".join(parts) + escape(text[position:])


def paragraphs(description):
    """A description, a string or a list of them, as Markdown paragraphs of one line each."""
    if isinstance(description, str):
        description = [description]
    return [markup(" ".join(str(paragraph).split())) for paragraph in description or []]


def cell(text):
    """Text a Markdown table cell can hold: one line, with its pipes escaped (inside code spans too)."""
    return " ".join(text.split()).replace("|", "\\|")


def as_json(value):
    return json.dumps(value, ensure_ascii=False)


def type_of(spec):
    kind = spec.get("type", "str")
    if spec.get("elements"):
        kind = f"{kind} of {spec['elements']}"
    if spec.get("choices"):
        # Strings as they are, since the type says they are strings; other values as JSON.
        choices = [code(choice if isinstance(choice, str) else as_json(choice)) for choice in spec["choices"]]
        kind += (", each one of " if spec.get("elements") else ", one of ") + ", ".join(choices)
    return kind


def is_long(spec):
    """Whether an option's default goes below its table, too long for a cell."""
    return "default" in spec and not spec.get("required") and len(as_json(spec["default"])) > LONG_DEFAULT


def default_of(spec, nested):
    if spec.get("required"):
        return "required"
    if "default" not in spec:
        return ""
    return "below the table" if is_long(spec) and not nested else code(as_json(spec["default"]))


def rows(options, prefix=""):
    """Table rows of options, each dict option followed by its own options as PARENT.CHILD."""
    for name, spec in options.items():
        spec = spec or {}
        yield [code(prefix + name), type_of(spec), default_of(spec, bool(prefix)),
               " ".join(paragraphs(spec.get("description")))]
        yield from rows(spec.get("options") or {}, f"{prefix}{name}.")


def table(options):
    lines = ["| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(cell(text) for text in row) + " |" for row in rows(options)]
    long_defaults = [f"{name}: {as_json(spec['default'])}" for name, spec in options.items() if is_long(spec or {})]
    if long_defaults:
        lines += ["", "The defaults too long for the table:", "", "```yaml", *long_defaults, "```"]
    return lines


def platforms(role):
    """The platforms of the role's meta/main.yml, as `Debian bookworm, trixie; ...`."""
    meta = role / "meta" / "main.yml"
    galaxy_info = (load(meta).get("galaxy_info") or {}) if meta.is_file() else {}
    listed = galaxy_info.get("platforms") or []
    return "; ".join(" ".join([platform["name"], ", ".join(map(str, platform.get("versions") or []))]).strip()
                     for platform in listed)


def intro(role, fqcn, main):
    lines = [f"# {fqcn}", ""]
    for paragraph in [markup(main.get("short_description", "")), *paragraphs(main.get("description"))]:
        lines += [paragraph, ""] if paragraph else []
    if supported := platforms(role):
        lines += [f"Platforms: {supported}.", ""]
    return lines + [f"This file is generated from `meta/argument_specs.yml`; edit that file, not this one. "
                    f"`ansible-doc -t role {fqcn}` shows the same documentation.", ""]


def example(fqcn, entry_point="main"):
    """A task that runs an entry point of the role."""
    lines = ["```yaml", f"- name: Run {fqcn}" + (f", entry point {entry_point}" if entry_point != "main" else ""),
             "  ansible.builtin.import_role:", f"    name: {fqcn}"]
    return lines + ([f"    tasks_from: {entry_point}"] if entry_point != "main" else []) + ["```", ""]


def usage(fqcn, options, entry_point="main"):
    # An internal role (no main) is applied by the collection's other roles, never by a play: no example to copy.
    lines = ["## Usage", "", *example(fqcn, entry_point)] if entry_point == "main" else []
    required = [code(name) for name, spec in options.items() if (spec or {}).get("required")]
    if required:
        lead_in = "Set its required variables first" if entry_point == "main" else "Its callers set"
        lines += [f"{lead_in}: {', '.join(required)}.", ""]
    lines += ["## Variables", ""]
    return lines + ([*table(options), ""] if options else ["None.", ""])


def lead(specs):
    """The entry point a role's documentation leads with: main, or the first where a role has none (an internal one)."""
    return "main" if "main" in specs else next(iter(specs))


def entry_points(fqcn, specs):
    """The entry points besides the lead one, one line each, then the variables of those whose variables differ."""
    first = lead(specs)
    main = specs[first]
    others = {name: spec or {} for name, spec in specs.items() if name != first}
    if not others:
        return []
    lines = (["## Other entry points", "", "Each runs on its own through `tasks_from`:", "",
              *example(fqcn, next(iter(others)))] if first == "main"
             else ["## Other entry points", "", "The calling roles include each through `tasks_from`:", ""])
    differ = {name: spec for name, spec in others.items() if spec.get("options") != main.get("options")}
    for name, spec in others.items():
        if spec == main:
            # An entry point that reuses main's specification (a YAML alias) has nothing of its own to say.
            lines.append(f"- {code(name)}: the same description and variables as {code(first)}.")
        else:
            lines.append(f"- {code(name)}: {markup(spec.get('short_description', ''))} "
                         + (f"Its variables are under {code(name)} below." if name in differ
                            else f"Same variables as {code(first)}."))
    lines.append("")
    for name, spec in differ.items():
        lines += [f"### {code(name)}", ""]
        for paragraph in paragraphs(spec.get("description")):
            lines += [paragraph, ""]
        lines += [*table(spec["options"]), ""] if spec.get("options") else ["No variables.", ""]
    return lines


def render(role):
    """The README.md of a role directory, roles/NAME in a collection, from its meta/argument_specs.yml."""
    galaxy = load(role.parents[1] / "galaxy.yml")
    fqcn = f"{galaxy['namespace']}.{galaxy['name']}.{role.name}"
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    main = specs[lead(specs)]
    lines = [*intro(role, fqcn, main), *usage(fqcn, main.get("options") or {}, lead(specs)),
             *entry_points(fqcn, specs)]
    return "\n".join(lines).rstrip("\n") + "\n"


def roles(repo=REPO):
    return sorted(spec.parents[1] for spec in (repo / "roles").glob("*/meta/argument_specs.yml"))


def out_of_date(repo=REPO):
    """The roles' README.md files that differ from what their specs render (missing ones too), with that text."""
    rendered = {role / "README.md": render(role) for role in roles(repo)}
    return {readme: text for readme, text in rendered.items()
            if not readme.is_file() or readme.read_text(encoding="utf-8") != text}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a README.md is out of date")
    args = parser.parse_args(argv)
    stale = out_of_date()
    if args.check:
        for readme in stale:
            print(f"{readme.relative_to(REPO)} is out of date with meta/argument_specs.yml: run make docs",
                  file=sys.stderr)
        return 1 if stale else 0
    for readme, text in stale.items():
        readme.write_text(text, encoding="utf-8")
        print(f"wrote {readme.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
