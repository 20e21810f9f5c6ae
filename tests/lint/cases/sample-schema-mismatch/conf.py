# Read as text by the linter (never run): this case is a Manila tree, so Manila's
# build options (spec/build-options.yaml, whose formats refuse a pool here) apply.
openstackdocs_repo_name = 'openstack/manila'
