"""A value quoted for the environment file reads back as itself, as the shell (which systemd follows) reads it."""
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wsgi.stack.plugins.filter.env_file_value import env_file_value

VALUES = ["plain", "", "two words", 'say "hi"', "it's", "$HOME and ${PATH}", "`id`", "$(id)", "back\\slash\\",
          "trailing backslash \\", "# not a comment", "a=b; c", "tab\there", "héllo ☃", "\\$ \\` \\\""]


@pytest.mark.parametrize("value", VALUES)
def test_the_shell_reads_back_the_very_value(value, tmp_path):
    env = tmp_path / "env"
    env.write_text(f"VALUE={env_file_value(value)}\n")
    read = subprocess.run(["sh", "-c", '. "$1" && printf %s "$VALUE"', "sh", str(env)], capture_output=True,
                          text=True, check=True)
    assert read.stdout == value


@pytest.mark.parametrize(("value", "written"), [(8, '"8"'), (True, '"True"'), (0.5, '"0.5"')])
def test_numbers_and_booleans_are_written_as_python_spells_them(value, written):
    assert env_file_value(value) == written


@pytest.mark.parametrize("value", ["two\nlines", "carriage\rreturn", "nul\0", None, ["a"], {"a": 1}])
def test_anything_but_one_line_of_a_scalar_is_refused(value):
    with pytest.raises(AnsibleFilterError):
        env_file_value(value)
