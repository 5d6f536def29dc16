"""The examples stay true: every inventory is deployed by a scenario, and requirements.yml installs what galaxy.yml
says the collection needs."""
import pytest
import yaml

from test_tags import REPO

GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
# make demo deploys the demo's inventory into one local container; the suite leaves it to that command.
NOT_IN_THE_SUITE = {"demo"}


def scenario_group_vars():
    """The group_vars directories the Molecule scenarios link into their inventories: their own, or the shared
    config's, which Molecule reads from the scenario's directory."""
    shared = yaml.safe_load((REPO / ".config" / "molecule" / "config.yml").read_text())
    linked = set()
    for config in (REPO / "molecule").glob("*/molecule.yml"):
        links = {**shared["provisioner"]["inventory"]["links"],
                 **(yaml.safe_load(config.read_text()).get("provisioner") or {}).get("inventory", {}).get("links", {})}
        linked.add((config.parent / links["group_vars"]).resolve())
    return linked


@pytest.mark.parametrize("inventory", sorted(path.parent.name for path in (REPO / "examples").glob("*/hosts.yml")
                                             if path.parent.name not in NOT_IN_THE_SUITE))
def test_every_example_inventory_is_deployed_by_a_scenario(inventory):
    assert (REPO / "examples" / inventory / "group_vars").resolve() in scenario_group_vars()


def test_the_examples_hold_a_single_host_over_http_and_https_and_a_balancer():
    inventories = {path.parent.name: yaml.safe_load(path.read_text())
                   for path in (REPO / "examples").glob("*/hosts.yml")}
    tls_sources = {name: yaml.safe_load((REPO / "examples" / name / "group_vars" / "all.yml").read_text())
                   .get("nginx_tls_source", "none") for name in inventories}
    assert tls_sources["inventory"] == "none" and tls_sources["https"] != "none"
    assert len(inventories["cluster"]["all"]["children"]["app"]["hosts"]) > 1


def test_requirements_install_the_collection_and_its_dependencies():
    requirements = yaml.safe_load((REPO / "examples" / "requirements.yml").read_text())
    wanted = {entry["name"]: entry.get("version", "*") for entry in requirements["collections"]}
    assert wanted == {f"{GALAXY['namespace']}.{GALAXY['name']}": f">={GALAXY['version']}", **GALAXY["dependencies"]}
