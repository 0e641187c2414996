#!/usr/bin/env bash
# The playbook dbpools.aiven.export_pools end to end: export two projects whose pool, database and
# user names are templates if rendered, re-apply what it wrote with the role (nothing changes, nothing
# runs), pin a pool out of band (the role sees it), and refuse a name the role cannot declare.
# A script target: the export is its own ansible-playbook run, from another directory, and the role
# reads its files as group_vars of an inventory.
set -eux

CONFIG="$(cd ../.. && pwd)/integration_config.yml"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export ANSIBLE_ROLES_PATH=..

printf 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n' > "$WORK/hosts.yml"
mkdir -p "$WORK/bad"
cp "$WORK/hosts.yml" "$WORK/bad/hosts.yml"

ansible-playbook prepare.yml -e @"$CONFIG" "$@"

# From the inventory's directory, with a relative export_pools_dir: the files land there.
(cd "$WORK" && ansible-playbook dbpools.aiven.export_pools -e @"$CONFIG" \
    -e '{"export_pools_projects": ["export-project", "export-project-2"], "export_pools_purge": true}' \
    -e 'export_pools_dir=group_vars/all' \
    -e 'export_pools_api_url={{ aiven_api_url }}' -e 'export_pools_api_token={{ aiven_api_token }}' "$@")

ansible-playbook verify.yml -i "$WORK/hosts.yml" -e @"$CONFIG" -e "export_work=$WORK" "$@"

# A name the module refuses: exported as it is, refused by the role with a message, never rendered.
(cd "$WORK/bad" && ansible-playbook dbpools.aiven.export_pools -e @"$CONFIG" \
    -e '{"export_pools_projects": ["export-project-bad"]}' \
    -e 'export_pools_api_url={{ aiven_api_url }}' -e 'export_pools_api_token={{ aiven_api_token }}' "$@")

ansible-playbook verify_refused.yml -i "$WORK/bad/hosts.yml" -e @"$CONFIG" "$@"
